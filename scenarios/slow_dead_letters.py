"""LEAKS, slowly: one dead letter every other call.

A message consumer moves messages it fails to process to an in-memory
dead-letter list "to replay later". Every other message is malformed, so
the list grows by one DeadLetter every two calls: half an object per call,
still a leak.
"""

from __future__ import annotations

import json

EXPECT = {
    "leak": True,
    "types": ["slow_dead_letters.DeadLetter"],
    "retainer": ["._DEAD_LETTERS"],
    "mechanism": "slow growth: one object every other call",
}


class DeadLetter:
    def __init__(self, message_id: str, raw: str, reason: str) -> None:
        self.message_id = message_id
        self.raw = raw
        self.reason = reason


_DEAD_LETTERS: list[DeadLetter] = []
_COUNTER = [0]


def next_message(n: int) -> str:
    if n % 2:
        return f'{{"order": "ord-{n}", "amount": '  # truncated by the producer
    return json.dumps({"order": f"ord-{n}", "amount": n % 500})


def consume(message_id: str, raw: str) -> int:
    try:
        return int(json.loads(raw)["amount"])
    except ValueError as exc:
        _DEAD_LETTERS.append(DeadLetter(message_id, raw, str(exc)))
        return 0


def action() -> int:
    _COUNTER[0] += 1
    return consume(f"msg-{_COUNTER[0]}", next_message(_COUNTER[0]))
