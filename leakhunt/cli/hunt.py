"""``leakhunt hunt TARGET``: call an action again and again; report what leaks."""

from __future__ import annotations

import contextlib
import enum
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Optional

import typer

from ..analysis.graph_view import retainer_graph
from ..errors import UsageError
from ..files.atomic import make_dirs
from ..hunting import HuntResult, hunt
from ..hunting.target import load_target, target_failed
from ..outputs import write_graph
from ..render.dot import render_dot
from ..render.html import render_html
from ..render.html_hunt import hunt_report
from ..render.hunt import render_hunt_json, render_hunt_text
from ._common import (
    EXIT_GATE,
    EXIT_OK,
    PROG,
    OutputOpt,
    app,
    write_text,
)


class HuntKeys(str, enum.Enum):
    namespaces = "namespaces"
    names = "names"
    all = "all"


class HuntFormat(str, enum.Enum):
    table = "table"
    json = "json"


@contextlib.contextmanager
def _program_output_to_stderr() -> Iterator[None]:
    """The hunted program's prints go to stderr, at the file-descriptor level
    too, so that stdout carries only leakhunt's report (one JSON object with
    --format json)."""
    sys.stdout.flush()
    saved_fd: Optional[int] = None
    try:
        saved_fd = os.dup(1)
        os.dup2(2, 1)
    except OSError:
        saved_fd = None
    saved = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = saved
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        if saved_fd is not None:
            os.dup2(saved_fd, 1)
            os.close(saved_fd)


def _progress() -> Optional[Callable[[str], None]]:
    if not sys.stderr.isatty():
        return None

    def say(message: str) -> None:
        sys.stderr.write(f"\r\x1b[2K{PROG} hunt: {message}")
        sys.stderr.flush()

    return say


def _calling(fn: Callable[[], Any], name: str) -> Callable[[], Any]:
    def call() -> Any:
        try:
            return fn()
        except Exception as e:
            raise target_failed(f"{name}", e) from None

    return call


def _write_leak_graphs(result: HuntResult, directory: str) -> list[str]:
    """One referrer graph per leak, from the graph after the last call."""
    graph = result.final_graph
    if graph is None:
        return [f"--graph {directory}: no object graph was captured (no compiled walker)"]
    make_dirs(directory)  # private (0700), as every directory leakhunt creates
    fmt = "svg" if shutil.which("dot") else "dot"
    lines = []
    for i, leak in enumerate(result.leaks, 1):
        if not leak.nodes:
            continue
        view = retainer_graph(graph, list(leak.nodes), max_depth=10, max_nodes=60)
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in leak.type_name)
        written, message = write_graph(
            render_dot(view), os.path.join(directory, f"{i:02d}-{safe}.{fmt}")
        )
        lines.append(message or f"wrote {written}")
    return lines


@app.command(
    "hunt", short_help="Call an action again and again; report what leaks, who holds it, where."
)
def hunt_command(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET",
            show_default=False,
            help="path/to/file.py (calls its action(), after setup() if it has one), "
            "path/to/file.py:func, or package.module:func.",
        ),
    ],
    iterations: Annotated[
        int,
        typer.Option(
            "--iterations", "-n", min=3, metavar="N", help="Measured calls, a snapshot after each."
        ),
    ] = 10,
    warmup: Annotated[
        int,
        typer.Option(
            "--warmup",
            min=0,
            metavar="W",
            help="Calls before measuring, to fill caches and finish lazy set-up.",
        ),
    ] = 3,
    trace: Annotated[
        bool,
        typer.Option(
            "--trace/--no-trace",
            help="Record allocation sites with tracemalloc (slower calls; shows where "
            "leaked objects were made).",
        ),
    ] = True,
    paths: Annotated[
        bool,
        typer.Option(
            "--paths/--no-paths",
            help="Capture two object graphs to show who holds the leaked objects and which "
            "container grows.",
        ),
    ] = True,
    fmt: Annotated[
        HuntFormat,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="table for people; json prints exactly one JSON object on stdout.",
        ),
    ] = HuntFormat.table,
    output: OutputOpt = None,
    graph_dir: Annotated[
        Optional[str],
        typer.Option(
            "--graph",
            metavar="DIR",
            show_default=False,
            help="Write one referrer graph per leak into DIR (SVG; DOT without Graphviz).",
        ),
    ] = None,
    keys: Annotated[
        HuntKeys,
        typer.Option(
            "--keys",
            case_sensitive=False,
            help="Which dict keys retainer paths show: namespaces (names of globals and "
            "attributes only), names (also identifier-shaped keys of any dict), all.",
        ),
    ] = HuntKeys.namespaces,
    html: Annotated[
        Optional[str],
        typer.Option(
            "--html",
            metavar="FILE",
            show_default=False,
            help="Also write a self-contained HTML page of the result (with referrer graphs).",
        ),
    ] = None,
) -> int:
    """Find leaks by repeating an action: warm-up calls first, then a
    snapshot after every measured call. A leak is steady growth (not
    warm-up, not a cache that filled, not garbage cycles, not churn);
    each is shown with the path that holds it, the container that grows,
    and where its objects were allocated.

    Exit status: 0 no leak, 1 leak found, 2 bad target or arguments.
    The program's own output goes to stderr.
    """
    for flag, path in (("-o", output), ("--html", html)):
        if path is not None and path != "-" and os.path.isdir(path):
            raise UsageError(f"{flag} {path}: is a directory")
    say = _progress()
    with _program_output_to_stderr():
        loaded = load_target(target)
        result = hunt(
            _calling(loaded.fn, loaded.name),
            iterations=iterations,
            warmup=warmup,
            trace=trace,
            graph=paths,
            target=loaded.name,
            progress=say,
            keep_graph=graph_dir is not None or html is not None,
            keys=keys.value,
        )
    if say is not None:
        sys.stderr.write("\r\x1b[2K")
    if fmt is HuntFormat.json:
        text = render_hunt_json(result)
    else:
        text = render_hunt_text(result)
    write_text(text, output)
    if graph_dir is not None:
        for line in _write_leak_graphs(result, graph_dir):
            print(f"{PROG}: {line}", file=sys.stderr)
    if html is not None:
        write_text(render_html(hunt_report(result)), html)
        print(f"{PROG}: wrote {html}", file=sys.stderr)
    return EXIT_GATE if result.leaks else EXIT_OK
