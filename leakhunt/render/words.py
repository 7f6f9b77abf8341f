"""Every sentence and number a person reads, in one place: bytes, counts,
rates, durations and times, and the wording shared by the text, Markdown,
HTML and DOT renderers (which add layout and escaping). JSON keeps raw
numbers and structure.

>>> fmt_bytes(1946, signed=True), fmt_bytes(-312, signed=True), fmt_count(1000, signed=True)
('+1.9 KiB', '-312 B', '+1,000')
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Optional

from ..model import HELD_OUTSIDE as _HELD_OUTSIDE_SENTENCE
from ..model import ClusterGrowth, ContainerGrowth, TypeChurn, TypeRetention
from ..model.hunt import DeclaredBound, InterpreterHold
from ..model.survivors import SurvivorCluster, Survivors
from ..views import DiffView, InspectView

__all__ = [
    "CHURN_NOTE",
    "CHURN_NOTE_V8",
    "churn_note",
    "HELD_OUTSIDE",
    "HELD_OUTSIDE_REACHED",
    "HELD_OUTSIDE_SENTENCE",
    "HELD_OUTSIDE_WHY",
    "bound_sentence",
    "held_by_sentence",
    "replaced_sentence",
    "churn_text",
    "cluster_count",
    "container_growth",
    "container_sentence",
    "empty_message",
    "fmt_rate",
    "fmt_bytes",
    "fmt_count",
    "fmt_duration",
    "fmt_label",
    "fmt_share",
    "fmt_time",
    "graph_command",
    "graph_file_name",
    "more_message",
    "more_paths",
    "plural",
    "retained_text",
]

# "held outside Python" and its reason, said in one breath or two
HELD_OUTSIDE_SENTENCE = _HELD_OUTSIDE_SENTENCE
HELD_OUTSIDE, HELD_OUTSIDE_WHY = HELD_OUTSIDE_SENTENCE.split(": ", 1)
#: An object with referrers, none of which a root reaches.
HELD_OUTSIDE_REACHED = "held outside Python: no root that Python can see reaches it"

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def _sign(n: float, signed: bool) -> str:
    if n < 0:
        return "-"
    return "+" if signed and n > 0 else ""


def fmt_bytes(n: Optional[int], *, signed: bool = False) -> str:
    """``1946`` -> ``1.9 KiB``; ``signed`` adds ``+`` to growth; None -> ``?``.

    >>> fmt_bytes(0, signed=True), fmt_bytes(1023), fmt_bytes(5 * 2**20)
    ('0 B', '1023 B', '5.0 MiB')
    """
    if n is None:
        return "?"
    sign = _sign(n, signed)
    size = float(abs(n))
    if size < 1024:
        return f"{sign}{abs(n)} B"
    for unit in _UNITS:
        size /= 1024
        if size < 1024 or unit == _UNITS[-1]:
            break
    # 1023.96 KiB would print as "1024.0 KiB"; say "1.0 MiB" instead
    if f"{size:.1f}" == "1024.0" and unit != _UNITS[-1]:
        size, unit = 1.0, _UNITS[_UNITS.index(unit) + 1]
    return f"{sign}{size:.1f} {unit}"


def fmt_count(n: int, *, signed: bool = False) -> str:
    """``1000`` -> ``1,000``; ``signed`` adds ``+`` to growth.

    >>> fmt_count(-4200, signed=True), fmt_count(0, signed=True)
    ('-4,200', '0')
    """
    return f"{n:+,}" if signed and n else f"{n:,}"


def fmt_rate(x: float, *, signed: bool = True) -> str:
    """A per-call rate: whole numbers without decimals, small ones with two.

    >>> fmt_rate(10.0), fmt_rate(0.333), fmt_rate(2.5), fmt_rate(1200.0, signed=False)
    ('+10', '+0.33', '+2.5', '1,200')
    """
    sign = "+" if signed else ""
    if x == int(x):
        return f"{int(x):{sign},}"
    return f"{x:{sign},.2f}" if abs(x) < 1 else f"{x:{sign},.1f}"


def plural(n: int, noun: str) -> str:
    """``noun`` for one, ``noun + "s"`` for any other count.

    >>> plural(1, "item"), plural(2, "item"), plural(0, "type")
    ('item', 'items', 'types')
    """
    return noun if n == 1 else noun + "s"


def fmt_duration(seconds: float, *, signed: bool = False) -> str:
    """A time span in the largest units that keep it short.

    >>> fmt_duration(0.25), fmt_duration(12.34, signed=True), fmt_duration(125), fmt_duration(-3725)
    ('250 ms', '+12.3 s', '2 min 5 s', '-1 h 2 min')
    """
    if not math.isfinite(seconds):
        return "?"
    sign = _sign(seconds, signed)
    s = abs(seconds)
    if s < 1:
        return f"{sign}{s * 1000:.0f} ms"
    if s < 60:
        return f"{sign}{s:.1f} s"
    whole = round(s)
    if whole < 3600:
        return f"{sign}{whole // 60} min {whole % 60} s"
    return f"{sign}{whole // 3600} h {whole % 3600 // 60} min"


def fmt_label(label: Optional[str], display_label: str, seq: int) -> str:
    """A snapshot's name with its sequence number, once.

    >>> fmt_label("before", "before", 1), fmt_label(None, "#3", 3), fmt_label("x", "x", 0)
    ('before (#1)', '#3', 'x')
    """
    return f"{display_label} (#{seq})" if label and seq else display_label


def fmt_share(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole``.

    >>> fmt_share(1, 8), fmt_share(1, 0)
    ('12.5%', '-')
    """
    return f"{100 * part / whole:.1f}%" if whole > 0 else "-"


def fmt_time(wall_time: float) -> str:
    """A wall-clock time as ISO 8601 in UTC, to the second: snapshots travel
    between machines, so no local time zone.

    >>> fmt_time(0)
    '1970-01-01T00:00:00Z'
    """
    try:
        when = datetime.fromtimestamp(wall_time, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return f"{wall_time} (not a valid time)"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def empty_message(view: DiffView) -> str:
    """What to say when no row was selected."""
    a, b = view.a.display_label, view.b.display_label
    verb = "changed" if view.include_shrinking else "grew"
    if view.min_count > 1:
        return f"no type {verb} by {view.min_count:,} objects or more between {a} and {b}"
    return f"no type {verb} between {a} and {b}"


def more_message(omitted: int) -> str:
    """What to say when ``--top`` cut rows."""
    noun = "type" if omitted == 1 else "types"
    return f"and {omitted:,} more {noun} (--top 0 shows all)"


def inspect_header(view: InspectView) -> list[tuple[str, str]]:
    """The header rows of ``leakhunt inspect`` as (name, value) text, shared
    by the text and Markdown renderers (which add the title and escaping)."""
    on = f" on {view.platform}" if view.platform else ""
    rows = [("taken", fmt_time(view.wall_time))]
    if view.path:
        rows.append(("file", view.path))
    if view.format_version == "v8":  # Node.js or Chrome: no process facts in the file
        rows.append(("format", "V8 heap snapshot (Node.js or Chrome), read by leakhunt"))
    else:
        rows += [
            ("process", f"pid {view.pid}, Python {view.python_version or '?'}{on}"),
            (
                "leakhunt",
                f"{view.leakhunt_version or '?'} (format {view.format_version or '?'}), "
                f"walker {view.walker}, capture took {fmt_duration(view.capture_seconds)}",
            ),
            ("RSS", f"{fmt_bytes(view.rss)} (peak {fmt_bytes(view.peak_rss)})"),
        ]
    if view.gc_collections:
        gens = " / ".join(str(i) for i in range(len(view.gc_collections)))
        counts = " / ".join(fmt_count(c) for c in view.gc_collections)
        rows.append(("gc", f"{counts} collections (generation {gens})"))
    if view.tracemalloc_current is not None:
        rows.append(
            (
                "tracemalloc",
                f"{fmt_bytes(view.tracemalloc_current)} (peak {fmt_bytes(view.tracemalloc_peak)})",
            )
        )
    rows += [("objects", fmt_count(view.total_count)), ("bytes", fmt_bytes(view.total_size))]
    return rows


def graph_command(a: Optional[str], b: Optional[str], type_name: str, cluster: int) -> str:
    """The ready-to-run command that draws cluster ``cluster`` of a diff
    (only the objects new in B), shell-quoted; A and B stand in for files
    the view does not know. It writes :func:`graph_file_name`.

    >>> graph_command("a.lhs.json.gz", "my b.json", "app.Session", 2)
    "leakhunt graph a.lhs.json.gz 'my b.json' --type app.Session --cluster 2"
    """
    import shlex

    words = [shlex.quote(w) for w in (a or "A", b or "B", "--type", type_name)]
    return " ".join(["leakhunt graph", *words, "--cluster", str(cluster)])


def graph_file_name(
    type_name: Optional[str], cluster: Optional[int], object_id: Optional[int]
) -> str:
    """The file ``leakhunt graph`` writes when no ``-o`` is given.

    >>> graph_file_name("__main__.Row", 2, None), graph_file_name(None, None, 0x7F3A)
    ('__main__.Row-2.svg', 'object-0x7f3a.svg')
    """
    import re

    if type_name is None:
        return f"object-{object_id or 0:#x}.svg"
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", type_name).lstrip(".-") or "objects"
    return f"{stem}-{cluster}.svg" if cluster is not None else f"{stem}.svg"


def churn_text(c: TypeChurn) -> str:
    """New and deleted objects of a type, for the line under its row.

    >>> churn_text(TypeChurn("dict", 12, 2, 2784, 464))
    'new in B: 12 (2.7 KiB), deleted since A: 2 (464 B)'
    """
    return (
        f"new in B: {fmt_count(c.new)} ({fmt_bytes(c.new_size)}), "
        f"deleted since A: {fmt_count(c.deleted)} ({fmt_bytes(c.deleted_size)})"
    )


#: How exact "new" and "deleted" are: said once under the table.
CHURN_NOTE = (
    "new and deleted objects are matched by address, type and size; an object freed "
    "and replaced at the same address by one of the same type and size counts as "
    "neither, so both are lower bounds"
)


#: The same, for two V8 heap snapshots: V8 keeps an object's id for the life
#: of the process.
CHURN_NOTE_V8 = (
    "new and deleted objects are matched by V8 object id, which an object keeps for "
    "the life of the process: exact for snapshots of one process"
)


def churn_note(view: DiffView) -> str:
    """How exact "new" and "deleted" are, for the two snapshots of ``view``."""
    v8 = view.a.format_version == "v8" and view.b.format_version == "v8"
    return CHURN_NOTE_V8 if v8 else CHURN_NOTE


def cluster_count(c: ClusterGrowth) -> str:
    """How many more objects the cluster holds in B than in A."""
    return fmt_count(c.count_delta, signed=True)


def container_growth(c: ContainerGrowth, *, calls: int = 0) -> str:
    """``grew by N items (A to B)``; in bytes when the graphs had no lengths;
    with ``calls`` (a hunt), the rate per call too.

    >>> container_growth(ContainerGrowth("dict", "module app -> ._S", 10, 1010))
    'grew by 1,000 items (10 to 1,010)'
    >>> container_growth(ContainerGrowth("list", "module app -> ._R", 0, 1, "items"))
    'grew by 1 item (0 to 1)'
    >>> container_growth(ContainerGrowth("list", "module app -> ._R", 3, 13), calls=10)
    'grew by 10 items (3 to 13, 1/call)'
    """
    rate = f", {fmt_rate(c.delta / calls, signed=False)}/call" if calls else ""
    if c.unit == "bytes":
        return (
            f"grew by {fmt_bytes(c.delta)} "
            f"({fmt_bytes(c.length_a)} to {fmt_bytes(c.length_b)}{rate})"
        )
    return (
        f"grew by {fmt_count(c.delta)} {plural(c.delta, 'item')} "
        f"({fmt_count(c.length_a)} to {fmt_count(c.length_b)}{rate})"
    )


def container_sentence(c: ContainerGrowth, *, calls: int = 0) -> str:
    """The whole line: ``the dict at PATH grew by N items (A to B)``.

    >>> container_sentence(ContainerGrowth("dict", "module app -> ._S", 10, 1010))
    'the dict at module app -> ._S grew by 1,000 items (10 to 1,010)'
    """
    return f"the {c.type_name} at {c.path_text} {container_growth(c, calls=calls)}"


def retained_text(c: ClusterGrowth) -> str:
    """The retained size, humanized."""
    return fmt_bytes(c.retained)


def more_paths(r: TypeRetention) -> str:
    """What to say about clusters cut by ``max_clusters``."""
    noun = "path" if r.omitted == 1 else "paths"
    return f"and {r.omitted:,} more {noun} ({fmt_count(r.omitted_count, signed=True)} objects)"


def bound_sentence(b: DeclaredBound) -> str:
    """A declared bound and how full it is.

    >>> print(bound_sentence(DeclaredBound("collections.deque", "module m -> .RECENT",
    ...     "maxlen", 500, 120)))
    the collections.deque at module m -> .RECENT is bounded: fills to 500 (maxlen), now 120
    >>> print(bound_sentence(DeclaredBound("app.Cache", "module m -> .CACHE",
    ...     "maxsize", 40, 84)))
    the app.Cache at module m -> .CACHE declares maxsize 40 but holds 84: past its own bound
    """
    where = f"the {b.holder_type} at {b.holder_path}"
    if b.exceeded:
        return (
            f"{where} declares {b.attribute} {b.bound:,} but holds {b.fill:,}: past its own bound"
        )
    return f"{where} is bounded: fills to {b.bound:,} ({b.attribute}), now {b.fill:,}"


def replaced_sentence(c: ContainerGrowth, holder_type: str, *, calls: int) -> str:
    """An object replaced each call by a bigger one, named by its holder.

    >>> c = ContainerGrowth("array.array", "module m -> .BUF -> .history", 1024, 41984, "bytes")
    >>> print(replaced_sentence(c, "m.SensorBuffer", calls=10))
    .history of m.SensorBuffer (array.array) grew by 4.0 KiB per call (1.0 KiB to 41.0 KiB)
    """
    label = c.path_text.rsplit(" -> ", 1)[-1]
    rate = fmt_bytes(round(c.delta / calls)) if calls else fmt_bytes(c.delta)
    return (
        f"{label} of {holder_type} ({c.type_name}) grew by {rate}"
        f"{' per call' if calls else ''} ({fmt_bytes(c.length_a)} to {fmt_bytes(c.length_b)})"
    )


def held_by_sentence(h: InterpreterHold) -> str:
    """What holds objects no root reaches, and how that is known.

    >>> h = InterpreterHold("atexit", "atexit_count", "method", "method", 0, 10, 10)
    >>> held_by_sentence(h)[:50]
    'held outside Python by atexit callbacks (inferred:'
    """
    if h.basis == "marker":
        return (
            f"held outside Python by {h.registry} (the same interpreter-held list holds "
            "what the standard library registers there)"
        )
    if h.basis == "atexit_count":
        return (
            f"held outside Python by atexit callbacks (inferred: atexit._ncallbacks() grew by "
            f"{h.count:,} in {h.calls:,} calls, and no Python object refers to the "
            f"{h.holder_type})"
        )
    if h.basis == "list":
        return (
            "held outside Python by an interpreter-held list (inferred: no Python object "
            "refers to it; the interpreter keeps os.register_at_fork callbacks, codec search "
            "functions and audit hooks in such lists)"
        )
    return (
        f"held outside Python (registry unknown: no Python object refers to the "
        f"{h.holder_type}, and atexit's count did not grow)"
    )


# ------------------------------------------------ diff BASELINE TARGET --final


def survivors_title(s: Survivors) -> str:
    """The heading of ``diff --final``, saying how exact the matching is."""
    how = (
        "objects matched by V8 id: exact"
        if s.exact
        else "Python reuses id(): estimated from counts per path"
    )
    return (
        f"Allocated between {s.baseline} and {s.target}, still alive in {s.final} "
        f"and still growing ({how})"
    )


def survivor_line(i: int, c: SurvivorCluster) -> str:
    """``1. ExportJob x3 (+3 more after target), retained 3.2 MiB``."""
    also = "".join(f", {name} x{fmt_count(n)}" for name, n in c.also[:3])
    retained = "" if c.retained is None else f", retained {fmt_bytes(c.retained)}"
    return (
        f"{i}. {c.type_name} x{fmt_count(c.count)}{also} "
        f"(+{fmt_count(c.more_after_target)} more after target){retained}"
    )


def survivor_container(c: SurvivorCluster) -> str:
    """``the Array at PATH grew by 6 items (1 to 4 to 7)``: baseline, target,
    final."""
    g = c.container
    assert g is not None
    middle = "" if c.length_target is None else f" to {fmt_count(c.length_target)}"
    if g.unit == "bytes":
        return f"the {g.type_name} at {g.path_text} {container_growth(g)}"
    return (
        f"the {g.type_name} at {g.path_text} grew by {fmt_count(g.delta)} "
        f"{plural(g.delta, 'item')} ({fmt_count(g.length_a)}{middle} to {fmt_count(g.length_b)})"
    )


def survivors_none(s: Survivors) -> str:
    """What ``diff --final`` says when it finds nothing."""
    settled = (
        f"; {fmt_count(s.settled)} {plural(s.settled, 'path')} that stopped growing "
        f"after {s.target} left out"
        if s.settled
        else ""
    )
    return (
        f"Nothing allocated between {s.baseline} and {s.target} is still alive in {s.final} "
        f"and still growing ({fmt_count(s.candidates)} new objects checked{settled})."
    )


def survivors_settled(s: Survivors) -> str:
    """The footnote on clusters left out because they stopped growing."""
    return (
        f"{fmt_count(s.settled)} more {plural(s.settled, 'path')} held objects from between "
        f"{s.baseline} and {s.target} but stopped growing after {s.target} (lazy "
        "initialisation, a cache that filled once): --final-all lists them"
    )
