"""The hard leaks of issue 12, each on the real heap, and the hunt's promise
to call no user code while it looks (issue 14).

GIVEN an action with one mechanism WHEN it is hunted THEN the exact
outcome: a leak with its holder, or growth told as bounded or as one step.
"""

from __future__ import annotations

import atexit
import codecs
import json
import sys
import types
from collections import deque
from collections.abc import Iterator
from typing import Any, Optional

import pytest

from leakhunt.capture.holders import holder_facts, type_name
from leakhunt.hunting import hunt
from leakhunt.render.hunt import hunt_to_dict, render_hunt_text

pytestmark = pytest.mark.skipif(
    __import__("leakhunt").walker_name() != "c", reason="graphs need the compiled walker"
)

CALLED: list[str] = []


@pytest.fixture(autouse=True)
def no_user_code() -> Iterator[None]:
    CALLED.clear()
    yield
    CALLED.clear()


# -- hostile classes: any of their methods called by leakhunt is a failure --


class Meta(type):
    def __hash__(cls) -> int:
        CALLED.append("metaclass __hash__")
        raise RuntimeError("metaclass __hash__ called")

    def __eq__(cls, other: object) -> bool:
        CALLED.append("metaclass __eq__")
        raise RuntimeError("metaclass __eq__ called")


class Proxy(metaclass=Meta):
    """Everything a proxy can override to run code when looked at."""

    def __init__(self, n: int) -> None:
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "payload", [n] * 8)

    def __getattr__(self, name: str) -> Any:
        CALLED.append(f"__getattr__ {name}")
        raise RuntimeError("__getattr__ called")

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        CALLED.append("__class__")
        raise RuntimeError("__class__ called")

    @property
    def maxsize(self) -> int:
        CALLED.append("maxsize property")
        raise RuntimeError("maxsize property called")

    def __len__(self) -> int:
        CALLED.append("__len__")
        raise RuntimeError("__len__ called")


def test_holder_facts_run_no_user_code() -> None:
    class Pool:
        def __init__(self) -> None:
            self.maxsize = 32
            self._Pool__capacity = 7

    class Slotted:
        __slots__ = ("capacity",)

        def __init__(self) -> None:
            self.capacity = 5

    objs = [Proxy(1), Pool(), Slotted(), deque(maxlen=9), [1, 2]]
    facts = holder_facts({id(o): type_name(type(o)) for o in objs})
    got = [(facts[id(o)].bound, facts[id(o)].length) for o in objs]
    assert got == [(None, None), (32, None), (5, None), (9, 0), (None, 2)]
    assert CALLED == []


def test_the_allocation_site_step_calls_no_user_code() -> None:
    kept: list[Proxy] = []

    def action() -> None:
        kept.append(Proxy(len(kept)))

    r = hunt(action, iterations=6, warmup=2)
    leak = r.leak(type_name(Proxy))
    assert leak is not None and leak.allocated_at is not None
    assert leak.allocated_at.function == "action"
    assert CALLED == []


# -- 4: bounded caches still filling ----------------------------------------


class Ring:
    def __init__(self, size: int) -> None:
        self.items: deque[bytes] = deque(maxlen=size)


def test_a_deque_still_filling_is_bounded_not_a_leak() -> None:
    ring = Ring(400)

    def action() -> None:
        for i in range(20):
            ring.items.append(bytes(30) + bytes([i]))

    r = hunt(action, iterations=8, warmup=2, trace=False)
    assert r.leaks == ()
    (b,) = {g.bound for g in r.bounded}
    assert (b.attribute, b.bound, b.fill) == ("maxlen", 400, 200)
    assert "fills to 400 (maxlen), now 200" in render_hunt_text(r)
    doc = hunt_to_dict(r)
    assert {(x["bound"], x["fill"]) for x in doc["bounded"]} == {(400, 200)}
    assert doc["warmup_only"] is not None  # the old key stays
    assert CALLED == []


class Registry:
    """Declares a bound it does not keep."""

    def __init__(self) -> None:
        self.max_entries = 10
        self.entries: dict[int, object] = {}


def test_a_container_past_its_declared_bound_is_a_leak() -> None:
    reg = Registry()

    def action() -> None:
        for _ in range(3):
            reg.entries[len(reg.entries)] = Ring(1)

    r = hunt(action, iterations=6, warmup=2, trace=False)
    leak = r.leak(type_name(Ring))
    assert leak is not None and leak.bound is not None
    assert (leak.bound.attribute, leak.bound.bound, leak.bound.fill) == ("max_entries", 10, 24)
    assert "past its own bound" in render_hunt_text(r)


# -- 1: growth without new objects ------------------------------------------


class Journal:
    def __init__(self) -> None:
        self.text = ""


def test_a_string_replaced_by_a_longer_one_is_found_by_its_holder() -> None:
    journal = Journal()
    holder = {"journal": journal}

    def action() -> None:
        journal.text += "x" * 200

    r = hunt(action, iterations=6, warmup=2, trace=False)
    (leak,) = r.leaks
    assert leak.type_name == "str" and leak.holder_type == type_name(Journal)
    assert leak.container is not None and leak.container.unit == "bytes"
    assert leak.container.path_text.endswith(".text")
    assert leak.bytes_per_iteration == 200
    assert f".text of {type_name(Journal)} (str) grew by 200 B per call" in render_hunt_text(r)
    assert holder


def test_a_string_replaced_by_one_of_the_same_size_is_not_a_leak() -> None:
    journal = Journal()

    def action() -> None:
        journal.text = "y" * 500 if journal.text.startswith("x") else "x" * 500

    assert hunt(action, iterations=6, warmup=2, trace=False).leaks == ()


# -- 3: sys.modules, and one-off steps --------------------------------------


@pytest.fixture
def drop_modules() -> Iterator[str]:
    prefix = "leakhunt_test_plugin_"
    yield prefix
    for n in [n for n in sys.modules if n.startswith(prefix)]:
        del sys.modules[n]


def test_modules_kept_in_sys_modules_are_growth_of_sys_modules(drop_modules: str) -> None:
    calls = [0]

    def action() -> None:
        name = f"{drop_modules}{calls[0]}"
        calls[0] += 1
        m = types.ModuleType(name)
        m.table = {"rows": [1, 2, 3]}  # type: ignore[attr-defined]
        sys.modules[name] = m

    r = hunt(action, iterations=6, warmup=2, trace=False)
    head = r.leaks[0]
    assert head.type_name == "module"
    assert head.container is not None and head.container.path_text == "module sys -> .modules"
    assert head.evidence == tuple(f"{drop_modules}{i}" for i in range(2, 8))
    assert head.paths == ("module sys -> .modules -> [*] -> module",)
    assert len({x.group for x in r.leaks}) == 1  # what the modules hold is the same cause
    assert "new: leakhunt_test_plugin_2, leakhunt_test_plugin_3" in render_hunt_text(r)


def test_a_container_that_grows_in_one_step_is_not_a_leak() -> None:
    calls = [0]
    lazy: list[Optional[bytes]] = []

    def action() -> None:
        calls[0] += 1
        if calls[0] == 6:
            lazy.extend([None] * 50)  # the same object, added at once

    r = hunt(action, iterations=8, warmup=2, trace=False)
    assert r.leaks == ()
    assert [(w.type_name, w.when) for w in r.warmup_only if w.when == "step"] == [("list", "step")]


# -- 2: registries the interpreter holds ------------------------------------


class Spool:
    def __init__(self) -> None:
        self.buffer = bytearray(300)

    def close(self) -> None:
        self.buffer = bytearray()


def test_atexit_is_inferred_and_the_cause_is_one_group() -> None:
    spools: list[Any] = []

    def action() -> None:
        s = Spool()
        atexit.register(s.close)
        spools.append(s.close.__func__)  # keeps the function, not the spool

    try:
        r = hunt(action, iterations=6, warmup=2, trace=False)
    finally:
        for obj in __import__("gc").get_objects():
            if type(obj) is Spool:
                atexit.unregister(obj.close)
    head = r.leaks[0]
    assert head.type_name == "method" and head.held_by is not None
    assert (head.held_by.registry, head.held_by.basis) == ("atexit", "atexit_count")
    assert head.held_by.inferred
    text = render_hunt_text(r)
    assert (
        "held outside Python by atexit callbacks (inferred: atexit._ncallbacks() grew by 6" in text
    )
    assert f"method -> .__self__ -> {type_name(Spool)} -> .buffer -> bytearray" in text
    group = [x.type_name for x in r.leaks if x.group == head.group]
    assert group[:1] == ["method"] and type_name(Spool) in group and "bytearray" in group
    doc = json.loads(json.dumps(hunt_to_dict(r)))
    assert doc["leaks"][0]["held_by"]["registry"] == "atexit"


def test_codec_search_functions_are_named() -> None:
    registered: list[Any] = []

    def action() -> None:
        table = Spool()

        def search(name: str, table: Spool = table) -> None:
            return None

        codecs.register(search)
        registered.append(id(search))

    found: list[Any] = []
    try:
        r = hunt(action, iterations=6, warmup=2, trace=False)
    finally:
        wanted = set(registered)
        found = [o for o in __import__("gc").get_objects() if id(o) in wanted]
        for fn in found:
            codecs.unregister(fn)
    head = r.leaks[0]
    assert head.held_by is not None and head.held_by.basis == "marker"
    assert head.held_by.registry.startswith("codecs search functions")
    assert head.held_by.path_text.startswith("list -> [*] -> function")


def test_visible_registries_are_named_by_their_path() -> None:
    from leakhunt.hunting.registries import visible_registry

    assert visible_registry("module gc -> .callbacks -> [*] -> method") == "gc.callbacks"
    assert visible_registry("module sys -> .path") == "sys.path"
    assert visible_registry("module sys -> .path_hooks -> [*] -> function") == "sys.path_hooks"
    assert visible_registry("signal handler SIGTERM -> .__self__ -> app.Server") == (
        "signal handlers"
    )
    assert visible_registry("module app -> .x -> .__warningregistry__ -> dict").startswith(
        "warnings registry"
    )
    assert visible_registry("module sysconfig -> ._CACHE") == ""
    assert visible_registry(None) == ""


def test_gc_callbacks_are_a_named_registry() -> None:
    import gc

    class Tracker:
        def on_gc(self, phase: str, info: dict[str, Any]) -> None:
            return None

    before = list(gc.callbacks)

    def action() -> None:
        gc.callbacks.append(Tracker().on_gc)

    try:
        r = hunt(action, iterations=6, warmup=2, trace=False)
    finally:
        gc.callbacks[:] = before
    head = r.leaks[0]
    assert head.registry == "gc.callbacks"
    assert head.paths[0].startswith("module gc -> .callbacks -> [*] -> method")
    assert "registry: gc.callbacks" in render_hunt_text(r)


def test_a_module_cache_under_a_constant_named_after_it_is_bounded(drop_modules: str) -> None:
    mod = types.ModuleType(f"{drop_modules}cache")
    mod._MAX_ENTRIES = 300  # type: ignore[attr-defined]
    mod._entries = {}  # type: ignore[attr-defined]
    mod.LIMIT_RETRIES = 2  # type: ignore[attr-defined]  # not named after the container
    sys.modules[mod.__name__] = mod
    calls = [0]

    def action() -> None:
        calls[0] += 1
        for i in range(10):
            mod._entries[(calls[0], i)] = Ring(1)  # type: ignore[attr-defined]

    r = hunt(action, iterations=6, warmup=2, trace=False)
    assert r.leaks == ()
    (b,) = {g.bound for g in r.bounded}
    assert (b.holder_type, b.attribute, b.bound, b.fill) == ("dict", "_MAX_ENTRIES", 300, 80)
    assert b.holder_path == f"module {mod.__name__} -> ._entries"
