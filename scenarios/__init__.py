"""Leak scenarios: plain modules with ``action()`` (one unit of work) and an
optional ``setup()``. Leaking ones and non-leaking controls live side by
side; tests assert each one's expected outcome."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

__all__ = ["expected"]


def expected(path: Path) -> dict[str, Any]:
    """A scenario's ``EXPECT``, read from its source as a literal (plain data
    by construction), without importing the module: reading the ground truth
    must not import asyncio, logging... into the reader."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["EXPECT"]:
            value = ast.literal_eval(node.value)
            if isinstance(value, dict):
                return value
    raise ValueError(f"{path}: no EXPECT = {{...}} literal")
