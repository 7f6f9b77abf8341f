"""Renderers: one per output format, each a pure function from a view model
(:mod:`leakhunt.report`) to a string. Nothing here analyses or prints.

>>> from leakhunt.model import Snapshot, TypeStat
>>> from leakhunt.views import inspect_view
>>> s = Snapshot("demo", (TypeStat("dict", 2, 464),), 0.0, 0.0, 1, "3.11.7", "0.1.0")
>>> print(render_inspect(inspect_view(s), "json").splitlines()[1])
  "label": "demo",
"""

from __future__ import annotations

from typing import Literal

from ..views import DiffView, InspectView
from .json import render_diff_json, render_inspect_json
from .markdown import render_diff_markdown, render_inspect_markdown
from .text import DEFAULT_WIDTH, render_diff_text, render_inspect_text

__all__ = [
    "DEFAULT_WIDTH",
    "FORMATS",
    "Format",
    "format_for_path",
    "render_diff",
    "render_diff_json",
    "render_diff_markdown",
    "render_diff_text",
    "render_inspect",
    "render_inspect_json",
    "render_inspect_markdown",
    "render_inspect_text",
]

Format = Literal["table", "json", "markdown"]
FORMATS: tuple[Format, ...] = ("table", "json", "markdown")

_EXTENSIONS: dict[str, Format] = {".json": "json", ".md": "markdown", ".markdown": "markdown"}


def format_for_path(path: str) -> Format:
    """The format an output file's name asks for: ``.json``, ``.md`` or
    ``.markdown``; anything else gets the table.

    >>> format_for_path("leaks.md"), format_for_path("out/diff.JSON"), format_for_path("diff.txt")
    ('markdown', 'json', 'table')
    """
    lower = path.lower()
    for ext, fmt in _EXTENSIONS.items():
        if lower.endswith(ext):
            return fmt
    return "table"


def render_diff(
    view: DiffView, fmt: Format = "table", *, width: int = DEFAULT_WIDTH, color: bool = False
) -> str:
    """``view`` in format ``fmt``; ``width`` and ``color`` apply to the table."""
    if fmt == "json":
        return render_diff_json(view)
    if fmt == "markdown":
        return render_diff_markdown(view)
    if fmt == "table":
        return render_diff_text(view, width=width, color=color)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def render_inspect(
    view: InspectView, fmt: Format = "table", *, width: int = DEFAULT_WIDTH, color: bool = False
) -> str:
    """``view`` in format ``fmt``; ``width`` and ``color`` apply to the table."""
    if fmt == "json":
        return render_inspect_json(view)
    if fmt == "markdown":
        return render_inspect_markdown(view)
    if fmt == "table":
        return render_inspect_text(view, width=width, color=color)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
