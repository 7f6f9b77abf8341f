"""``leakhunt graph SNAPSHOT`` (or ``graph A B``: only the objects new in
B): draw what keeps objects alive."""

from __future__ import annotations

import difflib
import sys
from typing import Annotated, Optional

import typer

from ..analysis.graph_view import (
    RetainerGraph,
    growth_clusters,
    node_with_id,
    nodes_of_type,
    retainer_graph,
    retainer_graph_of_clusters,
)
from ..analysis.retainers import cluster_paths
from ..errors import SnapshotFileError, UsageError
from ..files.snapshot_file import read_snapshot
from ..model import HeapGraph, Snapshot
from ..outputs import write_graph
from ..render.dot import render_dot
from ..render.graphviz import graph_format_for_path
from ..render.progress import progress_bar
from ..render.words import graph_file_name
from ._common import (
    EXIT_OK,
    PROG,
    ClickUsageError,
    app,
    read_pair,
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


def _graph_of(s: Snapshot, file: str) -> HeapGraph:
    if s.graph is None:
        raise SnapshotFileError(
            file, "has no object graph; take it with leakhunt.snapshot(..., graph=True)"
        )
    return s.graph


def _one_snapshot(
    file: str, type_name: Optional[str], oid: Optional[int], cluster: Optional[int], **limits: int
) -> RetainerGraph:
    graph = _graph_of(read_snapshot(file), file)
    if type_name is not None:
        targets = nodes_of_type(graph, type_name)
        if not targets:
            raise _no_such_type(file, type_name, graph.type_names)
        if cluster is None:
            return retainer_graph(graph, targets, **limits)
        clusters = cluster_paths(graph, targets)
        if cluster > len(clusters):
            raise UsageError(
                f"{file}: --cluster {cluster}: the {len(targets):,} objects of type "
                f"{type_name!r} form {len(clusters):,} "
                f"cluster{'' if len(clusters) == 1 else 's'}"
            )
        return retainer_graph_of_clusters(graph, [clusters[cluster - 1]], **limits)
    assert oid is not None
    node = node_with_id(graph, oid)
    if node is None:
        raise UsageError(f"{file}: no object with id {oid} ({oid:#x}) in its graph")
    return retainer_graph(graph, [node], **limits)


def _new_in_b(
    a_file: str, b_file: str, type_name: str, cluster: Optional[int], **limits: int
) -> RetainerGraph:
    with progress_bar("graph") as say:
        d = read_pair(a_file, b_file, say)
        a, b = _graph_of(d.a, a_file), _graph_of(d.b, b_file)
        if type_name not in b.type_names:
            raise _no_such_type(b_file, type_name, b.type_names)
        if say is not None:
            say("clusters of the new objects", 0.0)
        v8 = d.a.format_version == "v8" and d.b.format_version == "v8"  # ids objects keep
        change, clusters = growth_clusters(a, b, type_name, by_id=v8)
    if not clusters:
        raise UsageError(
            f"{b_file}: no object of type {type_name!r} is new in a cluster that grew "
            f"since {a_file} ({change.new:,} new, {change.deleted:,} deleted)"
        )
    if cluster is not None:
        if cluster > len(clusters):
            raise UsageError(
                f"{b_file}: --cluster {cluster}: the growth of {type_name!r} since {a_file} "
                f"forms {len(clusters):,} cluster{'' if len(clusters) == 1 else 's'}"
            )
        clusters = [clusters[cluster - 1]]
    return retainer_graph_of_clusters(b, clusters, **limits)


@app.command("graph", short_help="Draw what keeps objects alive: SVG, PNG, PDF or DOT.")
def graph_command(
    ctx: typer.Context,
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="SNAPSHOT [B]",
            show_default=False,
            help="A snapshot file taken with graph=True; or two, A and B: then only the "
            "objects new in B are drawn, in the clusters that grew (as leakhunt diff "
            "numbers them).",
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
            "Default: TYPE.svg, TYPE-K.svg with --cluster K, object-ID.svg with --id.",
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
    if len(files) > 2:
        raise ClickUsageError("give one snapshot, or two (A and B)", ctx)
    if (type_name is None) == (object_id is None):
        raise ClickUsageError("give exactly one of --type T or --id N", ctx)
    if cluster is not None and type_name is None:
        raise ClickUsageError("--cluster K needs --type T (the K-th cluster of type T)", ctx)
    if len(files) == 2 and type_name is None:
        raise ClickUsageError("with two snapshots, give --type T (the objects of T new in B)", ctx)
    oid = _object_id(ctx, object_id) if object_id is not None else None
    if output is None:
        output = graph_file_name(type_name, cluster, oid)
    if output != "-":
        graph_format_for_path(output)  # a bad extension is bad usage: say so before loading
    limits = {"max_depth": max_depth, "max_nodes": max_nodes}
    if len(files) == 2:
        assert type_name is not None
        view = _new_in_b(files[0], files[1], type_name, cluster, **limits)
    else:
        view = _one_snapshot(files[0], type_name, oid, cluster, **limits)
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
            f"object{'' if view.target_count == 1 else 's'}"
            f"{' new in B' if len(files) == 2 else ''} in {view.clusters:,} "
            f"cluster{'' if view.clusters == 1 else 's'} ({view.clusters_drawn:,} drawn), "
            f"{objects:,} objects in the picture\n"
        )
    return EXIT_OK
