"""LEAKS: a class-level registry of every instance ever made.

``Job.__init__`` records each job in ``Job._registry`` so that the admin page
can look jobs up by id. Finished jobs are never removed: the class (alive as
long as its module) keeps every Job and its log lines.
"""

from __future__ import annotations

from typing import ClassVar

EXPECT = {
    "leak": True,
    "types": ["class_registry.Job"],
    "retainer": [".Job", "_registry"],
    "mechanism": "class-level registry of instances",
}


class Job:
    _registry: ClassVar[dict[str, Job]] = {}

    def __init__(self, job_id: str, kind: str) -> None:
        self.job_id = job_id
        self.kind = kind
        self.state = "queued"
        self.log: list[str] = []
        Job._registry[job_id] = self  # registered, never unregistered

    @classmethod
    def lookup(cls, job_id: str) -> Job | None:
        return cls._registry.get(job_id)

    def run(self) -> None:
        self.state = "running"
        self.log.append(f"{self.job_id}: started {self.kind}")
        self.state = "done"
        self.log.append(f"{self.job_id}: done")


_COUNTER = [0]


def action() -> str:
    _COUNTER[0] += 1
    job = Job(f"job-{_COUNTER[0]:07d}", kind=("thumbnail", "export", "reindex")[_COUNTER[0] % 3])
    job.run()
    return job.state
