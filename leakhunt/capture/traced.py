"""Live objects made under tracemalloc: what a hunt's allocation-site step
asks of the heap. Like the rest of capture, the only code here that touches
``gc`` and live objects; :mod:`leakhunt.hunt.sites` turns the tracebacks into
sites.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from _tracemalloc import _get_object_traceback as _tracemalloc_raw
from collections.abc import Callable
from itertools import islice
from typing import Any, Optional

from .holders import type_name
from .pywalk import quiet_heap, referents

__all__ = ["collect_garbage", "objects_with_ids", "traceback_of", "traced_objects"]


_RAW_TRACEBACK: list[Any] = []
_PREHEADER_BUG = sys.version_info[:2] == (3, 11)
_FLAGS = type.__dict__["__flags__"].__get__  # never a metaclass's __getattribute__
# isinstance() may ask an object's __class__ (a property, a proxy's
# __getattr__): the flags of type(obj) say the same without user code.
_TYPE_SUBCLASS = 1 << 31
_DICT_SUBCLASS = 1 << 29


def _is_class(obj: Any) -> bool:
    return bool(_FLAGS(type(obj)) & _TYPE_SUBCLASS)


def _is_dict(obj: Any) -> bool:
    return bool(_FLAGS(type(obj)) & _DICT_SUBCLASS)


def preheader_traceback(obj: Any) -> Optional[tracemalloc.Traceback]:
    """3.11 only: ``tracemalloc.get_object_traceback`` looks for an instance
    with a managed dict one GC header before the object, where its memory
    block starts two pointers earlier (fixed in 3.12, python/cpython#101430).
    Ask tracemalloc for the right address through its C API."""
    if not _PREHEADER_BUG or not _FLAGS(type(obj)) & (1 << 4):  # Py_TPFLAGS_MANAGED_DICT
        return None
    if not _RAW_TRACEBACK:
        try:
            import ctypes

            f = ctypes.pythonapi._PyTraceMalloc_GetTraceback
            f.restype = ctypes.py_object
            f.argtypes = [ctypes.c_uint, ctypes.c_size_t]
            _RAW_TRACEBACK.append((f, 4 * ctypes.sizeof(ctypes.c_void_p)))
        except (ImportError, AttributeError, OSError):
            _RAW_TRACEBACK.append(None)
    found = _RAW_TRACEBACK[0]
    if found is None:
        return None
    f, pre = found
    frames = f(0, id(obj) - pre)
    return tracemalloc.Traceback(frames) if frames else None


def traceback_of(obj: Any) -> Optional[tracemalloc.Traceback]:
    tb = tracemalloc.get_object_traceback(obj) or preheader_traceback(obj)
    if tb is not None:
        return tb
    # An object from a free list, made before tracing started and reused, has
    # no trace of its own: use what it was built with, allocated nearby.
    for r in referents(obj):
        if _is_class(r):
            continue
        tb = tracemalloc.get_object_traceback(r)
        if tb is not None:
            return tb
    return None


def collect_garbage() -> None:
    """A full collection, so that only objects something holds are found."""
    gc.collect()


_C_FIND: Optional[Callable[[set[int]], list[Any]]]
try:  # the compiled search: the gc's lists read in C, no list of all objects
    from ._walker import find as _C_FIND
except ImportError:  # pragma: no cover - no compiler at install time
    _C_FIND = None


def objects_with_ids(ids: set[int]) -> list[Any]:
    """The gc-tracked live objects whose id() is in ``ids``."""
    if not ids:
        return []
    if _C_FIND is not None:
        found: list[Any] = _C_FIND(ids)
        return found
    with quiet_heap():  # a list of every object is alive: see quiet_heap
        return [o for o in gc.get_objects() if id(o) in ids]


def traced_objects(
    wanted: set[str],
    holders: list[Any],
    limit: int = 200,
    expect: Optional[dict[str, int]] = None,
) -> dict[str, list[Any]]:
    """For each type name in ``wanted``, up to ``limit`` live objects made
    under tracemalloc (newest first), found in the gc list and a few hops
    below ``holders``. ``expect`` says how many new objects of a type the
    traced calls made (the leak's rate times the calls): once every type
    has that many, the search may end. No other thread runs meanwhile (see
    quiet_heap)."""
    need = {n: max(1, min(limit, (expect or {}).get(n, limit))) for n in wanted}
    with quiet_heap():
        return _traced_objects(wanted, holders, limit, need)


# instances of these may be untracked by the gc (made of atoms): they are
# looked for below the new objects even when some are in the gc list
_MAYBE_UNTRACKED = _DICT_SUBCLASS | (1 << 26)  # Py_TPFLAGS_TUPLE_SUBCLASS


def _traced_objects(
    wanted: set[str], holders: list[Any], limit: int, need: dict[str, int]
) -> dict[str, list[Any]]:
    """The growing holders are searched first, then the gc list, newest
    first, in chunks that double: the objects a few traced calls made are
    at its end (the gc appends survivors), so the search usually ends after
    the first chunk, once every wanted type has the objects expected of it;
    a type found nowhere costs the whole list, as a single pass would."""
    raw_tb = _tracemalloc_raw  # None or raw frames; no Traceback object per object
    name_of = type_name
    found: dict[str, list[Any]] = {n: [] for n in wanted}
    fallback: list[Any] = []
    # The loop allocates nothing per object (no int from id() or range()):
    # under tracemalloc every allocation is traced, 4 us each. Types are
    # keyed by themselves when their metaclass is type (identity hash);
    # others by id(), never by a metaclass's __hash__ and __eq__.
    # Value: (wanted name or None, 3.11's pre-header lookup needed).
    by_type: dict[Any, tuple[Optional[str], bool]] = {}
    by_id: dict[int, tuple[Optional[str], bool]] = {}
    tracked: set[str] = set()  # wanted types whose objects the gc always tracks
    seen: set[int] = set()  # untracked objects met below the new ones

    def describe(tp: Any) -> tuple[Optional[str], bool]:
        flags = _FLAGS(tp)
        name = name_of(tp)
        if flags & _TYPE_SUBCLASS or name not in found:
            return None, False
        if not flags & _MAYBE_UNTRACKED:
            tracked.add(name)
        return name, bool(_PREHEADER_BUG and flags & (1 << 4))  # Py_TPFLAGS_MANAGED_DICT

    def done() -> bool:
        return all(len(found[n]) >= need[n] for n in wanted)

    _untracked_below(list(holders), found, limit, seen, tracked)
    objs = gc.get_objects()
    newest_first = reversed(objs)  # the gc appends survivors: newest last
    chunk = 16384
    fresh: list[Any] = []
    plain = type
    while not done():
        part = list(islice(newest_first, chunk))
        if not part:
            break
        for o in part:
            tp = type(o)
            if type(tp) is plain:
                known = by_type.get(tp)
                if known is None:
                    known = by_type[tp] = describe(tp)
            else:
                key = id(tp)
                known = by_id.get(key)
                if known is None:
                    known = by_id[key] = describe(tp)
            name, preheader = known
            if raw_tb(o) is not None or (preheader and preheader_traceback(o) is not None):
                fresh.append(o)
                if name is not None and len(found[name]) < limit:
                    found[name].append(o)
            elif name is not None and len(fallback) < limit * 10:
                fallback.append(o)  # from a free list, made before tracing: no trace
        part.clear()
        chunk *= 2
        _untracked_below(fresh, found, limit, seen, tracked)
        fresh.clear()
    by_type.clear()
    by_id.clear()
    del newest_first
    objs.clear()
    for o in fallback:
        name = name_of(type(o))
        if len(found[name]) < limit and traceback_of(o) is not None:
            found[name].append(o)
    fallback.clear()
    return found


def _untracked_below(
    fresh: list[Any], found: dict[str, list[Any]], limit: int, seen: set[int], tracked: set[str]
) -> None:
    """Untracked objects of the wanted types made under tracing, found a few
    hops below the new objects (or the growing holders). Types met in the
    gc list that the gc always tracks are not looked for here."""
    untracked = {n for n, v in found.items() if len(v) < limit and n not in tracked}
    if not untracked or len(seen) > 500_000:
        return
    raw_tb, name_of = _tracemalloc_raw, type_name
    layer = fresh
    for _ in range(3):
        nxt: list[Any] = []
        for o in layer:
            refs = referents(o)
            if _is_dict(o):  # the gc does not visit str keys
                refs.extend(dict.keys(o))
            for r in refs:
                i = id(r)
                if i in seen or _is_class(r) or gc.is_tracked(r):
                    continue
                seen.add(i)
                nxt.append(r)
                name = name_of(type(r))
                if name in untracked and len(found[name]) < limit and raw_tb(r) is not None:
                    found[name].append(r)
                    if len(found[name]) >= limit:
                        untracked.discard(name)
                        if not untracked:
                            return
        layer = nxt
        if len(seen) > 500_000:
            return
