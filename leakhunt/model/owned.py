"""What a capture never counts: leakhunt's own values.

Every instance of a class decorated with :func:`owned` is recorded (by a weak
reference) in ``LIVE_OWNED``; capture starts its exclusion walk from there.
It lives with the model, not in capture, because the model's values carry the
decorator and the model imports nothing of capture (import direction: capture
-> model, never back).
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

__all__ = ["LIVE_OWNED", "live_owned", "owned"]


class _Ref(weakref.ref):  # type: ignore[type-arg]
    __slots__ = ("key",)
    key: int


class _Live(dict):  # type: ignore[type-arg]
    """id -> weak reference, for every live instance of an owned class.

    Capture starts its exclusion walk from here rather than scanning the
    whole heap for owned types (a scan that costs a fifth of a gc.collect()
    on a big heap). Its own classes, not WeakValueDictionary, so that its
    internals are leakhunt types too (tests compare counts with objgraph)."""


LIVE_OWNED = _Live()


def _forget(ref: _Ref) -> None:
    LIVE_OWNED.pop(ref.key, None)


def live_owned() -> list[Any]:
    """The live instances of owned classes."""
    out = []
    for ref in list(LIVE_OWNED.values()):
        obj = ref()
        if obj is not None:
            out.append(obj)
    return out


def owned(cls: type) -> type:
    """Class decorator: every instance of ``cls`` is leakhunt's own data,
    recorded in LIVE_OWNED. Capture never counts one, nor anything only
    reachable through one."""
    init = cls.__dict__["__init__"]
    live = LIVE_OWNED

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        ref = _Ref(self, _forget)
        ref.key = id(self)
        live[ref.key] = ref

    cls.__init__ = __init__  # type: ignore[misc]
    return cls
