"""Back-reference graphs of the live heap: ``show_retainers(obj, "out.svg")``.

The live twin of ``leakhunt graph``: capture the object graph of this
process, find the objects asked about, and draw what keeps them alive with
the same renderer (:mod:`leakhunt.render.dot`).
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Union

from . import capture
from .errors import LeakhuntError
from .render.dot import (
    node_with_id,
    nodes_of_type,
    render_dot,
    retainer_graph,
    write_graph,
)

__all__ = ["show_retainers"]


def show_retainers(
    obj_or_type: Any,
    path: Union[str, os.PathLike[str]],
    *,
    max_depth: int = 10,
    max_nodes: int = 60,
) -> str:
    """Draw what keeps ``obj_or_type`` alive into ``path`` and return the
    name of the file written.

    Given a class, every live instance of it is explained (similar ones as
    one node, with their count); given anything else, that one object. The
    format follows ``path``'s extension: ``.svg``, ``.png``, ``.pdf`` (these
    need Graphviz's ``dot`` program) or ``.dot``. Without ``dot`` the DOT
    source is written next to ``path`` instead, its name is returned, and a
    LeakhuntWarning says how to install Graphviz.

    Raises LeakhuntError when the object is not on the captured heap or no
    instance of the class is alive.
    """
    caller = sys._getframe(1)
    try:
        graph = capture.live_graph("show_retainers", caller)
    finally:
        del caller
    if isinstance(obj_or_type, type):
        name = capture.type_name(obj_or_type)
        targets = nodes_of_type(graph, name)
        if not targets:
            raise LeakhuntError(f"no live object of type {name} on the heap")
    else:
        node = node_with_id(graph, id(obj_or_type))
        if node is None:
            name = capture.type_name(type(obj_or_type))
            raise LeakhuntError(
                f"{name} at {id(obj_or_type):#x} is not on the captured heap "
                "(leakhunt's own object, or created during the capture)"
            )
        targets = [node]
    view = retainer_graph(graph, targets, max_depth=max_depth, max_nodes=max_nodes)
    written, message = write_graph(render_dot(view), path)
    if message is not None:
        warnings.warn(capture.LeakhuntWarning(f"leakhunt: {message}"), stacklevel=2)
    return written
