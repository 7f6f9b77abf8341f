"""``leakhunt run -- python app.py``: a program under the memory monitor."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from typing import Annotated, Any, Optional

import typer

from .._paths import PACKAGE_DIR
from ..errors import UsageError
from ._common import (
    EXIT_OK,
    PROG,
    app,
)

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


def _prometheus_address(value: str) -> tuple[str, int]:
    """``PORT`` or ``ADDR:PORT`` -> (addr, port); UsageError otherwise, or
    when prometheus_client is not installed."""
    addr, _, port = value.rpartition(":")
    addr = addr.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"run: --prometheus {value!r}: give a port (1-65535), or ADDR:PORT")
    import importlib.util

    if importlib.util.find_spec("prometheus_client") is None:
        raise UsageError(
            "run: --prometheus needs prometheus_client: pip install 'leakhunt[prometheus]'"
        )
    return addr, int(port)


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
    keys: Annotated[
        str,
        typer.Option(
            "--keys",
            metavar="WHICH",
            help="Which dict keys graph snapshots keep as labels: 'namespaces' (only the "
            "names of globals and attributes), 'names' (also identifier-shaped keys of other "
            "dicts) or 'all'. Other keys are shown by type ([<str>]): they are your data.",
        ),
    ] = "namespaces",
    trace: Annotated[
        bool,
        typer.Option(
            "--tracemalloc",
            help="Trace Python allocations (tracemalloc): spans are then attributed by "
            "traced memory too, which RSS cannot do precisely. Slows the program down.",
        ),
    ] = False,
    prometheus: Annotated[
        Optional[str],
        typer.Option(
            "--prometheus",
            metavar="[ADDR:]PORT",
            show_default=False,
            help="Serve Prometheus metrics (RSS, live heap, gc, top types, kept bytes per "
            "span label) on ADDR:PORT, 127.0.0.1 unless ADDR is given. Needs "
            "prometheus_client (pip install 'leakhunt[prometheus]').",
        ),
    ] = None,
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
    from ..capture import KEY_MODES

    if keys not in KEY_MODES:
        raise UsageError(f"run: --keys {keys!r}: use one of {', '.join(KEY_MODES)}")
    exe, opts, mode, target, args = _split_python_command(command)
    signum: Optional[int] = None
    if signal_name.strip().lower() not in ("", "none", "0", "no"):
        from ..runtime.ondemand import signal_number

        signum = signal_number(signal_name)
    metrics = _prometheus_address(prometheus) if prometheus is not None else None
    directory = snapshot_dir or os.environ.get("LEAKHUNT_DIR") or "leakhunt-snapshots"
    config: dict[str, Any] = {
        "timeline": os.path.abspath(output),
        "interval": interval,
        "types_every": types_every,
        "snapshot_at_exit": snapshot_at_exit,
        "snapshot_dir": os.path.abspath(directory),
        "signal": signum,
        "graph": graph,
        "keys": keys,
        "tracemalloc": trace,
        "quiet": quiet,
        "cwd": os.getcwd(),
        "prometheus": metrics,
    }
    # leakhunt and its dependencies for an interpreter that lacks them:
    # appended, so the program's own packages come first
    here = os.path.dirname(PACKAGE_DIR)
    config["path"] = [here] + [
        p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p)
    ]
    env = dict(os.environ)
    env["LEAKHUNT_RUN"] = json.dumps(config)
    boot = (
        "import json, os, sys; sys.path.extend(p for p in json.loads(os.environ.get("
        "'LEAKHUNT_RUN', '{}')).get('path', ()) if p not in sys.path); "
        "from leakhunt.runtime.bootstrap import bootstrap; bootstrap()"
    )
    argv = [exe, *opts, "-c", boot, mode, target, *args]
    if not quiet:
        sig = "" if signum is None else f"; snapshot on demand: leakhunt snapshot {os.getpid()}"
        if metrics is not None:
            sig += f"; metrics on http://{metrics[0]}:{metrics[1]}/metrics"
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
