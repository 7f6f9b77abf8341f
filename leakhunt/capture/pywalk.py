"""The pure-Python heap walker: the twin of ``_walker.c`` for machines
without a compiler. Same input, same output, same rules (tests compare the
two on one heap); about an order of magnitude slower.

Rules: references come from ``gc.get_referents`` (the C ``tp_traverse``),
plus dict keys and code constants, which ``tp_traverse`` does not report;
sizes come from ``sys.getsizeof`` only where the type's ``__sizeof__`` is
implemented in C, else from ``object.__sizeof__`` plus the gc pre-header,
so no user-defined method ever runs.
"""

from __future__ import annotations

import gc
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Optional

_DEFAULT, _CMETH, _CCALL, _USER = 1, 2, 3, 4


#: The switch interval while quiet_begin() holds the GIL: longer than such a
#: walk takes on a typical heap (0.3 s for a small program's 50k objects in
#: pure Python, twice that on a loaded machine, where 0.5 s let a thread in),
#: and short, because it applies to our own wait for the GIL too: the pause
#: before the walk is at most this long, when other threads never block.
QUIET_INTERVAL = 1.0


def quiet_begin() -> tuple[float, bool]:
    """While a Python frame holds a list of every object (gc.get_objects()),
    no other thread should run: the list holds a reference to each tuple
    another thread is still filling, and its tuple(generator) then fails with
    SystemError (issue 14 item 2). The compiled walker never lets such a list
    reach Python; where Python code must hold one (this twin, the hunt's
    allocation sites), the GIL is not handed over meanwhile: the switch
    interval is raised to QUIET_INTERVAL, threads already waiting get the GIL
    once first, and no collection runs (its finalizers could release the
    GIL). Both are restored exactly. A walk longer than QUIET_INTERVAL can
    still be interrupted, far more rarely than every 5 ms. Code inside must
    not block (no I/O).

    Returns what quiet_end() restores: plain values, no object the walk
    would count (a context manager is a generator on the heap)."""
    interval = sys.getswitchinterval()
    was_enabled = gc.isenabled()
    gc.disable()
    sys.setswitchinterval(max(interval, QUIET_INTERVAL))
    # A thread already waiting for the GIL waits out the old interval, then
    # asks for the GIL back: let every such wait end now, not mid-walk, by
    # sleeping a little longer than the old interval (sleep(0) retook the
    # GIL at once, and a waiter's old deadline then interrupted the walk:
    # 3 SystemErrors in 30 snapshots on 3.10, 0 with a real sleep). Getting
    # the GIL back takes at most QUIET_INTERVAL (when they never block).
    time.sleep(min(interval, 0.05) + 0.001)
    return interval, was_enabled


def quiet_end(state: tuple[float, bool]) -> None:
    sys.setswitchinterval(state[0])
    if state[1]:
        gc.enable()


@contextmanager
def quiet_heap() -> Iterator[None]:
    """quiet_begin() ... quiet_end() around a block."""
    state = quiet_begin()
    try:
        yield
    finally:
        quiet_end(state)


_HAVE_GC = 1 << 14
_HEAPTYPE = 1 << 9
if sys.version_info >= (3, 12):
    _MANAGED = (1 << 4) | (1 << 3)
elif sys.version_info >= (3, 11):
    _MANAGED = 1 << 4
else:
    _MANAGED = 0

_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_type_flags = type.__dict__["__flags__"].__get__
_object_sizeof = object.__sizeof__
_MethodDescriptor = types.MethodDescriptorType
_WrapperDescriptor = types.WrapperDescriptorType
_BOUNDARY = (type, types.ModuleType, types.FunctionType, types.FrameType, types.CodeType)


def _sizeof_kind(tp: type) -> int:
    for klass in _type_mro(tp):
        d = _type_dict(klass)
        if "__sizeof__" in d:
            f = d["__sizeof__"]
            ft = type(f)
            # A C method is called only on its own type or a subtype: one
            # borrowed by an unrelated class (``__sizeof__ = dict.__sizeof__``)
            # assumes a layout the object does not have, and a builtin
            # function stored there (gc.collect, print) is not a size at all.
            if ft is _MethodDescriptor or ft is _WrapperDescriptor:
                owner = f.__objclass__
                if owner is object:
                    return _DEFAULT
                if owner in _type_mro(tp):
                    return _CMETH if ft is _MethodDescriptor else _CCALL
            return _USER
    return _DEFAULT


def _is_gc(o: Any, tp: type) -> bool:
    if not _type_flags(tp) & _HAVE_GC:
        return False
    if issubclass(type(o), type):  # not isinstance: it may read o.__class__
        return bool(_type_flags(o) & _HEAPTYPE)
    return True


def _user_size(o: Any, tp: type, gc_head: int) -> int:
    size: int = _object_sizeof(o)
    if _is_gc(o, tp):
        size += gc_head
    if _type_flags(tp) & _MANAGED:
        size += 2 * 8 if sys.maxsize > 2**32 else 2 * 4
    return size


_type_basicsize = type.__dict__["__basicsize__"].__get__
_INLINE_VALUES = 1 << 2  # 3.13's Py_TPFLAGS_INLINE_VALUES
_SHARED_DICT: Optional[Callable[[Any], Any]] = None
if sys.version_info[:2] == (3, 13):  # the layout checked (as _cpython.h)
    try:
        import ctypes

        _ptr = ctypes.sizeof(ctypes.c_void_p)

        def _shared_dict_313(o: Any) -> Any:
            """The materialized dict of an instance whose values are still
            inline (the traverse reports the values, not the dict), or None."""
            tp = type(o)
            if not _type_flags(tp) & _INLINE_VALUES:
                return None
            if not ctypes.c_uint8.from_address(id(o) + _type_basicsize(tp) + 3).value:
                return None  # values not valid: the traverse reports the dict
            addr = ctypes.c_void_p.from_address(id(o) - 3 * _ptr).value
            return None if not addr else ctypes.cast(addr, ctypes.py_object).value

        _SHARED_DICT = _shared_dict_313
    except ImportError:  # pragma: no cover - no ctypes: such dicts go uncounted
        pass


def _extra(o: Any) -> list[Any]:
    """References tp_traverse does not report (see _walker.c count_children)."""
    if issubclass(type(o), dict):
        try:
            return list(dict.__iter__(o))
        except RuntimeError:  # resized by another thread mid-walk
            return []
    if type(o) is types.CodeType:
        return [o.co_consts, o.co_names, o.co_filename, o.co_name]
    if _SHARED_DICT is not None and _type_flags(type(o)) & _MANAGED:
        d = _SHARED_DICT(o)
        return [] if d is None else [d]
    return []


def _closure(extra_roots: tuple[Any, ...]) -> tuple[list[Any], dict[int, int], int]:
    """Roots, then every tracked object they reach up to the boundary."""
    is_tracked = gc.is_tracked
    members: list[Any] = []
    index: dict[int, int] = {}

    def add(o: Any) -> None:
        if id(o) not in index:
            index[id(o)] = len(members)
            members.append(o)

    for r in extra_roots:
        add(r)
    roots = len(members)
    i = 0
    while i < len(members):
        m = members[i]
        i += 1
        for c in referents(m):
            if is_tracked(c) and not issubclass(type(c), _BOUNDARY):
                add(c)
    return members, index, roots


def _internal_refs(members: list[Any], index: dict[int, int]) -> list[int]:
    """For each member, how many references it has from other members."""
    internal = [0] * len(members)
    for m in members:
        refs = referents(m)
        for c in refs:
            j = index.get(id(c))
            if j is not None:
                internal[j] += 1
    return internal


def _probe_base(members: list[Any]) -> int:
    """What sys.getrefcount shows for a member with no outside reference
    (the members list plus the call's own transient references), measured
    on a probe in exactly the same position, so it holds on every version."""
    probe: list[Any] = []
    members.append(probe)
    base = sys.getrefcount(members[-1]) - 1  # minus the `probe` variable
    members.pop()
    return base


def _exclusions(extra_roots: tuple[Any, ...]) -> set[int]:
    """ids of tracked objects that are leakhunt's own (see _walker.c).

    Helpers hold their temporaries in their own frames, which are gone
    before reference counts are read here.
    """
    members, index, roots = _closure(extra_roots)
    internal = _internal_refs(members, index)
    base = _probe_base(members)
    shared = [False] * len(members)
    work: list[int] = []
    for j in range(roots, len(members)):
        ext = sys.getrefcount(members[j]) - base - 1 - internal[j]  # 1: the gc list
        if ext > 0:
            shared[j] = True
            work.append(j)
    while work:
        for c in referents(members[work.pop()]):
            k = index.get(id(c))
            if k is not None and k >= roots and not shared[k]:
                shared[k] = True
                work.append(k)
    excluded = {id(members[j]) for j in range(len(members)) if not shared[j]}
    excluded.add(id(extra_roots))
    return excluded


_MODULE = type(gc)
#: the CPython versions whose _asyncio reports freed memory (gh-122695)
_FREED_IN_MODULE_STATE = (3, 12) <= sys.version_info[:2] < (3, 13)
_module_dict = vars(_MODULE)["__dict__"].__get__  # the C getter: no user __getattr__


def referents(o: Any) -> list[Any]:
    """``gc.get_referents(o)``, except for a module: its dict only. A C
    module's traverse may report freed memory (3.12 and 3.13.0's _asyncio
    visit their free list, CPython gh-122695); a reference taken to one of
    those and dropped frees it again and loops the free list, hanging every
    later collection. Never ask the module itself."""
    if _FREED_IN_MODULE_STATE and issubclass(type(o), _MODULE):
        return [_module_dict(o)]
    return gc.get_referents(o)


def histogram(
    objs: list[Any],
    extra_roots: tuple[Any, ...],
    getsizeof: Callable[[Any], int],
    gc_head: int,
) -> tuple[list[tuple[type, int, int]], dict[str, int]]:
    """Same contract as ``leakhunt.capture._walker.histogram``."""
    excluded = _exclusions(extra_roots)
    is_tracked = gc.is_tracked
    get_referents = referents
    kinds: dict[type, int] = {}
    stats: dict[type, list[int]] = {}
    seen: dict[int, Any] = {}  # id -> object; holding it keeps the id unique
    n_tracked = 0

    def count(o: Any) -> None:
        tp = type(o)
        kind = kinds.get(tp)
        if kind is None:
            kind = kinds[tp] = _sizeof_kind(tp)
        if kind == _USER:
            size = _user_size(o, tp, gc_head)
        else:
            try:
                size = getsizeof(o)
            except Exception:
                size = _user_size(o, tp, gc_head)
        st = stats.get(tp)
        if st is None:
            stats[tp] = [1, size]
        else:
            st[0] += 1
            st[1] += size

    def reach(children: list[Any]) -> None:
        stack = children
        while stack:
            c = stack.pop()
            if is_tracked(c) or id(c) in seen:
                continue
            seen[id(c)] = c
            count(c)
            stack.extend(get_referents(c))
            stack.extend(_extra(c))

    for o in objs:
        if id(o) in excluded:
            continue
        n_tracked += 1
        count(o)
        children = get_referents(o)
        children.extend(_extra(o))
        reach(children)
    rows = [(tp, st[0], st[1]) for tp, st in stats.items()]
    info = {"tracked": n_tracked, "untracked": len(seen), "excluded": len(excluded) - 1}
    return rows, info
