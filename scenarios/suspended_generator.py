"""LEAKS: suspended generators used as pagination cursors.

An export endpoint loads the whole result set, yields the first page and
parks the generator under a cursor id so the client can fetch the next
page. Most clients never come back. Each parked generator is suspended at
its ``yield`` with the full result (``rows``) as a local of its frame.
"""

from __future__ import annotations

from collections.abc import Iterator

EXPECT = {
    "leak": True,
    "types": ["dict"],
    "retainer": ["._CURSORS", "local 'rows'"],
    "mechanism": "suspended generator holding a big local",
}

PAGE = 20
_CURSORS: dict[str, Iterator[list[dict[str, object]]]] = {}
_COUNTER = [0]


def query(export_id: int) -> list[dict[str, object]]:
    return [
        {"invoice": f"inv-{export_id}-{i:04d}", "cents": (export_id * 31 + i * 17) % 9999}
        for i in range(120)
    ]


def export_pages(export_id: int) -> Iterator[list[dict[str, object]]]:
    rows = query(export_id)  # the whole result, held while suspended
    for start in range(0, len(rows), PAGE):
        yield rows[start : start + PAGE]


def action() -> int:
    _COUNTER[0] += 1
    cursor = f"cur-{_COUNTER[0]:07d}"
    pages = export_pages(_COUNTER[0])
    first = next(pages)
    _CURSORS[cursor] = pages  # the client may ask for the next page; it never does
    return len(first)
