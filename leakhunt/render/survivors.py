"""``leakhunt diff BASELINE TARGET --final FINAL`` as text, Markdown or JSON."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from ..model.survivors import Survivors
from . import words

__all__ = ["render_survivors"]


def _wrap(text: str, indent: int, width: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(
        text, width=width, initial_indent=pad, subsequent_indent=pad, break_on_hyphens=False
    )


def _text(s: Survivors, width: int) -> str:
    lines = _wrap(words.survivors_title(s), 0, width)
    lines.append("")
    if not s.clusters:
        lines += _wrap(words.survivors_none(s), 0, width)
        return "\n".join(lines) + "\n"
    for i, c in enumerate(s.clusters, 1):
        lines += _wrap(words.survivor_line(i, c), 0, width)
        if c.path_text is not None:
            lines += _wrap(f"held by: {c.path_text}", 3, width)
        if c.container is not None:
            lines += _wrap(words.survivor_container(c), 3, width)
    if s.settled:
        lines.append("")
        lines += _wrap(words.survivors_settled(s), 0, width)
    return "\n".join(lines) + "\n"


def _markdown(s: Survivors) -> str:
    out = [f"## {words.survivors_title(s)}", ""]
    if not s.clusters:
        return "\n".join([*out, words.survivors_none(s), ""])
    for i, c in enumerate(s.clusters, 1):
        out.append(f"- **{words.survivor_line(i, c)}**")
        if c.path_text is not None:
            out.append(f"  - held by: `{c.path_text}`")
        if c.container is not None:
            out.append(f"  - {words.survivor_container(c)}")
    if s.settled:
        out += ["", words.survivors_settled(s)]
    return "\n".join([*out, ""])


def _json(s: Survivors) -> str:
    doc: dict[str, Any] = {
        "kind": "survivors",
        "baseline": s.baseline,
        "target": s.target,
        "final": s.final,
        "exact": s.exact,
        "candidates": s.candidates,
        "settled": s.settled,
        "clusters": [
            {
                "type": c.type_name,
                "count": c.count,
                "size": c.size,
                "retained": c.retained,
                "path": c.path_text,
                "more_after_target": c.more_after_target,
                "also": [{"type": name, "count": n} for name, n in c.also],
                "container": None
                if c.container is None
                else {
                    "type": c.container.type_name,
                    "path": c.container.path_text,
                    "length_baseline": c.container.length_a,
                    "length_target": c.length_target,
                    "length_final": c.container.length_b,
                    "unit": c.container.unit,
                },
            }
            for c in s.clusters
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def render_survivors(s: Survivors, fmt: str = "table", *, width: int = 100) -> str:
    """``s`` as ``table`` (text), ``markdown`` or ``json``."""
    if fmt == "json":
        return _json(s)
    if fmt == "markdown":
        return _markdown(s)
    return _text(s, width)
