"""LEAKS: a report generator that keeps every parsed row in a module-level
list ("we might need them later") instead of streaming them. Each call adds
200 dicts and their strings to ``_ROWS`` for ever."""

from __future__ import annotations

import json

try:
    from scenarios._data import jsonl_batch
except ImportError:  # loaded from its file with scenarios/ on sys.path
    from _data import jsonl_batch  # type: ignore[no-redef]

EXPECT = {
    "leak": True,
    "types": ["dict"],
    "retainer": ["._ROWS"],
    "mechanism": "rows kept in a list instead of streamed",
}

_ROWS: list[dict[str, object]] = []
_BATCH = [0]


def parse_batch(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def action() -> dict[str, float]:
    _BATCH[0] += 1
    rows = parse_batch(jsonl_batch(_BATCH[0]))
    _ROWS.extend(rows)  # the leak: rows outlive the report
    totals: dict[str, float] = {}
    for row in rows:
        region = str(row["region"])
        totals[region] = totals.get(region, 0.0) + float(row["amount"])  # type: ignore[arg-type]
    return totals
