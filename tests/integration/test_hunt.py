"""leakhunt.hunt: the verdict on series with known answers, and real hunts on
real heaps (leaks, container-only growth, bounded caches, cycles, churn)."""

from __future__ import annotations

import functools
import gc
import inspect
import tracemalloc

import pytest

import leakhunt
from leakhunt.hunting import classify, hunt

# ------------------------------------------------------------ the verdict


@pytest.mark.parametrize(
    "series",
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],  # every call
        [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5],  # every other call
        [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3],  # every third call
        [0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000],
        [5, 16, 25, 38, 44, 57, 66, 78, 85, 97, 104],  # growth with noise
    ],
)
def test_steady_growth_is_a_leak(series: list[int]) -> None:
    v = classify(series)
    assert v.leak, v.reason
    assert v.slope > 0 and 0 < v.confidence <= 1


@pytest.mark.parametrize(
    ("series", "reason"),
    [
        ([10] * 11, "no net growth"),
        ([10, 20, 30, 40, 50, 50, 50, 50, 50, 50, 50], "stopped growing"),  # a cache that filled
        ([10, 13, 9, 12, 10, 14, 9, 13, 10, 12, 11], "too little"),  # churn
        ([10, 14, 9, 15, 10, 16, 9, 15, 11, 16, 12], "stopped growing"),  # churn drifting up
        ([10, 14, 9, 15, 10, 16, 11, 17, 12, 18, 19], "churn"),  # churn drifting up
        ([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 11], "too little"),  # once
        ([10, 10, 10, 10, 10, 10, 10, 10, 10, 30, 30], "grew in only 1"),  # one jump
        ([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], "no net growth"),  # shrinking
    ],
)
def test_noise_is_not_a_leak(series: list[int], reason: str) -> None:
    v = classify(series)
    assert not v.leak
    assert reason in v.reason
    assert v.confidence == 0.0


def test_a_regular_leak_is_more_certain_than_a_slow_one() -> None:
    every = classify([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    other = classify([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5])
    assert every.confidence == 1.0 and every.grew_in == 10
    assert other.confidence < every.confidence and other.grew_in == 5


def test_a_hunt_needs_enough_calls() -> None:
    with pytest.raises(ValueError, match="iterations"):
        hunt(lambda: None, iterations=2)
    with pytest.raises(ValueError, match="warmup"):
        hunt(lambda: None, warmup=-1)


# ------------------------------------------------------------ real heaps


class Order:
    def __init__(self, n: int) -> None:
        self.n = n
        self.lines = [n, n + 1]


_ORDERS: list[Order] = []
_SEEN: list[object] = []
_MAKE_LINE = 0


def _take_order() -> None:
    _ORDERS.append(Order(len(_ORDERS)))  # the allocation site


_MAKE_LINE = inspect.getsourcelines(_take_order)[1] + 1


@pytest.fixture
def clean() -> object:
    yield None
    _ORDERS.clear()
    _SEEN.clear()


def test_objects_kept_in_a_module_list(clean: object) -> None:
    r = hunt(_take_order, iterations=6, warmup=2)
    leak = r.leak(f"{__name__}.Order")
    assert leak is not None, r
    assert leak.kind == "objects" and leak.per_iteration == 1.0 and leak.grew_in == 6
    assert any(
        p is not None and p.endswith("._ORDERS -> [*] -> " + f"{__name__}.Order")
        for p in leak.paths
    )
    assert leak.container is not None and leak.container.path_text.endswith("._ORDERS")
    assert (leak.container.type_name, leak.container.delta) == ("list", 6)
    assert leak.allocated_at is not None
    assert str(leak.allocated_at).endswith(f"test_hunt.py:{_MAKE_LINE} in _take_order()")
    assert (leak.allocated_at.lineno, leak.allocated_at.function) == (_MAKE_LINE, "_take_order")
    # the attribute lists leak with them, held through the instances
    lists = r.leak("list")
    assert lists is not None and lists.per_iteration >= 1.0
    assert r.rss_before is not None and r.traced and r.graph
    assert not tracemalloc.is_tracing()  # started for the hunt, stopped after


def test_the_same_object_appended_again_and_again(clean: object) -> None:
    """No type count moves: only one list grows. The container watch names it."""
    r = hunt(lambda: _SEEN.append(None), iterations=8, warmup=2)
    (leak,) = [x for x in r.leaks if x.kind == "container"]
    assert leak.type_name == "list" and leak.per_iteration < 0.5
    assert leak.items_per_iteration == 1.0
    assert leak.container is not None and leak.container.path_text.endswith("._SEEN")
    assert leak.container.delta == 8


def test_a_bounded_cache_that_fills_during_warmup_is_not_a_leak() -> None:
    @functools.lru_cache(maxsize=4)
    def price(n: int) -> list[int]:
        return [n] * 10

    calls = iter(range(10**6))

    def handle() -> None:
        price(next(calls) % 4)

    r = hunt(handle, iterations=8, warmup=4, trace=False)
    assert r.leaks == ()
    assert any(
        w.type_name == "functools._lru_list_elem" and w.count == 4 and w.when == "warm-up"
        for w in r.warmup_only
    ), r.warmup_only


def test_garbage_cycles_and_churn_are_not_leaks() -> None:
    state: dict[str, list[object]] = {"batch": []}
    flip = iter(range(10**6))

    def handle() -> None:
        a: list[object] = []
        b: list[object] = [a]
        a.append(b)  # a cycle, collectable
        state["batch"] = [object() for _ in range(50 + 30 * (next(flip) % 2))]

    r = hunt(handle, iterations=8, warmup=2, trace=False)
    assert r.leaks == (), [(x.type_name, x.counts) for x in r.leaks]


def test_a_slow_leak_every_other_call_is_found(clean: object) -> None:
    tick = iter(range(10**6))

    def handle() -> None:
        if next(tick) % 2:
            _take_order()

    r = hunt(handle, iterations=10, warmup=2, trace=False)
    leak = r.leak(f"{__name__}.Order")
    assert leak is not None and leak.per_iteration == 0.5 and leak.grew_in == 5


def test_hunt_state_is_not_counted_and_gc_is_restored() -> None:
    gc.disable()
    try:
        r = hunt(lambda: None, iterations=5, warmup=1, trace=False, graph=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert r.leaks == ()


def test_without_graphs_leaks_have_no_paths(clean: object) -> None:
    r = hunt(_take_order, iterations=5, warmup=1, graph=False, trace=False)
    leak = r.leak(f"{__name__}.Order")
    assert leak is not None and leak.clusters == () and leak.allocated_at is None
    assert not r.graph


def test_hunt_is_public() -> None:
    assert leakhunt.hunt is hunt
