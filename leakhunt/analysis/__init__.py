"""Analysis of snapshots: diff, retainer paths, dominators, growth, graph views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

#: How long work reports how far it got: ``progress(stage, fraction)`` with
#: ``fraction`` in 0..1 of that stage. The analysis calls it between steps,
#: never inside a tight loop; None reports nothing.
Progress = Optional[Callable[[str, float], None]]

__all__ = ["Progress"]
