"""One-off steps are not leaks: a container that grew between the two
graphs of a hunt is confirmed by its own length over a few more calls. A
lazy import adds modules to ``sys.modules`` in one call; a cache filled at
once grows by a block; in two graphs both look like steady growth, and in
the calls after they do not grow again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Optional

from ..capture.holders import length_of, live_objects
from ..model import HeapGraph, owned
from ..model.hunt import HuntResult, Leak, WarmupGrowth
from .explain import ranked

__all__ = ["unconfirmed", "without_steps"]


@owned
class _Watch:
    """The live containers a hunt watches after its measured calls."""

    def __init__(self) -> None:
        self.objects: list[Any] = []


def unconfirmed(leak: Leak) -> bool:
    """A container leak that only the two graphs vouch for: no series of
    its own length was judged (a lazy import that adds modules in one call
    looks the same in two graphs as steady growth; a verdict lent by its
    type's bytes may come from other objects of the type)."""
    return leak.kind == "container" and not leak.holder_type


def without_steps(
    fn: Callable[[], Any],
    result: HuntResult,
    gn: Optional[HeapGraph],
    say: Callable[[str], None],
) -> HuntResult:
    """Call the action a few more times and watch the length of every
    unconfirmed growing container: one that does not grow again grew in a
    one-off step, not steadily."""
    todo = [x for x in result.leaks if unconfirmed(x) and x.container is not None]
    if gn is None or not todo:
        return result
    wanted = {gn.ids[x.container.node]: x.container.type_name for x in todo if x.container}
    watch = _Watch()
    watch.objects = live_objects(wanted)
    try:
        start = {id(o): length_of(o) for o in watch.objects}
        calls = max(3, result.iterations // 2)
        for i in range(calls):
            say(f"call {i + 1}/{calls} to confirm growing containers")
            fn()
        end = {id(o): length_of(o) for o in watch.objects}
    finally:
        watch.objects = []
    steps: list[WarmupGrowth] = []
    kept: list[Leak] = []
    for x in result.leaks:
        key = gn.ids[x.container.node] if x in todo and x.container else None
        a, b = start.get(key or -1), end.get(key or -1)
        if key is None or a is None or b is None:
            kept.append(x)
            continue
        rate = x.items_per_iteration
        if b - a >= max(1.0, rate * calls / 3):
            kept.append(x)
            continue
        delta = x.container.delta if x.container else 0
        steps.append(WarmupGrowth(x.type_name, delta, 0, "step"))
    if not steps:
        return result
    return replace(
        result,
        leaks=tuple(ranked(kept)),
        warmup_only=(*result.warmup_only, *steps),
    )
