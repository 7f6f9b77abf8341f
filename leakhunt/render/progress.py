"""Progress of long analysis on a terminal: the stage and its percentage
(rich), on stderr, cleared when done; nothing at all when stderr is not a
terminal (pipes, CI logs, files).

The analysis reports through a plain callback, ``progress(stage, fraction)``
(see :data:`leakhunt.analysis.Progress`), so it stays free of rich; this
module turns those calls into a bar.

>>> with progress_bar("diff", stream=None) as say:
...     say is None
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Optional, TextIO

__all__ = ["progress_bar"]

Callback = Callable[[str, float], None]


@contextmanager
def progress_bar(
    command: str, *, stream: Optional[TextIO] = sys.stderr
) -> Iterator[Optional[Callback]]:
    """A callback that shows ``leakhunt COMMAND: stage  ----  42%`` on
    ``stream`` while the block runs; None when ``stream`` is not a terminal."""
    if stream is None or not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    console = Console(file=stream)
    bar = Progress(
        TextColumn(f"leakhunt {command}: {{task.description}}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task: Any = None

    def say(stage: str, fraction: float) -> None:
        nonlocal task
        done = max(0.0, min(1.0, fraction)) * 100
        if task is None:
            task = bar.add_task(stage, total=100, completed=round(done))
        else:
            bar.update(task, description=stage, completed=round(done))

    with bar:
        yield say
