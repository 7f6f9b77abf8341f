"""A deterministic JSONL batch, shared by the report scenarios."""

from __future__ import annotations

import json

REGIONS = ("north", "south", "east", "west")


def jsonl_batch(batch: int, rows: int = 200) -> str:
    """``rows`` order records as JSON Lines; ``batch`` makes every batch's
    ids distinct, as in a real feed."""
    lines = []
    for i in range(rows):
        n = batch * rows + i
        lines.append(
            json.dumps(
                {
                    "order_id": f"ord-{n:08d}",
                    "customer": f"customer-{n % 997:04d}",
                    "region": REGIONS[n % 4],
                    "amount": round(10 + (n * 7919 % 10000) / 100, 2),
                    "note": f"order {n} shipped via carrier {n % 13}",
                }
            )
        )
    return "\n".join(lines)
