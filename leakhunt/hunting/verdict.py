"""Judging a series: is a value taken after each call (an object count, a
byte count, a container's length) growing steadily, or is it warm-up, a
cache that filled, or churn? Pure functions of the series, tested on series
with known answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..model import owned

__all__ = ["SeriesVerdict", "classify"]


@owned
@dataclass(frozen=True)
class SeriesVerdict:
    """How one series of counts (or bytes), taken after each call, behaves.

    ``slope`` is the least-squares growth per call; ``grew_in`` the number of
    calls after which the value was higher than before; ``confidence`` in
    [0, 1] weighs how regular the growth is (1: it grew after every call and
    never shrank). ``reason`` says why it is or is not a leak.
    """

    leak: bool
    slope: float
    grew_in: int
    steps: int
    confidence: float
    reason: str


def _slope(values: Sequence[int]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def classify(series: Sequence[int], *, min_total: int = 2) -> SeriesVerdict:
    """Judge a series of values taken after each call (``series[0]``: before
    the first measured call).

    A leak grows by at least ``min_total`` overall, in at least a quarter of
    the calls (and at least twice), still grows in the last third of the
    calls (no plateau), and grows more than it shrinks (churn goes up and
    down by similar amounts).

    >>> classify([10, 11, 12, 13, 14, 15, 16]).leak
    True
    >>> classify([10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15]).leak   # every other call
    True
    >>> v = classify([10, 14, 18, 20, 20, 20, 20, 20, 20, 20, 20])     # a cache that filled
    >>> v.leak, v.reason
    (False, 'stopped growing (no growth in the last 3 calls)')
    >>> classify([10, 13, 9, 12, 10, 14, 9, 13, 10, 12, 11]).leak       # churn
    False
    >>> classify([10, 10, 10, 10, 10, 74, 74, 75, 75]).reason            # a lazy import
    'grew mostly in one step'
    >>> classify([10, 10, 10, 11, 11, 11, 12, 12, 12]).leak              # every third call
    True
    """
    steps = len(series) - 1
    if steps < 2:
        return SeriesVerdict(False, 0.0, 0, max(steps, 0), 0.0, "too few calls to judge")
    deltas = [b - a for a, b in pairwise(series)]
    up = sum(d > 0 for d in deltas)
    gained = sum(d for d in deltas if d > 0)
    lost = -sum(d for d in deltas if d < 0)
    total = series[-1] - series[0]
    slope = _slope(series)
    # A leak of one object every third call grows in any three calls in a row.
    tail = min(max(3, steps // 3), max(1, steps // 2))
    regular = up / steps
    net = total / gained if gained else 0.0
    confidence = round(max(0.0, min(1.0, regular * net)), 3)

    def verdict(leak: bool, reason: str) -> SeriesVerdict:
        return SeriesVerdict(leak, slope, up, steps, confidence if leak else 0.0, reason)

    if total < min_total:
        return verdict(False, "no net growth" if total <= 0 else "grew too little to tell")
    if series[-1] <= series[-1 - tail]:
        return verdict(False, f"stopped growing (no growth in the last {tail} calls)")
    if up < max(2, steps / 4):
        return verdict(False, f"grew in only {up} of {steps} calls")
    if lost * 2 > total:
        return verdict(False, "goes up and down (churn)")
    if max(deltas) * 3 > gained * 2 and up < steps / 2:
        # A lazy import or a cache filled at once: one call made most of it.
        return verdict(False, "grew mostly in one step")
    return verdict(True, f"grew in {up} of {steps} calls")
