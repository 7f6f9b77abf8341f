"""LEAKS: a cache in ``threading.local`` on the workers of a long-lived pool.

Forms are parsed on a ``ThreadPoolExecutor`` of two workers that lives as
long as the service. Each worker memoizes parsed forms in thread-local
storage, keyed by the submission id, which is new on every request: the
per-thread caches grow for ever on threads no one looks at.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

EXPECT = {
    "leak": True,
    "types": ["pool_worker_tls.ParsedForm"],
    "retainer": ["._TLS", "(in _thread._local)"],
    "mechanism": "thread-local cache on the workers of a long-lived thread pool",
}


class ParsedForm:
    def __init__(self, submission: int, body: str) -> None:
        self.submission = submission
        self.fields = dict(part.split("=", 1) for part in body.split("&"))


_TLS = threading.local()
_STATE: dict[str, ThreadPoolExecutor] = {}
_COUNTER = [0]


def _parse(submission: int, body: str) -> int:
    forms = getattr(_TLS, "forms", None)
    if forms is None:
        forms = _TLS.forms = {}
    form = forms.get(submission)
    if form is None:
        form = forms[submission] = ParsedForm(submission, body)
    return len(form.fields)


def setup() -> None:
    if "pool" not in _STATE:
        pool = _STATE["pool"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="forms")
        # start both workers now (a pool starts them on demand, at a call of its choosing)
        both = threading.Barrier(2)
        for f in [pool.submit(both.wait, 5) for _ in range(2)]:
            f.result()


def teardown() -> None:
    pool = _STATE.pop("pool", None)
    if pool is not None:
        pool.shutdown(wait=True)


def action() -> int:
    setup()
    pool = _STATE["pool"]
    _COUNTER[0] += 1
    n = _COUNTER[0]
    futures = [pool.submit(_parse, n * 2 + i, f"name=a{n}&qty={i}&sku=s{i}") for i in range(2)]
    return sum(f.result() for f in futures)
