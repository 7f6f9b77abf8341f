"""LEAKS: per-thread state in a ``threading.local`` on a long-lived worker.

A worker thread serves report queries. Each thread keeps its own database
connection in a ``threading.local``, and the connection caches a prepared
statement per SQL text. The SQL is built with the customer id inlined
instead of as a parameter, so every query is a new statement, and the cache
lives as long as the thread: for ever.
"""

from __future__ import annotations

import queue
import threading
from typing import Optional

EXPECT = {
    "leak": True,
    "types": ["thread_local_worker.PreparedStatement"],
    "retainer": ["._TLS", ".statements"],
    "mechanism": "threading.local on a long-lived thread",
}


class PreparedStatement:
    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.tokens = sql.split()
        self.plan = {"scan": self.tokens[3], "filters": self.tokens[5:]}


class Connection:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.statements: dict[str, PreparedStatement] = {}

    def execute(self, sql: str) -> int:
        stmt = self.statements.get(sql)
        if stmt is None:
            stmt = self.statements[sql] = PreparedStatement(sql)
        return len(stmt.tokens)


_TLS = threading.local()


def connection() -> Connection:
    conn: Optional[Connection] = getattr(_TLS, "conn", None)
    if conn is None:
        conn = _TLS.conn = Connection("postgres://reports")
    return conn


def _serve(requests: queue.Queue[Optional[int]], replies: queue.Queue[int]) -> None:
    while True:
        customer = requests.get()
        if customer is None:
            return
        sql = f"SELECT total FROM orders WHERE customer = {customer}"  # not a parameter
        replies.put(connection().execute(sql))


class _Worker:
    def __init__(self) -> None:
        self.requests: queue.Queue[Optional[int]] = queue.Queue()
        self.replies: queue.Queue[int] = queue.Queue()
        self.thread = threading.Thread(
            target=_serve, args=(self.requests, self.replies), name="report-worker", daemon=True
        )
        self.thread.start()


_STATE: dict[str, _Worker] = {}
_COUNTER = [0]


def setup() -> None:
    if "worker" not in _STATE:
        _STATE["worker"] = _Worker()


def teardown() -> None:
    """Stop the worker thread (for tests; a service would keep it)."""
    worker = _STATE.pop("worker", None)
    if worker is not None:
        worker.requests.put(None)
        worker.thread.join()


def action() -> int:
    setup()
    _COUNTER[0] += 1
    worker = _STATE["worker"]
    worker.requests.put(10_000 + _COUNTER[0])
    return worker.replies.get()
