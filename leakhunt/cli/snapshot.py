"""``leakhunt snapshot PID``: ask a running process for a snapshot."""

from __future__ import annotations

import os
import sys
import time
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ._common import (
    EXIT_OK,
    app,
)


@app.command(
    "snapshot",
    short_help="Ask a running process for a snapshot (by signal).",
    # `-1` is a (bad) pid, not an option: it reaches the check below
    context_settings={"ignore_unknown_options": True},
)
def snapshot_command(
    pid_text: Annotated[
        str,
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
    attach: Annotated[
        bool,
        typer.Option(
            "--attach/--no-attach",
            help="A Python process without leakhunt's signal handler gets one through gdb "
            "(it must be able to import leakhunt).",
        ),
    ] = True,
    graph: Annotated[
        bool,
        typer.Option("--graph", help="When attaching: snapshots hold the object graph."),
    ] = False,
    keys: Annotated[
        str,
        typer.Option(
            "--keys",
            metavar="WHICH",
            help="When attaching with --graph: which dict keys to keep as labels "
            "('namespaces', 'names' or 'all'; see leakhunt.snapshot).",
        ),
    ] = "namespaces",
    directory: Annotated[
        Optional[str],
        typer.Option(
            "--snapshot-dir",
            metavar="DIR",
            show_default=False,
            help="When attaching: where the process writes snapshots (default: "
            "./leakhunt-snapshots, absolute).",
        ),
    ] = None,
) -> int:
    """Send the process its snapshot signal and print the path of the
    snapshot file it writes, once written. A Python process started without
    leakhunt is attached to first (gdb), unless --no-attach."""
    from ..runtime.ondemand import read_receipt, receipt_problem

    text = pid_text.strip()
    if not text.isdigit() or not text.isascii() or int(text) <= 0:
        raise UsageError(f"snapshot: {pid_text!r} is not a process id (a whole number above 0)")
    pid = int(text)

    def alive() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            raise UsageError(f"snapshot: not allowed to signal process {pid}") from None
        return True

    if not alive():
        raise UsageError(f"snapshot: no process with pid {pid}")
    receipt, problem = receipt_problem(pid)
    if receipt is None and attach:
        import signal

        from ..capture import KEY_MODES
        from ..runtime.attach import attach as attach_to

        if keys not in KEY_MODES:
            raise UsageError(f"snapshot: --keys {keys!r}: use one of {', '.join(KEY_MODES)}")
        attach_to(
            pid,
            signum=int(signal.SIGUSR2),
            directory=os.path.abspath(directory or "leakhunt-snapshots"),
            graph=graph,
            keys=keys,
            timeout=min(wait, 30.0) if wait > 0 else 30.0,
        )
        receipt, problem = receipt_problem(pid)
    if receipt is None:
        # The signal is only ever taken from a receipt that the process's
        # own user wrote for this very process, naming a signal it catches.
        raise UsageError(
            f"snapshot: process {pid} has no leakhunt signal handler ({problem}); "
            "start it with 'leakhunt run' or call leakhunt.install_signal_handler()"
        )
    before = receipt["seq"]
    os.kill(pid, receipt["signal"])
    deadline = time.monotonic() + wait
    while True:
        r = read_receipt(pid)
        if r is not None and r["seq"] != before:
            if r.get("path"):
                sys.stdout.write(f"{r['path']}\n")
                return EXIT_OK
            raise UsageError(f"snapshot: process {pid} could not write one: {r.get('error')}")
        if not alive():
            raise UsageError(f"snapshot: process {pid} exited before writing a snapshot")
        if time.monotonic() >= deadline:
            raise UsageError(f"snapshot: no snapshot from process {pid} within {wait:g} s")
        time.sleep(0.05)
