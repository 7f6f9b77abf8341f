"""Regenerate the "Why is it alive?" example of the README: a session cache
keyed by request, two graph snapshots, `leakhunt diff` with retainer
paths and `leakhunt graph` to docs/why-sessions.svg."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import leakhunt  # noqa: E402

OUT = ROOT / "leakhunt-snapshots" / "why-example"

# a tiny "app.cache" module, as a service would have
cache = types.ModuleType("app.cache")
sys.modules["app.cache"] = cache
exec(
    """
class Session:
    def __init__(self, user):
        self.user = user
        self.history = []

_SESSIONS = {}

def handle_request(request_id, user):
    session = _SESSIONS.setdefault(request_id, Session(user))  # keyed by request: leaks
    session.history.append(request_id)
    return session
""",
    cache.__dict__,
)


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    for i in range(100):
        cache.handle_request(f"req-{i}", f"user{i % 7}")
    a = leakhunt.snapshot("before", path=OUT, graph=True)
    for i in range(100, 1100):
        cache.handle_request(f"req-{i}", f"user{i % 7}")
    b = leakhunt.snapshot("after", path=OUT, graph=True)
    assert a.path and b.path
    rel = [os.path.relpath(p, ROOT) for p in (a.path, b.path)]
    print("$ leakhunt diff " + " ".join(rel) + " --top 3")
    sys.stdout.flush()
    subprocess.call([sys.executable, "-m", "leakhunt", "diff", *rel, "--top", "3"], cwd=ROOT)
    svg = "docs/why-sessions.svg"
    print(f"$ leakhunt graph {rel[1]} --type app.cache.Session -o {svg}")
    sys.stdout.flush()
    subprocess.call(
        [
            sys.executable,
            "-m",
            "leakhunt",
            "graph",
            rel[1],
            "--type",
            "app.cache.Session",
            "-o",
            svg,
        ],
        cwd=ROOT,
    )
    print(">>> leakhunt.why(cache._SESSIONS['req-42']).text")
    print(repr(leakhunt.why(cache._SESSIONS["req-42"]).text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
