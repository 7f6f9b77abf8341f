"""``leakhunt graph SNAPSHOT``: draw what keeps objects alive."""

from __future__ import annotations

import difflib
import sys
from typing import Annotated, Optional

import typer

from ..analysis.graph_view import (
    node_with_id,
    nodes_of_type,
    retainer_graph,
    retainer_graph_of_clusters,
)
from ..analysis.retainers import cluster_paths
from ..errors import SnapshotFileError, UsageError
from ..files.snapshot_file import read_snapshot
from ..outputs import write_graph
from ..render.dot import render_dot
from ..render.graphviz import graph_format_for_path
from ._common import (
    EXIT_OK,
    PROG,
    ClickUsageError,
    app,
    default_output_name,
    write_text,
)


def _object_id(ctx: typer.Context, text: str) -> int:
    """``--id``: decimal, or hex with 0x."""
    t = text.strip().lower()
    try:
        value = int(t[2:], 16) if t.startswith("0x") else int(t, 10)
    except ValueError:
        value = -1
    if value < 0:
        raise typer.BadParameter(
            f"{text!r} is not an object id (decimal, or hex like 0x7f3a2c)",
            ctx=ctx,
            param_hint="'--id'",
        )
    return value


def _no_such_type(file: str, name: str, known: tuple[str, ...]) -> UsageError:
    # Users often type the bare class name; suggest the qualified ones.
    near = [t for t in known if t.endswith("." + name)]
    near += [t for t in difflib.get_close_matches(name, known, n=3) if t not in near]
    hint = f" (did you mean {', '.join(repr(t) for t in near[:3])}?)" if near else ""
    return UsageError(f"{file}: no object of type {name!r} in its graph{hint}")


@app.command("graph", short_help="Draw what keeps objects alive: SVG, PNG, PDF or DOT.")
def graph_command(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            metavar="SNAPSHOT",
            show_default=False,
            help="A snapshot file taken with graph=True.",
        ),
    ],
    output: Annotated[
        Optional[str],
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            show_default=False,
            help="Write the graph to FILE; its extension picks the format: .svg, .png, .pdf "
            "(these need Graphviz's 'dot') or .dot; '-' writes the DOT source to stdout. "
            "Default: SNAPSHOT's name with the type or id, as .svg, in the current directory.",
        ),
    ] = None,
    type_name: Annotated[
        Optional[str],
        typer.Option(
            "--type",
            metavar="T",
            show_default=False,
            help="Explain every object of type T (module.QualName, builtins bare: dict).",
        ),
    ] = None,
    object_id: Annotated[
        Optional[str],
        typer.Option(
            "--id",
            metavar="N",
            show_default=False,
            help="Explain the one object whose id() was N (decimal, or hex like 0x7f3a2c).",
        ),
    ] = None,
    cluster: Annotated[
        Optional[int],
        typer.Option(
            "--cluster",
            min=1,
            metavar="K",
            show_default=False,
            help="With --type: draw only the K-th cluster (1 = biggest) of its objects.",
        ),
    ] = None,
    max_depth: Annotated[
        int,
        typer.Option(
            "--max-depth",
            min=1,
            metavar="D",
            help="Walk at most D references back from the objects (the path to a root "
            "is always drawn; what lies beyond D is one '...' node).",
        ),
    ] = 10,
    max_nodes: Annotated[
        int,
        typer.Option("--max-nodes", min=1, metavar="M", help="Draw at most M objects."),
    ] = 60,
) -> int:
    """Draw why objects are alive: the objects that refer to them, back to
    the roots (modules, classes, thread stacks) that keep them alive.

    Similar objects (same path shape) are drawn once, as one node with their
    count and total bytes.
    """
    if (type_name is None) == (object_id is None):
        raise ClickUsageError("give exactly one of --type T or --id N", ctx)
    if cluster is not None and type_name is None:
        raise ClickUsageError("--cluster K needs --type T (the K-th cluster of type T)", ctx)
    oid = _object_id(ctx, object_id) if object_id is not None else None
    if output is None:
        output = default_output_name(file, type_name or object_id or "", cluster, ".svg")
    if output != "-":
        graph_format_for_path(output)  # a bad extension is bad usage: say so before loading
    graph = read_snapshot(file).graph
    if graph is None:
        raise SnapshotFileError(
            file, "has no object graph; take it with leakhunt.snapshot(..., graph=True)"
        )
    if type_name is not None:
        targets = nodes_of_type(graph, type_name)
        if not targets:
            raise _no_such_type(file, type_name, graph.type_names)
        if cluster is None:
            view = retainer_graph(graph, targets, max_depth=max_depth, max_nodes=max_nodes)
        else:
            clusters = cluster_paths(graph, targets)
            if cluster > len(clusters):
                raise UsageError(
                    f"{file}: --cluster {cluster}: the {len(targets):,} objects of type "
                    f"{type_name!r} form {len(clusters):,} "
                    f"cluster{'' if len(clusters) == 1 else 's'}"
                )
            view = retainer_graph_of_clusters(
                graph, [clusters[cluster - 1]], max_depth=max_depth, max_nodes=max_nodes
            )
    else:
        assert oid is not None
        node = node_with_id(graph, oid)
        if node is None:
            raise UsageError(f"{file}: no object with id {oid} ({oid:#x}) in its graph")
        view = retainer_graph(graph, [node], max_depth=max_depth, max_nodes=max_nodes)
    source = render_dot(view)
    if output == "-":
        write_text(source, None)
        return EXIT_OK
    written, message = write_graph(source, output)
    if message is not None:
        print(f"{PROG}: {message}", file=sys.stderr)
    else:
        objects = sum(1 for n in view.nodes if n.node is not None)
        sys.stdout.write(
            f"wrote {written}: {view.target_count:,} "
            f"object{'' if view.target_count == 1 else 's'} in {view.clusters:,} "
            f"cluster{'' if view.clusters == 1 else 's'} ({view.clusters_drawn:,} drawn), "
            f"{objects:,} objects in the picture\n"
        )
    return EXIT_OK
