"""LEAKS: failed imports kept with their exceptions for an admin page.

``_FAILURES`` keeps the exception of every failed batch. An exception holds
its traceback, the traceback holds the frames, and the frames hold their
locals: here the whole parsed batch (``rows``), 100 dicts per call.
"""

from __future__ import annotations

EXPECT = {
    "leak": True,
    "types": ["dict"],
    "retainer": ["._FAILURES", ".__traceback__", ".tb_frame", "local 'rows'"],
    "mechanism": "stored exceptions keep traceback frames and their locals",
}


class ImportFailure:
    def __init__(self, batch_id: str, error: Exception) -> None:
        self.batch_id = batch_id
        self.error = error  # with error.__traceback__ -> frames -> locals


_FAILURES: list[ImportFailure] = []
_COUNTER = [0]


def parse(batch_id: int) -> list[dict[str, object]]:
    return [
        {"sku": f"sku-{batch_id}-{i}", "qty": i % 7, "price": f"{i * 1.5:.2f}"} for i in range(100)
    ]


def validate(rows: list[dict[str, object]]) -> None:
    for i, row in enumerate(rows):
        if row["qty"] == 0 and i > 90:
            raise ValueError(f"row {i}: quantity must be positive")


def import_batch(batch_id: int) -> int:
    rows = parse(batch_id)
    validate(rows)
    return len(rows)


def action() -> int:
    _COUNTER[0] += 1
    try:
        return import_batch(_COUNTER[0])
    except ValueError as exc:
        _FAILURES.append(ImportFailure(f"batch-{_COUNTER[0]}", exc))
        return 0
