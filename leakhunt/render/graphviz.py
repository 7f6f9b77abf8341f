"""Graphviz: the one place that runs the ``dot`` program, turning DOT text
into a picture (bytes). No files: writing the picture is
:func:`leakhunt.outputs.write_graph`'s job.

>>> graph_format_for_path("leak.SVG"), graph_format_for_path("out/leak.dot")
('svg', 'dot')
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Optional

from ..errors import GraphWriteError, UsageError

__all__ = ["GRAPH_FORMATS", "dot_available", "graph_format_for_path", "install_hint", "run_dot"]

#: Output file extension -> Graphviz output format ("dot": the source itself).
GRAPH_FORMATS: dict[str, str] = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
}
_DOT_TIMEOUT = 300


def install_hint() -> str:
    """The command that installs Graphviz on this platform."""
    if sys.platform == "darwin":
        return "brew install graphviz"
    if sys.platform == "win32":
        return "winget install graphviz"
    return "apt-get install graphviz"


def graph_format_for_path(path: str) -> str:
    """The Graphviz output format an output file's extension asks for; a
    UsageError naming the known extensions for anything else."""
    ext = os.path.splitext(path)[1].lower()
    fmt = GRAPH_FORMATS.get(ext)
    if fmt is None:
        known = ", ".join(e for e in GRAPH_FORMATS if e != ".gv")
        raise UsageError(f"{path}: cannot tell the graph format from the extension; use {known}")
    return fmt


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def run_dot(dot_source: str, fmt: str, *, what: str = "graph") -> Optional[bytes]:
    """``dot_source`` drawn by Graphviz in ``fmt`` (svg, png, pdf), or None
    when the ``dot`` program is not installed. Raises GraphWriteError
    (naming ``what``) when ``dot`` fails."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    try:
        proc = subprocess.run(
            [exe, f"-T{fmt}"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=_DOT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GraphWriteError(f"{what}: Graphviz 'dot' failed: {e}") from None
    if proc.returncode != 0:
        why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphWriteError(
            f"{what}: Graphviz 'dot' failed (exit {proc.returncode})"
            + (f": {why[0]}" if why else "")
        )
    return proc.stdout
