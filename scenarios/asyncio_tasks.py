"""LEAKS: fire-and-forget asyncio tasks kept in a set and never discarded.

The request handler starts an audit task in the background and, as the
asyncio docs advise, keeps a strong reference to it in ``_BACKGROUND`` so it
is not garbage-collected mid-flight. It forgets the other half of that advice
(``task.add_done_callback(_BACKGROUND.discard)``): finished tasks and their
results stay in the set for ever.
"""

from __future__ import annotations

import asyncio

EXPECT = {
    "leak": True,
    "types": ["_asyncio.Task"],
    "retainer": ["._BACKGROUND"],
    "mechanism": "asyncio tasks kept in a set and never discarded",
}

_BACKGROUND: set[asyncio.Task[dict[str, object]]] = set()
_LOOP: dict[str, asyncio.AbstractEventLoop] = {}
_COUNTER = [0]


async def write_audit(request_id: str, path: str) -> dict[str, object]:
    await asyncio.sleep(0)
    return {"request": request_id, "path": path, "status": 200, "tags": [path.split("/")[1]]}


async def handle(request_id: str, path: str) -> int:
    task = asyncio.get_running_loop().create_task(write_audit(request_id, path))
    _BACKGROUND.add(task)  # missing: task.add_done_callback(_BACKGROUND.discard)
    await asyncio.sleep(0)
    return 200


def setup() -> None:
    if "loop" not in _LOOP:
        _LOOP["loop"] = asyncio.new_event_loop()


def teardown() -> None:
    """Finish the pending tasks and close the loop (for tests)."""
    loop = _LOOP.pop("loop", None)
    if loop is not None:
        pending = [t for t in _BACKGROUND if not t.done()]
        if pending:
            loop.run_until_complete(asyncio.gather(*pending))
        _BACKGROUND.clear()
        loop.close()


def action() -> int:
    setup()
    _COUNTER[0] += 1
    n = _COUNTER[0]
    return _LOOP["loop"].run_until_complete(handle(f"req-{n}", f"/orders/{n}"))
