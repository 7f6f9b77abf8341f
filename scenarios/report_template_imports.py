"""LEAKS: templates loaded as modules through ``importlib`` under a new name each call.

Report templates are Python files; the renderer loads each one with
``importlib.util.module_from_spec`` under a name that includes the report
id "to avoid clashes" and registers it in ``sys.modules``. Every report
adds a module that is never removed.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

EXPECT = {
    "leak": True,
    "types": ["module"],
    "retainer": [".modules"],
    "mechanism": "modules imported via importlib under a per-call name",
    "oracle": "modules",
}

_TEMPLATE = """
TITLE = "Monthly report"
COLUMNS = ("date", "amount", "customer")
def render(rows):
    return "\\n".join(",".join(str(r[c]) for c in COLUMNS) for r in rows)
"""


class _TemplateLoader(importlib.abc.Loader):
    def create_module(self, spec):  # type: ignore[no-untyped-def]
        return None

    def exec_module(self, module):  # type: ignore[no-untyped-def]
        exec(_TEMPLATE, module.__dict__)


_LOADER = _TemplateLoader()
_COUNTER = [0]
_PREFIX = "report_template_"


def teardown() -> None:
    for name in [n for n in sys.modules if n.startswith(_PREFIX)]:
        del sys.modules[name]


def action() -> int:
    _COUNTER[0] += 1
    name = f"{_PREFIX}{_COUNTER[0]}"
    spec = importlib.util.spec_from_loader(name, _LOADER)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    _LOADER.exec_module(module)
    rows = [{"date": "2026-01-01", "amount": i, "customer": f"c{i}"} for i in range(5)]
    return len(module.render(rows))
