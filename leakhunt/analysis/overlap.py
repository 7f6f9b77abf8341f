"""Telling apart what spans of several threads kept while they ran at
once: the live heap is per process, so a call's exit minus entry holds what
the other threads' calls kept meanwhile. :func:`estimate_kept` solves for
each label's kept per call over all the calls and their overlaps (see its
docstring); :func:`leakhunt.analysis.timeline.summarize` uses it where
most of the change happened while threads overlapped.

>>> from leakhunt.model.timeline import Span
>>> spans = []
>>> for k in range(40):  # thread 1's 'leak' keeps 100 bytes just after entry;
...     # thread 2's 'idle' keeps nothing, but runs while the next 'leak' starts
...     spans.append(Span("leak", start=k, end=k + 0.6, tid=1,
...                       heap_start=100 * k, heap_end=100 * (k + 1)))
...     if k < 39:
...         spans.append(Span("idle", start=k + 0.5, end=k + 1.3, tid=2,
...                           heap_start=100 * (k + 1), heap_end=100 * (k + 2)))
>>> got = estimate_kept(spans, ["leak", "idle"], total=4000)
>>> round(got["leak"]), round(got["idle"])
(100, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from ..model.timeline import Span

__all__ = ["estimate_kept", "thread_key"]

#: at most this many labels get a least-squares estimate (the others are
#: pooled), and at most this many points are fitted
_FIT_LABELS = 12
#: overlapping pairs of calls weighed at most (beyond: no estimate)
_MAX_OVERLAPS = 2_000_000
#: where calls keep memory is searched for only up to this many (calls +
#: pairs) x labels; at most this many calls are observations of the fit
_MAX_SEARCH = 200_000
_FIT_CALLS = 4_000


def thread_key(sp: Span) -> object:
    """What tells a span's thread: its ident, or its name in a 1.0 file."""
    return sp.tid or sp.thread


def _solve(matrix: list[list[float]], rhs: list[float]) -> Optional[list[float]]:
    """Gaussian elimination with partial pivoting; None when singular."""
    n = len(rhs)
    a = [[*row, rhs[i]] for i, row in enumerate(matrix)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(a[r][c]))
        if abs(a[p][c]) < 1e-9:
            return None
        a[c], a[p] = a[p], a[c]
        for r in range(c + 1, n):
            f = a[r][c] / a[c][c]
            if f:
                for k in range(c, n + 1):
                    a[r][k] -= f * a[c][k]
    x = [0.0] * n
    for c in range(n - 1, -1, -1):
        x[c] = (a[c][n] - sum(a[c][k] * x[k] for k in range(c + 1, n))) / a[c][c]
    return x


def _fit(
    items: list[tuple[float, float, int, object, int]],
    pairs: list[tuple[int, int, float, float]],
    where: list[Optional[float]],
    ncols: int,
    stride: int = 1,
    total: Optional[float] = None,
) -> tuple[float, list[float]]:
    """Least squares for :func:`estimate_kept` with the given guess of where
    in its calls each unknown keeps memory (a fraction of the call's time,
    or None: spread evenly), made robust by reweighting (Huber): a reading
    taken while another thread held a big temporary throws two calls'
    changes off, and must not steer the fit. ``total`` (what all the calls
    kept together, when known) is one more observation, weighed as all the
    others together: the per-label figures must add up to it. Returns (the
    sum of absolute errors, comparable across guesses; kept per call)."""
    counts = [0.0] * ncols
    for it in items:
        counts[it[2]] += 1.0
    rows = [[0.0] * ncols for _ in items]
    for i, it in enumerate(items):
        rows[i][it[2]] += 1.0
    for i, j, lo, hi in pairs:
        for s, o in ((i, j), (j, i)):
            o0, o1, c = items[o][0], items[o][1], items[o][2]
            pos = where[c]
            if pos is None:
                w = 1.0 if o1 <= o0 else max(hi - lo, 0.0) / (o1 - o0)
            else:
                at = o0 + pos * (o1 - o0)
                w = 1.0 if items[s][0] <= at < items[s][1] or at == items[s][1] == o1 else 0.0
            rows[s][c] += w
    # every call's overlaps weigh in; every stride-th call is an observation
    rows, items = rows[::stride], items[::stride]
    obs = [float(it[4]) for it in items]
    if total is not None:
        # scaled to one call's size, so that its weight is that of the calls
        n = float(len(items)) or 1.0
        rows.append([c / n for c in counts])
        obs.append(total / n)
    weights = [1.0] * len(rows)
    if total is not None:
        weights[-1] = float(len(items))
    sol: Optional[list[float]] = None
    res = float("inf")
    for _ in range(8):
        xtx = [[0.0] * ncols for _ in range(ncols)]
        xty = [0.0] * ncols
        for row, y, wt in zip(rows, obs, weights, strict=True):
            for r in range(ncols):
                if row[r]:
                    for k in range(ncols):
                        xtx[r][k] += wt * row[r] * row[k]
                    xty[r] += wt * row[r] * y
        for r in range(ncols):  # a touch of ridge: labels always run together stay solvable
            xtx[r][r] += 1e-9 * (xtx[r][r] or 1.0)
        sol = _solve(xtx, xty)
        if sol is None:
            return float("inf"), []
        errs = [
            abs(y - sum(a * b for a, b in zip(row, sol, strict=True)))
            for row, y in zip(rows, obs, strict=True)
        ]
        calls_errs = errs[: len(items)]
        scale = 1.4826 * sorted(calls_errs)[len(calls_errs) // 2] or 1.0
        cut = 1.345 * scale
        weights = [1.0 if e <= cut else cut / e for e in calls_errs]
        if total is not None:
            weights.append(float(len(items)))
        res = sum(calls_errs) + (errs[-1] * len(items) if total is not None else 0.0)
    return res, sol or []


def estimate_kept(
    spans: Sequence[Span], labels: list[str], total: Optional[float] = None
) -> dict[str, float]:
    """Kept per call of each label when spans of several threads overlap,
    by least squares over the calls: a call's live-heap change (exit minus
    entry) is what it kept itself plus what the overlapping calls of
    *other* threads kept while it ran (calls of the same thread nested
    inside count for both, as on clear steps). Where inside its calls a
    label keeps memory (at the start, the middle, the end, or spread) is
    not known: each label's guess is the one that fits best (coordinate
    descent over those four). Labels past the biggest _FIT_LABELS are
    pooled into one unknown; {} when the system cannot be solved or the
    overlaps are too many to weigh."""
    fitted = labels[:_FIT_LABELS]
    col = {label: i for i, label in enumerate(fitted)}
    pooled = len(labels) > len(fitted)
    ncols = len(fitted) + (1 if pooled else 0)
    items: list[tuple[float, float, int, object, int]] = []
    for sp in spans:
        c = col.get(sp.label, len(fitted) if pooled else -1)
        kept = sp.kept
        if c < 0 or kept is None or sp.end is None:
            continue
        items.append((sp.start, sp.end, c, thread_key(sp), kept))
    items.sort(key=lambda x: x[0])
    pairs: list[tuple[int, int, float, float]] = []
    for i, (a0, a1, _, ta, _) in enumerate(items):
        for j in range(i + 1, len(items)):
            b0, b1, _, tb, _ = items[j]
            if b0 > a1:
                break
            if ta != tb:
                pairs.append((i, j, max(a0, b0), min(a1, b1)))
                if len(pairs) > _MAX_OVERLAPS:
                    return {}
    if not items:
        return {}
    where: list[Optional[float]] = [None] * ncols
    stride = max(1, len(items) // _FIT_CALLS)
    best, sol = _fit(items, pairs, where, ncols, stride, total)
    if (len(items) // stride + len(pairs)) * ncols <= _MAX_SEARCH:
        for _ in range(2):
            for c in range(ncols):
                for guess in (0.0, 0.5, 1.0, None):
                    if guess == where[c]:
                        continue
                    trial = [*where[:c], guess, *where[c + 1 :]]
                    res, got = _fit(items, pairs, trial, ncols, stride, total)
                    if res < best * 0.99:
                        best, sol, where = res, got, trial
    if not sol:
        return {}
    return {label: sol[col[label]] for label in fitted}
