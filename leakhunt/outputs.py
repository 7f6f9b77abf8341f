"""Writing what leakhunt renders: reports, pages and graph pictures, each
through the one atomic writer (:mod:`leakhunt.files.atomic`). Used by the
CLI and by :func:`leakhunt.show_retainers`.

>>> import os, tempfile
>>> out = os.path.join(tempfile.mkdtemp(), "leak.dot")
>>> write_graph("digraph { a -> b }\\n", out) == (out, None)
True
"""

from __future__ import annotations

import os
from typing import Optional, Union

from .errors import GraphWriteError
from .files.atomic import atomic_write

__all__ = ["write_bytes", "write_graph"]


def write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` atomically; OSError as the system says."""
    atomic_write(path, data, clobber=True)


def write_graph(dot_source: str, path: Union[str, os.PathLike[str]]) -> tuple[str, Optional[str]]:
    """Write ``dot_source`` to ``path`` in the format its extension names
    (``.svg``, ``.png``, ``.pdf``, or ``.dot`` for the source itself),
    atomically. Returns ``(path written, message)``.

    Pictures need Graphviz's ``dot`` program. Without it the source goes
    next to ``path`` (same name, ``.dot``) and ``message`` says how to
    install Graphviz; otherwise ``message`` is None. Raises GraphWriteError
    (one line naming the file) when Graphviz fails or the file cannot be
    written.
    """
    from .render.graphviz import graph_format_for_path, install_hint, run_dot

    target = os.fspath(path)
    fmt = graph_format_for_path(target)
    data: Optional[bytes] = dot_source.encode("utf-8")
    written, message = target, None
    if fmt != "dot":
        data = run_dot(dot_source, fmt, what=target)
    if data is None:
        written = os.path.splitext(target)[0] + ".dot"
        data = dot_source.encode("utf-8")
        message = (
            f"Graphviz 'dot' not found: wrote {written}; "
            f"install Graphviz ({install_hint()}) to get {target}"
        )
    try:
        atomic_write(written, data, clobber=True)
    except OSError as e:
        raise GraphWriteError(f"{written}: cannot write: {e.strerror or e}") from None
    return written, message
