"""DOES NOT LEAK (control): a codec search function registered once, looked up per call.

The importer registers one search function for its legacy alias at first
use (guarded by a flag) and then decodes every batch through it.
"""

from __future__ import annotations

import codecs
from typing import Any, Optional

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "codec search function registered once",
}

_STATE = {"registered": False}
_COUNTER = [0]


def _search(name: str) -> Optional[Any]:
    if name == "legacy_cp_once":
        return codecs.lookup("latin-1")
    return None


def teardown() -> None:
    if _STATE["registered"]:
        codecs.unregister(_search)
        _STATE["registered"] = False


def action() -> int:
    _COUNTER[0] += 1
    if not _STATE["registered"]:
        codecs.register(_search)
        _STATE["registered"] = True
    data = bytes(range(65, 91)) * 4
    return len(data.decode("legacy_cp_once"))
