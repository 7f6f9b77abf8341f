"""LEAKS: a module created per call and kept in ``sys.modules``.

Each tenant's pricing rules are compiled into a module of their own,
``tenant_rules_<n>``, registered in ``sys.modules`` so that ``import``
finds it again; the tenant id is new on every request, so the registry of
modules grows by one module (and its functions) per call.
"""

from __future__ import annotations

import sys
import types

EXPECT = {
    "leak": True,
    "types": ["module"],
    "retainer": [".modules"],
    "mechanism": "module created per call and kept in sys.modules",
    "oracle": "modules",
}

_SOURCE = """
RATE = {rate}
def price(amount):
    return round(amount * RATE, 2)
def describe():
    return "tenant rate " + str(RATE)
"""
_COUNTER = [0]
_PREFIX = "tenant_rules_"


def teardown() -> None:
    for name in [n for n in sys.modules if n.startswith(_PREFIX)]:
        del sys.modules[name]


def action() -> float:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    name = f"{_PREFIX}{n}"
    module = types.ModuleType(name)
    exec(_SOURCE.format(rate=1 + n % 7 / 100), module.__dict__)
    sys.modules[name] = module
    return float(module.price(100.0))
