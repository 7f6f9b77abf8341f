"""What every ``leakhunt`` subcommand shares: the typer app, options that
read the same everywhere, writing output (stdout or a file, atomically), the
progress line on a terminal, and the errors that :func:`leakhunt.cli.main`
turns into exit codes."""

from __future__ import annotations

import enum
import os
import shutil
import sys
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer

from .._version import __version__
from ..errors import LeakhuntError, UsageError
from ..files.atomic import atomic_write
from ..model import SnapshotDiff
from ..render import DEFAULT_WIDTH, Format, format_for_path

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


class GateTripped(LeakhuntError):
    """``--fail-on-growth`` found types that grew too much; str() is the
    line for stderr."""


class OutputError(LeakhuntError):
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

#: The order of ``leakhunt --help``: the order a person debugging a leak meets
#: the commands (when, then what, then why, then is it real), not alphabetical.
COMMAND_ORDER = (
    "run", "timeline", "snapshot", "diff", "inspect", "graph", "report", "hunt", "export",
)  # fmt: skip


class _InOrder(typer.core.TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(self.commands, key=lambda name: (rank.get(name, len(rank)), name))


app = typer.Typer(
    name=PROG,
    cls=_InOrder,
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


def output_format(fmt: Optional[OutputFormat], output: Optional[str]) -> Format:
    """The format ``--format`` names, else the one ``-o``'s extension asks
    for. A ``.html`` name is refused (UsageError, exit 2) with a pointer to
    ``leakhunt report``: a table saved as ``.html`` would look broken."""
    if output and output.lower().endswith((".html", ".htm")):
        raise UsageError(
            f"{output}: this command writes a table, JSON or Markdown, not HTML; "
            "for an HTML page run: leakhunt report A B -o " + os.path.basename(output)
        )
    if fmt is not None:
        return fmt.value
    return format_for_path(output) if output and output != "-" else "table"


def default_output_name(
    snapshot: str, what: str = "", number: Optional[int] = None, ext: str = ".svg"
) -> str:
    """The file ``graph`` and ``report`` write when ``-o`` is not given: the
    snapshot's base name, then what is drawn, in the current directory, so
    that two commands on different types never overwrite each other.

    >>> default_output_name("/tmp/0002-after.lhs.json.gz", "__main__.Row", 2)
    '0002-after-__main__.Row-2.svg'
    >>> default_output_name("b.heapsnapshot.gz", ext=".html")
    'b.html'
    """
    base = os.path.basename(snapshot)
    stripped = True
    while stripped:  # 0002-after.lhs.json.gz -> 0002-after
        stripped = False
        for suffix in (".gz", ".json", ".lhs", ".leakhunt", ".heapsnapshot"):
            if base.endswith(suffix) and len(base) > len(suffix):
                base, stripped = base[: -len(suffix)], True
    parts = [base]
    if what:
        parts.append("".join(c if c.isalnum() or c in "._" else "_" for c in what))
    if number is not None:
        parts.append(str(number))
    return "-".join(parts) + ext


def to_stdout(output: Optional[str]) -> bool:
    return output is None or output == "-"


def width_for(output: Optional[str]) -> int:
    """$COLUMNS if set, else the terminal's width when stdout is one, else a
    fixed width so that files and CI logs do not depend on who ran it."""
    if to_stdout(output):
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else DEFAULT_WIDTH


def color_for(output: Optional[str]) -> bool:
    return to_stdout(output) and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def write_text(text: str, output: Optional[str]) -> None:
    """``text`` to stdout, or to the file ``output`` through the one atomic
    writer (0600: reports describe a program's heap); OutputError (one
    line) when the file cannot be written."""
    if to_stdout(output):
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            # the reader (| head) has all it wants; keep the gate's verdict
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return
    assert output is not None
    write_file(text.encode("utf-8"), output)


def write_file(data: bytes, output: str) -> None:
    """``data`` to the file ``output``, atomically; OutputError when it cannot."""
    try:
        atomic_write(output, data, clobber=True)
    except OSError as e:
        raise OutputError(f"{output}: cannot write: {e.strerror or e}") from None


def progress(command: str) -> Optional[Callable[[str], None]]:
    """A progress line on stderr for long work (``leakhunt COMMAND: step``),
    rewritten in place; None when stderr is not a terminal (nothing is
    printed into pipes and logs)."""
    if not sys.stderr.isatty():
        return None

    def say(message: str) -> None:
        sys.stderr.write(f"\r\x1b[2K{PROG} {command}: {message}")
        sys.stderr.flush()

    return say


def read_pair(a: str, b: str, say: Optional[Callable[[str, float], None]]) -> SnapshotDiff:
    """The diff of snapshot files ``a`` and ``b``, read in two threads: most
    of a big graph's reading is zlib, which lets the other thread run (a
    20M-object pair: 26 s one after the other). Errors name A's file first."""
    from concurrent.futures import ThreadPoolExecutor

    from ..analysis.diff import diff
    from ..files.snapshot_file import read_snapshot

    if say is not None:
        say("reading A and B", 0.0)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="leakhunt-read") as pool:
        first, second = pool.submit(read_snapshot, a), pool.submit(read_snapshot, b)
        try:
            snapshot_a = first.result()
        finally:
            snapshot_b_error = second.exception()
        if snapshot_b_error is not None:
            raise snapshot_b_error
        return diff(snapshot_a, second.result())


def end_progress(say: Optional[Callable[[str], None]]) -> None:
    """Clear the progress line, if one was shown."""
    if say is not None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


def _usage_error_class() -> type[Exception]:
    # typer >= 0.26 vendors click and does not re-export UsageError;
    # BadParameter is public in every version and derives from it.
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "UsageError":
            return cls
    return typer.BadParameter  # pragma: no cover


#: click's UsageError, whatever the typer version
ClickUsageError = _usage_error_class()
