"""The bootstrap of ``leakhunt run``: runs in the monitored program's own
interpreter (as ``python -c``), starts the monitor and the signal handler
from the settings in ``$LEAKHUNT_RUN``, then runs the script, module or code
as ``python`` itself would have, with the same ``sys.argv``.

The settings are removed from the environment before the program starts,
so subprocesses it spawns are not monitored (they would all write into the
same file). A forked child stops writing too (see monitor).
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import sys
import warnings
from typing import Any

ENV = "LEAKHUNT_RUN"


def _at_exit(config: dict[str, Any], mon: Any) -> None:
    from .. import capture

    if config.get("snapshot_at_exit"):
        try:
            capture.snapshot(
                "exit",
                path=config.get("snapshot_dir"),
                graph=config.get("graph", False),
                keys=str(config.get("keys", "namespaces")),
            )
        except Exception as e:  # never into the host program
            warnings.warn(f"leakhunt: snapshot at exit failed: {e}", stacklevel=1)
    if mon is not None:
        mon.stop()
        if not config.get("quiet"):
            _say_next_step(config)


def _say_next_step(config: dict[str, Any]) -> None:
    """One line on stderr when the program ends: where the timeline is and
    the command that reads it (paths as the user gave them, relative to
    where ``leakhunt run`` was started)."""
    try:
        shown = os.path.relpath(config["timeline"], config.get("cwd") or os.getcwd())
        if shown.startswith(".." + os.sep):
            shown = config["timeline"]
        import shlex

        quote = shlex.quote(shown)
        print(
            f"leakhunt run: timeline in {shown}; next: leakhunt timeline {quote}", file=sys.stderr
        )
    except Exception:  # never into the host program, not even at exit
        pass


def bootstrap() -> None:
    """Called by ``python -c``: sys.argv is ``['-c', MODE, TARGET, *args]``."""
    config = json.loads(os.environ.pop(ENV, "{}"))
    mode, target, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    # what the program will see, already while the monitor writes its header
    sys.argv = [target, *args] if mode != "code" else ["-c", *args]
    if config.get("tracemalloc"):
        import tracemalloc

        tracemalloc.start()
    from . import ondemand
    from .monitor import monitor

    mon = None
    if config.get("timeline"):
        mon = monitor(
            config["timeline"],
            interval=float(config.get("interval", 1.0)),
            types_every=int(config.get("types_every", 10)),
        )
    if config.get("signal"):
        try:
            ondemand.install_signal_handler(
                int(config["signal"]),
                directory=config.get("snapshot_dir"),
                graph=bool(config.get("graph", False)),
                keys=str(config.get("keys", "namespaces")),
            )
        except Exception as e:
            print(f"leakhunt run: no signal handler: {e}", file=sys.stderr)
    if config.get("prometheus"):
        addr, port = config["prometheus"]
        try:
            from .metrics import start_metrics_server

            start_metrics_server(int(port), addr=str(addr))
        except (ImportError, OSError) as e:
            print(f"leakhunt run: cannot serve metrics on {addr}:{port}: {e}", file=sys.stderr)
            sys.exit(2)
    # atexit runs after the interpreter has joined the program's threads, so
    # the last sample and the exit snapshot see the finished program
    atexit.register(_at_exit, config, mon)
    if mon is not None:
        try:
            mon.start()
        except OSError as e:
            print(f"leakhunt run: cannot write the timeline: {e}", file=sys.stderr)
            sys.exit(2)
    if mode == "script":
        sys.path[0] = os.path.dirname(os.path.abspath(target))
        runpy.run_path(target, run_name="__main__")
    elif mode == "module":
        sys.path[0] = os.getcwd()  # runpy puts the module's file name in argv[0]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        import __main__

        exec(compile(target, "<string>", "exec"), __main__.__dict__)
