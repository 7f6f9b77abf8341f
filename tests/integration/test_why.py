"""Retainer paths on the real heap: one holder kind per test, each with the
exact path a person would write down (root first)."""

from __future__ import annotations

import atexit
import gc
import sys
import threading
import types
import weakref
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

import leakhunt
from leakhunt import capture

pytestmark = pytest.mark.skipif(
    capture.walker_name() != "c", reason="graph snapshots need the compiled walker"
)
PY311 = sys.version_info[:2] == (3, 11)


class Leaked:
    pass


T = f"{__name__}.Leaked"


@pytest.fixture
def app() -> Iterator[types.ModuleType]:
    mod = types.ModuleType("app_mod")
    sys.modules["app_mod"] = mod
    yield mod
    del sys.modules["app_mod"]
    mod.__dict__.clear()
    gc.collect()


def test_module_global_dict(app: types.ModuleType) -> None:
    t = Leaked()
    app._CACHE = {"u42": t}
    # the key is data: shown by its type (docs/snapshot-format.md, "Dict keys")
    assert leakhunt.why(t).text == f"module app_mod -> ._CACHE -> [<str>] -> {T}"


def test_class_attribute(app: types.ModuleType) -> None:
    class Registry:
        items: ClassVar[list[Any]] = []

    app.Registry = Registry
    t = Leaked()
    Registry.items.append(t)
    assert leakhunt.why(t).text == f"module app_mod -> .Registry -> .items -> [0] -> {T}"


def test_closure_cell(app: types.ModuleType) -> None:
    t = Leaked()

    def make() -> Any:
        cache = [t]

        def handler() -> Any:
            return cache

        return handler

    app.handler = make()
    expected = f"module app_mod -> .handler -> .__closure__ cell 'cache' -> [0] -> {T}"
    assert leakhunt.why(t).text == expected


def test_bound_method(app: types.ModuleType) -> None:
    t = Leaked()

    class Service:
        def __init__(self) -> None:
            self.data = t

        def on_event(self) -> None:
            pass

    app.callbacks = [Service().on_event]
    expected = f"module app_mod -> .callbacks -> [0] -> .__self__ -> .data -> {T}"
    assert leakhunt.why(t).text == expected


def test_suspended_generator_local(app: types.ModuleType) -> None:
    t = Leaked()

    def gen() -> Iterator[int]:
        big = t
        yield 1
        del big

    g = gen()
    next(g)
    app.pending = g
    text = leakhunt.why(t).text
    if sys.version_info < (3, 11):
        assert text == f"module app_mod -> .pending -> .gi_frame -> frame gen local 'big' -> {T}"
    else:  # the frame lives inside the generator, read in place
        assert text == f"module app_mod -> .pending -> frame gen local 'big' -> {T}"


def test_suspended_coroutine_local_and_cell(app: types.ModuleType) -> None:
    t, u = Leaked(), Leaked()

    class Pause:
        def __await__(self) -> Iterator[None]:
            yield None

    async def job(arg: Leaked) -> None:
        held = u

        def inner() -> Leaked:
            return held  # held is a cell variable of job

        await Pause()
        del arg, inner

    c = job(t)
    c.send(None)
    app.task = c
    try:
        by_arg, by_cell = leakhunt.why(t).text, leakhunt.why(u).text
    finally:
        c.close()
    if sys.version_info < (3, 11):
        via = "module app_mod -> .task -> .cr_frame -> frame job local"
    else:
        via = "module app_mod -> .task -> frame job local"
    assert by_arg == f"{via} 'arg' -> {T}"
    assert by_cell == f"{via} 'held' -> {T}"


def test_stored_traceback_frame(app: types.ModuleType) -> None:
    t = Leaked()

    def fail() -> None:
        big = t
        raise ValueError("boom", type(big).__name__)

    try:
        fail()
    except ValueError as e:
        app.last_error = e
    text = leakhunt.why(t).text
    assert text.startswith("module app_mod -> .last_error -> .__traceback__ -> ")
    # the test's own frame is why()'s caller, a probe: the path goes on to
    # the frame that raised
    assert ".tb_next -> .tb_frame -> " in text
    if not PY311:
        assert text.endswith(f".tb_frame -> frame fail local 'big' -> {T}")


def test_mutable_default_argument(app: types.ModuleType) -> None:
    def remember(x: Any, _seen: list[Any] = []) -> None:  # noqa: B006 - the leak
        _seen.append(x)

    app.remember = remember
    t = Leaked()
    remember(t)
    expected = f"module app_mod -> .remember -> .__defaults__ -> [0] -> [0] -> {T}"
    assert leakhunt.why(t).text == expected


def test_deep_chain(app: types.ModuleType) -> None:
    t = Leaked()
    node: Any = t
    for _ in range(8):
        n = Leaked()
        n.next = node  # type: ignore[attr-defined]
        node = n
    app.head = node
    assert leakhunt.why(t).text == "module app_mod -> .head" + " -> .next" * 8 + f" -> {T}"


def test_thread_local(app: types.ModuleType) -> None:
    t = Leaked()
    app.state = threading.local()
    app.state.current = t
    text = leakhunt.why(t).text
    assert text.startswith("module app_mod -> .state -> (in _thread._local) -> ")
    assert text.endswith(f"[<str>] -> {T}")  # a thread-local's dict is not a .__dict__


def test_weakref_is_not_a_retainer(app: types.ModuleType) -> None:
    t = Leaked()
    app.ref = weakref.ref(t)
    w = leakhunt.why(t)
    assert w.path is None
    assert w.text == f"{T}: held outside Python: no referrer that Python can see"


def test_held_only_from_c(app: types.ModuleType) -> None:
    t = Leaked()

    def on_exit() -> Any:
        return t

    atexit.register(on_exit)
    try:
        w = leakhunt.why(t)
    finally:
        atexit.unregister(on_exit)
    assert w.path is None
    assert "held outside Python: no referrer that Python can see" in w.text
    assert ".__closure__ cell 't' (of a function)" in w.referrers
    assert "likely holder:" in w.text and "atexit callback" in w.text


def test_local_of_another_running_thread() -> None:
    t = Leaked()
    ready, done = threading.Event(), threading.Event()

    def worker(item: Any) -> None:
        held = [item]
        ready.set()
        done.wait(10)
        del held

    th = threading.Thread(target=worker, args=(t,), name="worker-1")
    th.start()
    ready.wait(10)
    try:
        text = leakhunt.why(t).text
    finally:
        done.set()
        th.join()
    assert text == f"thread worker-1 frame worker -> local 'item' -> {T}"


def test_retained_size_counts_what_only_it_holds(app: types.ModuleType) -> None:
    holder = Leaked()
    holder.payload = [bytes(1000) + bytes([i]) for i in range(10)]  # type: ignore[attr-defined]
    app.holder = holder
    w = leakhunt.why(holder, retained=True)
    assert w.retained is not None
    payload_bytes = sum(sys.getsizeof(b) for b in holder.payload)  # type: ignore[attr-defined]
    assert w.retained >= payload_bytes + sys.getsizeof(holder.payload)  # type: ignore[attr-defined]


def test_graph_snapshot_counts_like_a_histogram_snapshot() -> None:
    a = leakhunt.snapshot("a", save=False)
    g = leakhunt.snapshot("g", save=False, graph=True)
    assert g.graph is not None
    assert g.graph.n == g.total_count
    # the graph sees a few more objects (the threads' frames, made objects
    # for the walk, and what their locals hold), never fewer
    ga, gg = a.by_name(), g.by_name()
    for name, st in ga.items():
        if name != "frame":
            assert gg[name].count >= st.count - 2, name


def test_signal_handler_is_a_root(app: types.ModuleType) -> None:
    import signal

    t = Leaked()
    old = signal.signal(signal.SIGUSR2, lambda *a: t)
    try:
        text = leakhunt.why(t).text
    finally:
        signal.signal(signal.SIGUSR2, old)
    assert text == f"signal handler SIGUSR2 -> .__closure__ cell 't' -> {T}"
