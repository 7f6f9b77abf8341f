"""What a hunt asks of the live containers on a leak's retainer path: their
length now, and the bound they declare (a deque's ``maxlen``, an
``lru_cache``'s ``maxsize``, an object's ``maxsize``-like attribute).

Like the rest of capture, the only code here that touches live objects. It
calls no user code: lengths through the C slot of the builtin base type
(``list.__len__(x)``, never ``len(x)``), bounds only from C-level
descriptors or plain ``int`` data (an instance attribute, a slot, a class
constant), never through a property, ``__getattr__`` or
``__getattribute__`` of the object's class. ``functools``' C ``lru_cache``
wrapper answers ``cache_info()`` in C; a Python wrapper is not asked.
"""

from __future__ import annotations

import gc
import sys
import types
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Optional

from . import type_name

__all__ = [
    "BOUND_NAMES",
    "HolderFacts",
    "atexit_count",
    "holder_facts",
    "length_of",
    "live_objects",
    "registry_markers",
    "type_name",
]

#: Attribute names that declare a bound on what an object holds (compared
#: without leading underscores; a name-mangled ``_Cache__maxsize`` counts).
BOUND_NAMES = frozenset(
    {
        "maxsize",
        "max_size",
        "maxlen",
        "max_len",
        "max_length",
        "maxentries",
        "max_entries",
        "max_items",
        "max_workers",
        "max_connections",
        "max_idle",
        "capacity",
        "size_limit",
        "pool_size",
    }
)

_MRO = type.__dict__["__mro__"].__get__
_DICT = type.__dict__["__dict__"].__get__  # a class's own mappingproxy
_NAME = type.__dict__["__name__"].__get__
_FLAGS = type.__dict__["__flags__"].__get__
_HEAPTYPE = 1 << 9
_TYPE_SUBCLASS = 1 << 31
_MODULE_DICT: Any = vars(types.ModuleType)["__dict__"].__get__  # no module __getattr__
_SAFE_DESCRIPTORS = (types.MemberDescriptorType, types.GetSetDescriptorType)
_LENGTHS: tuple[tuple[type, Any], ...] = (
    (dict, dict.__len__),
    (list, list.__len__),
    (set, set.__len__),
    (frozenset, frozenset.__len__),
    (deque, deque.__len__),
    (bytearray, bytearray.__len__),
)
_PLAIN = (dict, list, set, frozenset, bytearray, OrderedDict)
try:
    import functools

    _LRU: Optional[type] = functools._lru_cache_wrapper
    _CACHE_INFO: Any = _DICT(_LRU)["cache_info"]
    if not isinstance(_LRU, type) or type(_CACHE_INFO) is not types.MethodDescriptorType:
        _LRU = None  # the pure-Python fallback: not asked
except (ImportError, AttributeError, KeyError):
    _LRU = None


@dataclass(frozen=True)
class HolderFacts:
    """One live object on a retainer path: its length (None when it is not
    a builtin container), and the bound it declares, if any."""

    type_name: str
    length: Optional[int]
    bound: Optional[int]
    attribute: str = ""


def _length(obj: Any, tp: type) -> Optional[int]:
    for base, length in _LENGTHS:
        if issubclass(tp, base):  # a builtin class: no __subclasscheck__ of the user's
            try:
                return int(length(obj))
            except Exception:
                return None
    return None


def _class_lookup(mro: Iterable[type], name: str) -> tuple[bool, Any]:
    for klass in mro:
        ns = _DICT(klass)
        if name in ns:  # a class namespace: str keys
            return True, ns[name]
    return False, None


def _declared(obj: Any, tp: type) -> tuple[str, Optional[int]]:
    """The first bound-like attribute of ``obj`` holding a positive int,
    read without running code of its class."""
    mro = _MRO(tp)
    mangled = [f"_{_NAME(k).lstrip('_')}__" for k in mro if _FLAGS(k) & _HEAPTYPE]
    names = sorted(BOUND_NAMES)
    candidates = [*names, *(f"_{n}" for n in names), *(m + n for m in mangled for n in names)]
    for name in candidates:
        found, attr = _class_lookup(mro, name)
        if found and not (type(attr) is int or any(type(attr) is d for d in _SAFE_DESCRIPTORS)):
            continue  # a property or another descriptor would run code
        try:
            value = object.__getattribute__(obj, name)
        except Exception:
            continue
        if type(value) is int and value > 0:
            return name, value
    return "", None


def _norm(name: str) -> str:
    return name.lower().replace("_", "")


def _named_bound(ns: Any, attribute: str) -> tuple[str, Optional[int]]:
    """In a module's or class's namespace, a positive int constant whose name
    says it bounds ``attribute`` (``_MAXCACHE`` for ``_cache``,
    ``MAX_SESSIONS`` for ``sessions``): a maximum named after the container."""
    want = _norm(attribute).rstrip("0123456789")
    if len(want) < 3:
        return "", None
    for key, value in dict.items(ns) if type(ns) is dict else ():
        if type(key) is not str or type(value) is not int or value <= 0:
            continue
        k = _norm(key)
        if any(w in k for w in ("max", "limit", "capacity")) and want.rstrip("s") in k:
            return key, value
    return "", None


def _facts(obj: Any, attribute: str = "") -> HolderFacts:
    tp = type(obj)
    name = type_name(tp)
    if attribute and (tp is types.ModuleType or _FLAGS(tp) & _TYPE_SUBCLASS):
        # a module or class that holds the container as ``attribute``
        try:
            ns = _MODULE_DICT(obj) if tp is types.ModuleType else dict(_DICT(obj))
            key, bound = _named_bound(ns, attribute)
        except Exception:
            key, bound = "", None
        return HolderFacts(name, None, bound, key)
    if _LRU is not None and tp is _LRU:
        try:
            info = _CACHE_INFO(obj)
            maxsize, size = tuple.__getitem__(info, 2), tuple.__getitem__(info, 3)
        except Exception:
            return HolderFacts(name, None, None)
        bound = maxsize if type(maxsize) is int and maxsize > 0 else None
        return HolderFacts(name, size if type(size) is int else None, bound, "maxsize")
    length = _length(obj, tp)
    if issubclass(tp, deque):
        maxlen = deque.__dict__["maxlen"].__get__(obj)
        return HolderFacts(name, length, maxlen if type(maxlen) is int else None, "maxlen")
    if length is not None and any(tp is t for t in _PLAIN):
        return HolderFacts(name, length, None)
    if issubclass(tp, type):
        return HolderFacts(name, length, None)  # a class: its attributes are not bounds
    try:
        attribute, bound = _declared(obj, tp)
    except Exception:
        attribute, bound = "", None
    return HolderFacts(name, length, bound, attribute)


def holder_facts(
    wanted: dict[int, str], attributes: Optional[dict[int, str]] = None
) -> dict[int, HolderFacts]:
    """Facts about the gc-tracked live objects whose ``id()`` is a key of
    ``wanted`` and whose type is named as its value (an address reused by
    an object of another type is not the same object). ``attributes`` names,
    for a module or class, the attribute that holds the container below it
    (its bound is a constant named after it)."""
    attributes = attributes or {}
    if not wanted:
        return {}
    out: dict[int, HolderFacts] = {}
    objs = gc.get_objects()
    try:
        for o in objs:
            i = id(o)
            want = wanted.get(i)
            if want is None or type_name(type(o)) != want:
                continue
            out[i] = _facts(o, attributes.get(i, ""))
    finally:
        objs.clear()
    return out


def live_objects(wanted: dict[int, str]) -> list[Any]:
    """The gc-tracked live objects whose ``id()`` is a key of ``wanted`` and
    whose type is named as its value, in no particular order."""
    if not wanted:
        return []
    found: list[Any] = []
    objs = gc.get_objects()
    try:
        for o in objs:
            want = wanted.get(id(o))
            if want is not None and type_name(type(o)) == want:
                found.append(o)
    finally:
        objs.clear()
    return found


def length_of(obj: Any) -> Optional[int]:
    """``len(obj)`` through the builtin base type's C slot (no user
    ``__len__``); None for an object that is no builtin container."""
    return _length(obj, type(obj))


def atexit_count() -> Optional[int]:
    """How many callbacks ``atexit`` holds (its C-level list cannot be
    enumerated, only counted); None when the interpreter does not say."""
    atexit = sys.modules.get("atexit")
    count = getattr(atexit, "_ncallbacks", None) if type(atexit) is types.ModuleType else None
    if count is None:
        return None
    try:
        n = count()
    except Exception:
        return None
    return n if type(n) is int else None


#: (module, attribute, registry): objects the standard library itself puts
#: in interpreter-held lists at import, which tell those lists apart.
_MARKERS = (
    ("threading", "_after_fork", "os.register_at_fork callbacks (after_in_child)"),
    ("random", "_inst", "os.register_at_fork callbacks (after_in_child)"),
    ("logging", "_acquireLock", "os.register_at_fork callbacks (before)"),
    ("logging", "_releaseLock", "os.register_at_fork callbacks (after)"),
    ("logging", "_prepareFork", "os.register_at_fork callbacks (before)"),
    ("logging", "_afterFork", "os.register_at_fork callbacks (after)"),
    ("encodings", "search_function", "codecs search functions (codecs.register)"),
)


def registry_markers() -> dict[int, str]:
    """``id()`` -> registry, for the stdlib objects of :data:`_MARKERS` that
    are loaded (a module's namespace read as a plain dict: no user code)."""
    out: dict[int, str] = {}
    modules = sys.modules
    for module_name, attribute, registry in _MARKERS:
        module = dict.get(modules, module_name) if type(modules) is dict else None
        if type(module) is not types.ModuleType:
            continue
        ns = _MODULE_DICT(module)
        value = dict.get(ns, attribute) if type(ns) is dict else None
        if value is not None:
            out[id(value)] = registry
    return out
