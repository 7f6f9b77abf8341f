"""DOES NOT LEAK (control): the same report, streaming its rows through a
generator; nothing outlives the call but the small totals it returns."""

from __future__ import annotations

import json
from collections.abc import Iterator

try:
    from scenarios._data import jsonl_batch
except ImportError:  # loaded from its file with scenarios/ on sys.path
    from _data import jsonl_batch  # type: ignore[no-redef]

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "streaming pipeline (generator)",
}

_BATCH = [0]


def iter_rows(text: str) -> Iterator[dict[str, object]]:
    for line in text.splitlines():
        yield json.loads(line)


def action() -> dict[str, float]:
    _BATCH[0] += 1
    totals: dict[str, float] = {}
    for row in iter_rows(jsonl_batch(_BATCH[0])):
        region = str(row["region"])
        totals[region] = totals.get(region, 0.0) + float(row["amount"])  # type: ignore[arg-type]
    return totals
