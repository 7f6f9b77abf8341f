"""DOES NOT LEAK (control): a plugin module rebuilt under the same name each call.

A hot-reloading plugin host rebuilds ``live_plugin`` from source on every
request and stores it in ``sys.modules`` under the same name: the new
module replaces the old one, which is freed.
"""

from __future__ import annotations

import sys
import types

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "module replaced in sys.modules under the same name",
}

_SOURCE = """
VERSION = {version}
def handle(x):
    return x * VERSION
"""
_NAME = "live_plugin_module"
_COUNTER = [0]


def teardown() -> None:
    sys.modules.pop(_NAME, None)


def action() -> int:
    _COUNTER[0] += 1
    module = types.ModuleType(_NAME)
    exec(_SOURCE.format(version=_COUNTER[0] % 5 + 1), module.__dict__)
    sys.modules[_NAME] = module
    return int(module.handle(3))
