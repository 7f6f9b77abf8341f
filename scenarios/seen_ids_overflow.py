"""LEAKS: a module-level set bounded by a constant that is never enforced.

A webhook receiver remembers delivery ids to drop duplicates. The module
declares ``MAX_SEEN_IDS = 25`` next to the set, but nothing trims it: every
delivery id stays. A hunt must not excuse it as bounded once it holds more
than its own declared maximum.
"""

from __future__ import annotations

EXPECT = {
    "leak": True,
    "types": ["seen_ids_overflow.Delivery"],
    "retainer": ["._SEEN_IDS"],
    "mechanism": "module-level container past the maximum its module declares",
}

MAX_SEEN_IDS = 25


class Delivery:
    def __init__(self, delivery_id: str) -> None:
        self.delivery_id = delivery_id
        self.attempts = 1

    def __hash__(self) -> int:
        return hash(self.delivery_id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Delivery) and other.delivery_id == self.delivery_id


_SEEN_IDS: set[Delivery] = set()
_COUNTER = [0]


def action() -> bool:
    _COUNTER[0] += 1
    fresh = True
    for i in range(3):
        d = Delivery(f"dlv-{_COUNTER[0]:06d}-{i}")
        fresh = fresh and d not in _SEEN_IDS
        _SEEN_IDS.add(d)
    return fresh
