"""LEAKS: a logger (and a handler) created per job.

Each job gets its own logger, named after the job id, with a handler that
captures its lines for the job's status page. ``logging.getLogger`` stores
every logger in the logging manager's ``loggerDict`` for the life of the
process, handler and buffered lines included.
"""

from __future__ import annotations

import io
import logging

EXPECT = {
    "leak": True,
    "types": ["logging.Logger"],
    "retainer": [".loggerDict"],
    "mechanism": "a logger and handler created per call",
}

PREFIX = "scenario_jobs"
_COUNTER = [0]


def job_logger(job_id: str) -> tuple[logging.Logger, io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger(f"{PREFIX}.{job_id}")  # one per job, never removed
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return logger, buffer


def run_job(job_id: str, items: int) -> str:
    log, buffer = job_logger(job_id)
    log.info("start: %d items", items)
    done = sum(1 for i in range(items) if i % 3)
    log.info("done: %d processed", done)
    return buffer.getvalue()


def teardown() -> None:
    """Drop this scenario's loggers (for tests)."""
    manager = logging.Logger.manager
    for name in [n for n in manager.loggerDict if n == PREFIX or n.startswith(PREFIX + ".")]:
        logger = manager.loggerDict.pop(name)
        if isinstance(logger, logging.Logger):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()
    logging.getLogger().manager._clear_cache()  # type: ignore[attr-defined]


def action() -> int:
    _COUNTER[0] += 1
    return len(run_job(f"job-{_COUNTER[0]:07d}", items=30))
