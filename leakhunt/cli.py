"""The ``leakhunt`` command: each subcommand loads, computes a view, renders
and writes. No analysis lives here.

Only this module imports typer. :func:`main` is the one place where errors
become exit codes:

- 0: done;
- 1: ``--fail-on-growth`` tripped (a CI gate, not an error);
- 2: bad usage or bad input (a missing or unreadable snapshot file, an
  output file that cannot be written), as one line on stderr;
- 3: a bug in leakhunt (the traceback is printed: please report it).
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Annotated, Any, Optional

import typer

from ._version import __version__
from .diff import diff
from .errors import LeakhuntError, SnapshotFileError, TargetError, UsageError
from .hunt import HuntResult, hunt
from .render import DEFAULT_WIDTH, Format, format_for_path, render_diff, render_inspect
from .render._fmt import fmt_bytes
from .render.dot import (
    graph_format_for_path,
    node_with_id,
    nodes_of_type,
    render_dot,
    retainer_graph,
    retainer_graph_of_clusters,
    write_graph,
)
from .render.html import render_html
from .render.html_diff import diff_report
from .render.html_hunt import hunt_report
from .render.hunt import render_hunt_json, render_hunt_text
from .report import diff_view, growth_at_least, inspect_view
from .retainers import cluster_paths
from .storage import _atomic_write, read_snapshot
from .target import load_target, target_failed

__all__ = ["EXIT_BAD_INPUT", "EXIT_GATE", "EXIT_INTERNAL", "EXIT_OK", "app", "main", "run"]

EXIT_OK = 0
EXIT_GATE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

PROG = "leakhunt"

HELP = f"""Find what grows on a Python heap: diff snapshots taken at checkpoints.

\b
Example workflow:
  leakhunt.snapshot("before")  # in your code, before the suspect action
  leakhunt.snapshot("after")   # and after it; files go to ./leakhunt-snapshots/
  leakhunt diff leakhunt-snapshots/0001-before.lhs.json.gz leakhunt-snapshots/0002-after.lhs.json.gz

\b
Or let leakhunt repeat the action and judge:
  leakhunt hunt app/handlers.py:handle_request --iterations 10

Exit codes: {EXIT_OK} done, {EXIT_GATE} --fail-on-growth tripped or a leak found, {EXIT_BAD_INPUT}
bad usage or input, {EXIT_INTERNAL} a bug in leakhunt.
"""


class SortBy(str, enum.Enum):
    """Which growth puts a type first."""

    BYTES = "bytes"
    COUNT = "count"


class OutputFormat(str, enum.Enum):
    """What the report looks like."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


class _GateTripped(LeakhuntError):
    """``--fail-on-growth`` found types that grew too much; str() is the
    line for stderr."""


class _OutputError(LeakhuntError):
    """The report could not be written where ``-o`` said."""


# ------------------------------------------------------------------ options

SnapshotA = Annotated[
    str, typer.Argument(metavar="A", show_default=False, help="The earlier snapshot file.")
]
SnapshotB = Annotated[
    str, typer.Argument(metavar="B", show_default=False, help="The later snapshot file.")
]
# Shared by both commands, so the same option reads the same everywhere.

DiffSortOpt = Annotated[
    SortBy,
    typer.Option(
        "--sort",
        case_sensitive=False,
        help="Put first the types that grew most in bytes, or in object count.",
    ),
]
InspectSortOpt = Annotated[
    SortBy,
    typer.Option(
        "--sort",
        case_sensitive=False,
        help="Put first the types that take most bytes, or have most objects.",
    ),
]
TopOpt = Annotated[
    int, typer.Option("--top", min=0, metavar="N", help="Show at most N types; 0 shows all.")
]
FormatOpt = Annotated[
    Optional[OutputFormat],
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        show_default=False,
        help="Output format: table, json or markdown. "
        "Default: table, or what the --output file's extension says (.json, .md).",
    ),
]
OutputOpt = Annotated[
    Optional[str],
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        show_default=False,
        help="Write the report to FILE (replaced atomically) instead of stdout; '-' is stdout.",
    ),
]

app = typer.Typer(
    name=PROG,
    help=HELP,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"{PROG} {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print leakhunt's version and exit.",
        ),
    ] = False,
) -> None:
    # the app's help text is HELP; a docstring here would replace it
    pass


# ------------------------------------------------------------------ output


def _format(fmt: Optional[OutputFormat], output: Optional[str]) -> Format:
    if fmt is not None:
        return fmt.value
    return format_for_path(output) if output and output != "-" else "table"


def _to_stdout(output: Optional[str]) -> bool:
    return output is None or output == "-"


def _width(output: Optional[str]) -> int:
    """$COLUMNS if set, else the terminal's width when stdout is one, else a
    fixed width so that files and CI logs do not depend on who ran it."""
    if _to_stdout(output):
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else DEFAULT_WIDTH


def _color(output: Optional[str]) -> bool:
    return _to_stdout(output) and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _file_mode(path: str) -> int:
    """The mode of the file being replaced, else what open() would give."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write(text: str, output: Optional[str]) -> None:
    if _to_stdout(output):
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            # the reader (| head) has all it wants; keep the gate's verdict
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return
    assert output is not None
    directory = os.path.dirname(os.path.abspath(output))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".leakhunt-", suffix=".tmp", dir=directory)
    except OSError as e:
        raise _OutputError(f"{output}: cannot write: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        # mkstemp makes the file private; a report gets the usual permissions
        os.chmod(tmp, _file_mode(output))
        os.replace(tmp, output)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _OutputError(f"{output}: cannot write: {e.strerror or e}") from None


# ------------------------------------------------------------------ commands


@app.command("diff", short_help="Which types grew between two snapshots, biggest first.")
def diff_command(
    a: SnapshotA,
    b: SnapshotB,
    sort: DiffSortOpt = SortBy.BYTES,
    top: TopOpt = 20,
    min_count: Annotated[
        int,
        typer.Option(
            "--min-count",
            min=0,
            metavar="N",
            help="Only types whose object count changed by at least N. "
            "0 also lists types whose count held but whose bytes grew.",
        ),
    ] = 1,
    show_all: Annotated[
        bool,
        typer.Option("--all", help="Also list types that shrank, after the ones that grew."),
    ] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fail_on_growth: Annotated[
        Optional[int],
        typer.Option(
            "--fail-on-growth",
            min=1,
            metavar="N",
            show_default=False,
            help="A CI gate: exit 1 when any type grew by N objects or more "
            "(all types count, whatever --top and --min-count show).",
        ),
    ] = None,
    paths: Annotated[
        bool,
        typer.Option(
            "--paths/--no-paths",
            help="With graph snapshots (snapshot(..., graph=True)): under each grown type, "
            "what holds the new objects, the container that grew, and the bytes it retains.",
        ),
    ] = True,
    retained: Annotated[
        bool,
        typer.Option(
            "--retained/--no-retained",
            help="Compute retained sizes (a dominator tree: the slowest step on big graphs).",
        ),
    ] = True,
) -> int:
    """Show which types grew between snapshot A and snapshot B, biggest first.

    The header gives both labels, the time between them and the change in
    RSS, object count and bytes. When both snapshots hold an object graph,
    each grown type also says what keeps its new objects alive.
    """
    d = diff(read_snapshot(a), read_snapshot(b))
    view = diff_view(
        d,
        sort=sort.value,
        top=top,
        min_count=min_count,
        include_shrinking=show_all,
        paths=paths,
        retained=retained,
    )
    _write(
        render_diff(view, _format(fmt, output), width=_width(output), color=_color(output)),
        output,
    )
    if fail_on_growth is not None:
        tripped = growth_at_least(d, fail_on_growth)
        if tripped:
            shown = ", ".join(f"{t.name} (+{t.count_delta:,})" for t in tripped[:5])
            more = f" and {len(tripped) - 5} more" if len(tripped) > 5 else ""
            noun = "type" if len(tripped) == 1 else "types"
            raise _GateTripped(
                f"{PROG}: --fail-on-growth {fail_on_growth} tripped: {len(tripped)} {noun} "
                f"grew by {fail_on_growth:,} objects or more between "
                f"{d.a.display_label} and {d.b.display_label}: {shown}{more}"
            )
    return EXIT_OK


@app.command("inspect", short_help="One snapshot: its header and its biggest types.")
def inspect_command(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", show_default=False, help="The snapshot file to show."),
    ],
    sort: InspectSortOpt = SortBy.BYTES,
    top: TopOpt = 20,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> int:
    """Show one snapshot: when and where it was taken, process memory, gc
    state, totals, and its biggest types."""
    view = inspect_view(
        read_snapshot(file),
        sort=sort.value,
        top=top,
    )
    _write(
        render_inspect(view, _format(fmt, output), width=_width(output), color=_color(output)),
        output,
    )
    return EXIT_OK


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
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            show_default=False,
            help="Write the graph to FILE; its extension picks the format: .svg, .png, .pdf "
            "(these need Graphviz's 'dot') or .dot; '-' writes the DOT source to stdout.",
        ),
    ],
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
        raise _UsageError("give exactly one of --type T or --id N", ctx)
    if cluster is not None and type_name is None:
        raise _UsageError("--cluster K needs --type T (the K-th cluster of type T)", ctx)
    oid = _object_id(ctx, object_id) if object_id is not None else None
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
        _write(source, None)
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


# ------------------------------------------------------------------ hunt


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
    os.makedirs(directory, exist_ok=True)
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
        )
    if say is not None:
        sys.stderr.write("\r\x1b[2K")
    if fmt is HuntFormat.json:
        text = render_hunt_json(result)
    else:
        text = render_hunt_text(result)
    _write(text, output)
    if graph_dir is not None:
        for line in _write_leak_graphs(result, graph_dir):
            print(f"{PROG}: {line}", file=sys.stderr)
    if html is not None:
        _write(render_html(hunt_report(result)), html)
        print(f"{PROG}: wrote {html}", file=sys.stderr)
    return EXIT_GATE if result.leaks else EXIT_OK


# ------------------------------------------------------------------ report (HTML)


@app.command("report", short_help="One self-contained HTML page: summary, growth, graphs.")
def report_command(
    a: SnapshotA,
    b: SnapshotB,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            show_default=False,
            help="Write the HTML page to FILE (replaced atomically); '-' is stdout.",
        ),
    ],
    top: Annotated[
        int,
        typer.Option("--top", min=0, metavar="N", help="Show at most N grown types; 0 shows all."),
    ] = 50,
    max_graphs: Annotated[
        int,
        typer.Option(
            "--max-graphs",
            min=0,
            metavar="N",
            help="Draw the referrer graph of at most N retainer-path clusters.",
        ),
    ] = 10,
    retained: Annotated[
        bool,
        typer.Option(
            "--retained/--no-retained",
            help="Compute retained sizes (a dominator tree: the slowest step on big graphs).",
        ),
    ] = True,
    timeline: Annotated[
        Optional[str],
        typer.Option(
            "--timeline",
            metavar="FILE",
            show_default=False,
            help="Add a memory timeline (from leakhunt.monitor or leakhunt run): its chart "
            "with markers, and how much of the rise happened inside each span.",
        ),
    ] = None,
) -> int:
    """Write one self-contained HTML page about what grew from snapshot A to
    snapshot B: a summary, the growth table (sortable, filterable), and for
    graph snapshots what holds the new objects, with referrer graphs drawn
    inline (needs Graphviz's 'dot'). The page loads nothing from the
    network: attach it to a bug report or publish it from CI."""
    if not _to_stdout(output) and not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        # say so before the slow part, not after
        raise _OutputError(f"{output}: cannot write: No such file or directory")
    section = None
    if timeline is not None:
        from .render.html_timeline import timeline_section
        from .timeline import load_timeline, summarize

        tl = load_timeline(timeline)  # a bad file is one line, before the slow part
        section = timeline_section(tl, summarize(tl))
    page = diff_report(
        diff(read_snapshot(a), read_snapshot(b)),
        top=top,
        max_graphs=max_graphs,
        retained=retained,
    )
    if section is not None:
        page = replace(page, timeline=section)
    text = render_html(page)
    _write(text, output)
    if any("Graphviz" in n for n in page.notes):
        print(
            f"{PROG}: note: Graphviz 'dot' not found: the page shows retainer paths "
            "without graphs; install Graphviz to draw them",
            file=sys.stderr,
        )
    if not _to_stdout(output):
        graphs = sum(1 for c in page.clusters if c.graph_svg)
        sys.stdout.write(
            f"wrote {output} ({fmt_bytes(len(text.encode('utf-8')))}): "
            f"{len(page.growth) + page.growth_omitted:,} grown types, "
            f"{len(page.clusters) + page.clusters_omitted:,} retainer-path clusters, "
            f"{graphs:,} graphs\n"
        )
    return EXIT_OK


# ------------------------------------------------------------------ timeline commands
# leakhunt run / snapshot / timeline: the memory timeline (issue 6).

_PYTHON_RE = re.compile(r"(python|pypy)[0-9.]*(\.exe)?", re.IGNORECASE)
_PYTHON_OPTS_WITH_VALUE = ("-X", "-W", "--check-hash-based-pycs")


def _split_python_command(cmd: list[str]) -> tuple[str, list[str], str, str, list[str]]:
    """``python [options] script.py|-m module|-c code [args]`` ->
    (interpreter, options, mode, target, args)."""
    usage = "give the program after '--': leakhunt run -- python script.py [ARGS]"
    if not cmd:
        raise UsageError(f"run: no program to run; {usage}")
    exe, rest = cmd[0], cmd[1:]
    if exe.endswith(".py"):  # leakhunt run -- script.py: this interpreter
        exe, rest = sys.executable, cmd
    elif not _PYTHON_RE.fullmatch(os.path.basename(exe)):
        raise UsageError(
            f"run: {exe!r} is not a Python interpreter; {usage} (or -m module, or -c code)"
        )
    found = shutil.which(exe)
    if found is None:
        raise UsageError(f"run: {exe}: no such program")
    opts: list[str] = []
    i = 0
    while i < len(rest):
        a = rest[i]
        for flag, mode in (("-m", "module"), ("-c", "code")):
            if a == flag or (a.startswith(flag) and not a.startswith("--")):
                target = a[2:] if len(a) > 2 else (rest[i + 1] if i + 1 < len(rest) else "")
                if not target:
                    raise UsageError(f"run: {flag} needs an argument")
                return found, opts, mode, target, rest[i + (1 if len(a) > 2 else 2) :]
        if a == "-":
            raise UsageError("run: a program read from stdin ('-') cannot be monitored")
        if a.startswith("-"):
            if a in _PYTHON_OPTS_WITH_VALUE and i + 1 < len(rest):
                opts += [a, rest[i + 1]]
                i += 2
            else:
                opts.append(a)
                i += 1
            continue
        if not os.path.isfile(a):
            raise UsageError(f"run: {a}: no such script")
        return found, opts, "script", a, rest[i + 1 :]
    raise UsageError(f"run: no script, -m module or -c code after {exe!r}; {usage}")


@app.command(
    "run",
    short_help="Run a Python program under the memory monitor (a timeline file).",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def run_command(
    command: Annotated[
        list[str],
        typer.Argument(
            metavar="PROGRAM",
            show_default=False,
            help="After '--', the program as you would start it: python [OPTIONS] "
            "script.py [ARGS], python -m module [ARGS] or python -c code [ARGS].",
        ),
    ],
    output: Annotated[
        str,
        typer.Option("--output", "-o", metavar="FILE", help="The timeline file (JSON Lines)."),
    ] = "leakhunt-timeline.jsonl",
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.01, metavar="S", help="Seconds between samples."),
    ] = 1.0,
    types_every: Annotated[
        int,
        typer.Option(
            "--types-every",
            min=0,
            metavar="N",
            help="Count objects by type every N-th sample (0: never).",
        ),
    ] = 10,
    snapshot_at_exit: Annotated[
        bool,
        typer.Option("--snapshot-at-exit", help="Take a snapshot when the program ends."),
    ] = False,
    snapshot_dir: Annotated[
        Optional[str],
        typer.Option(
            "--snapshot-dir",
            metavar="DIR",
            show_default=False,
            help="Where snapshots go (default: $LEAKHUNT_DIR, else ./leakhunt-snapshots).",
        ),
    ] = None,
    signal_name: Annotated[
        str,
        typer.Option(
            "--signal",
            metavar="SIG",
            envvar="LEAKHUNT_SIGNAL",
            help="On this signal the program writes a snapshot (leakhunt snapshot PID); "
            "'none' installs no handler.",
        ),
    ] = "USR2",
    graph: Annotated[
        bool,
        typer.Option("--graph", help="Snapshots hold the object graph (for retainer paths)."),
    ] = False,
    trace: Annotated[
        bool,
        typer.Option(
            "--tracemalloc",
            help="Trace Python allocations (tracemalloc): spans are then attributed by "
            "traced memory too, which RSS cannot do precisely. Slows the program down.",
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Do not print the pid line on stderr.")
    ] = False,
) -> int:
    """Run a Python program under the memory monitor, without changing its
    code, and pass its exit code through.

    The program runs in this process (exec), so its pid is the one printed;
    its threads are seen (memory is per process). Subprocesses it starts
    are not monitored: the settings are removed from their environment, and
    a forked child stops writing to the timeline. Then: leakhunt timeline FILE.
    """
    exe, opts, mode, target, args = _split_python_command(command)
    signum: Optional[int] = None
    if signal_name.strip().lower() not in ("", "none", "0", "no"):
        from .ondemand import signal_number

        signum = signal_number(signal_name)
    directory = snapshot_dir or os.environ.get("LEAKHUNT_DIR") or "leakhunt-snapshots"
    config: dict[str, Any] = {
        "timeline": os.path.abspath(output),
        "interval": interval,
        "types_every": types_every,
        "snapshot_at_exit": snapshot_at_exit,
        "snapshot_dir": os.path.abspath(directory),
        "signal": signum,
        "graph": graph,
        "tracemalloc": trace,
    }
    # leakhunt and its dependencies for an interpreter that lacks them:
    # appended, so the program's own packages come first
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    config["path"] = [here] + [
        p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p)
    ]
    env = dict(os.environ)
    env["LEAKHUNT_RUN"] = json.dumps(config)
    boot = (
        "import json, os, sys; sys.path.extend(p for p in json.loads(os.environ.get("
        "'LEAKHUNT_RUN', '{}')).get('path', ()) if p not in sys.path); "
        "from leakhunt._run import bootstrap; bootstrap()"
    )
    argv = [exe, *opts, "-c", boot, mode, target, *args]
    if not quiet:
        sig = "" if signum is None else f"; snapshot on demand: leakhunt snapshot {os.getpid()}"
        print(f"{PROG} run: pid {os.getpid()}, timeline {output}{sig}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name != "posix":  # pragma: no cover (no exec on Windows)
        return subprocess.call(argv, env=env)
    try:
        os.execve(exe, argv, env)
    except OSError as e:
        raise UsageError(f"run: cannot start {exe}: {e.strerror or e}") from None
    return EXIT_OK  # pragma: no cover


@app.command("snapshot", short_help="Ask a running process for a snapshot (by signal).")
def snapshot_command(
    pid: Annotated[
        int,
        typer.Argument(
            metavar="PID",
            show_default=False,
            help="A process started by 'leakhunt run' or that called "
            "leakhunt.install_signal_handler().",
        ),
    ],
    wait: Annotated[
        float,
        typer.Option("--wait", min=0.0, metavar="SECONDS", help="Give up after SECONDS."),
    ] = 60.0,
) -> int:
    """Send the process its snapshot signal and print the path of the
    snapshot file it writes, once written."""
    from .ondemand import read_receipt, receipt_path, same_process

    def alive() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            raise UsageError(f"snapshot: not allowed to signal process {pid}") from None
        return True

    if pid <= 0 or not alive():
        raise UsageError(f"snapshot: no process with pid {pid}")
    receipt = read_receipt(pid)
    if receipt is None or not same_process(receipt):
        raise UsageError(
            f"snapshot: process {pid} has no leakhunt signal handler (no {receipt_path(pid)}); "
            "start it with 'leakhunt run' or call leakhunt.install_signal_handler()"
        )
    before = receipt.get("seq", 0)
    os.kill(pid, int(receipt["signal"]))
    deadline = time.monotonic() + wait
    while True:
        r = read_receipt(pid)
        if r is not None and r.get("seq", 0) != before:
            if r.get("path"):
                sys.stdout.write(f"{r['path']}\n")
                return EXIT_OK
            raise UsageError(f"snapshot: process {pid} could not write one: {r.get('error')}")
        if not alive():
            raise UsageError(f"snapshot: process {pid} exited before writing a snapshot")
        if time.monotonic() >= deadline:
            raise UsageError(f"snapshot: no snapshot from process {pid} within {wait:g} s")
        time.sleep(0.05)


@app.command("timeline", short_help="Plot and summarise a timeline: when memory grew, where.")
def timeline_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE", show_default=False, help="A timeline (leakhunt run, monitor())."
        ),
    ],
    output: Annotated[
        Optional[str],
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            show_default=False,
            help="Draw the timeline to FILE: .svg, .png, or .html (picture and summary).",
        ),
    ] = None,
    text: Annotated[
        bool,
        typer.Option("--text", help="Also print the summary when drawing (-o)."),
    ] = False,
) -> int:
    """Summarise a timeline: how much memory rose, the biggest rises, and
    how much of the rise happened inside each span ('93% of the rise
    happened inside ...'); with -o, also draw it."""
    from .render.timeline import (
        image_format_for_path,
        render_timeline_html,
        render_timeline_image,
        render_timeline_text,
    )
    from .timeline import load_timeline, summarize

    fmt = image_format_for_path(output) if output else None
    tl = load_timeline(file)
    summary = summarize(tl)
    if output:
        if fmt == "html":
            data = render_timeline_html(tl, summary).encode("utf-8")
        else:
            data = render_timeline_image(tl, summary, "png" if fmt == "png" else "svg")
        try:
            _atomic_write(data, output, clobber=True)
        except OSError as e:
            raise _OutputError(f"{output}: cannot write: {e.strerror or e}") from None
        if not text:
            for note in summary.notes:
                print(f"{PROG}: note: {file}: {note}", file=sys.stderr)
            sys.stdout.write(f"wrote {output}\n")
    if text or not output:
        _write(render_timeline_text(tl, summary), None)
    return EXIT_OK


# ------------------------------------------------------------------ entry points


def _usage_error_class() -> type[Exception]:
    # typer >= 0.26 vendors click and does not re-export UsageError;
    # BadParameter is public in every version and derives from it.
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "UsageError":
            return cls
    return typer.BadParameter  # pragma: no cover


_UsageError = _usage_error_class()


def _usage_line(e: Exception) -> str:
    """click's message on one line, with where to find help."""
    message = " ".join(str(getattr(e, "format_message", e.__str__)()).split())
    ctx = getattr(e, "ctx", None)
    command = getattr(ctx, "command_path", "") or PROG
    return f"{PROG}: error: {message} (see '{command} --help')"


def main(argv: Optional[list[str]] = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and
    return the exit code. The only place where errors become exit codes."""
    args = sys.argv[1:] if argv is None else list(argv)
    command = typer.main.get_command(app)
    if not args:
        # bare `leakhunt`: the help, as a usage error (the same with every click)
        ctx = command.make_context(PROG, [], resilient_parsing=True)
        print(command.get_help(ctx), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        rv = command.main(args=args, prog_name=PROG, standalone_mode=False)
    except _GateTripped as e:
        print(e, file=sys.stderr)
        return EXIT_GATE
    except LeakhuntError as e:
        if isinstance(e, TargetError):
            sys.stderr.write(e.details)
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except _UsageError as e:
        print(_usage_line(e), file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception:
        traceback.print_exc()
        print(
            f"{PROG}: internal error (a bug in leakhunt {__version__}; please report it "
            "with the traceback above)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return rv if isinstance(rv, int) else EXIT_OK


def run() -> None:
    """The ``leakhunt`` console script."""
    sys.exit(main())
