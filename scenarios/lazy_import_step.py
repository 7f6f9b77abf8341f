"""DOES NOT LEAK (control): a lazy import on the eighth call (a one-off step).

The exporter imports its XML machinery only when the first XML export is
asked for, on the eighth call: ``sys.modules`` and a dozen types grow once,
in one step, and never again.
"""

from __future__ import annotations

import sys
import types

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "one-off step: lazily created modules on the eighth call",
}

_COUNTER = [0]
_PREFIX = "lazy_xml_support_"
_SOURCE = """
class Writer:
    def __init__(self):
        self.parts = []
    def element(self, tag, text):
        self.parts.append(f"<{tag}>{text}</{tag}>")
def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;")
"""


def teardown() -> None:
    for name in [n for n in sys.modules if n.startswith(_PREFIX)]:
        del sys.modules[name]


def _load_xml_support() -> None:
    # A package of eight modules appears at once, as a lazy import of a
    # library would bring it.
    for part in range(8):
        name = f"{_PREFIX}{part}"
        module = types.ModuleType(name)
        exec(_SOURCE, module.__dict__)
        sys.modules[name] = module


def action() -> int:
    _COUNTER[0] += 1
    if _COUNTER[0] == 8:
        _load_xml_support()
    if _COUNTER[0] >= 8:
        writer = sys.modules[f"{_PREFIX}0"].Writer()
        writer.element("total", _COUNTER[0])
        return len(writer.parts)
    return 0
