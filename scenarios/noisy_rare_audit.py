"""LEAKS: one audit record every third call, among thousands of temporaries.

Each call parses a batch of 4,000 small events (dicts, tuples, lists, and
temporary ``AuditRecord`` objects that are dropped again); one call in
three also files a record into a module-level list "for the compliance
export", which never runs. A third of an object per call, under heavy churn
of the very same type.
"""

from __future__ import annotations

EXPECT = {
    "leak": True,
    "types": ["noisy_rare_audit.AuditRecord"],
    "retainer": ["._EXPORT_QUEUE"],
    "mechanism": "one object every third call among thousands of churned temporaries",
}


class AuditRecord:
    def __init__(self, event: dict[str, object]) -> None:
        self.event = event
        self.flagged = bool(event["n"] % 7 == 0)


_EXPORT_QUEUE: list[AuditRecord] = []
_COUNTER = [0]


def action() -> int:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    events = [{"n": n * 4000 + i, "tags": (i % 5, i % 3), "path": [i, i + 1]} for i in range(4000)]
    records = [AuditRecord(e) for e in events[::20]]  # temporaries of the leaking type
    flagged = sum(r.flagged for r in records)
    if n % 3 == 0:
        _EXPORT_QUEUE.append(AuditRecord({"n": n, "flagged": flagged}))
    return flagged
