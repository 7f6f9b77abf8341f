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

import sys
import traceback
from typing import Optional

import typer

from .._version import __version__
from ..errors import LeakhuntError, TargetError

# Each command module registers its command on the app (`leakhunt run` is
# cli/runner.py: a module named run would be shadowed by run() below).
from . import diff, export, graph, hunt, inspect, report, runner, snapshot, timeline  # noqa: F401
from . import diff as _diff  # noqa: F401
from . import export as _export  # noqa: F401
from . import graph as _graph  # noqa: F401
from . import hunt as _hunt  # noqa: F401
from . import inspect as _inspect  # noqa: F401
from . import report as _report  # noqa: F401
from ._common import (
    EXIT_BAD_INPUT,
    EXIT_GATE,
    EXIT_INTERNAL,
    EXIT_OK,
    PROG,
    ClickUsageError,
    GateTripped,
    app,
)

__all__ = ["EXIT_BAD_INPUT", "EXIT_GATE", "EXIT_INTERNAL", "EXIT_OK", "app", "main", "run"]


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
    except GateTripped as e:
        print(e, file=sys.stderr)
        return EXIT_GATE
    except LeakhuntError as e:
        if isinstance(e, TargetError):
            sys.stderr.write(e.details)
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ClickUsageError as e:
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
