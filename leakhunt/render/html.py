"""The one-page HTML leak report: one self-contained file to open, attach to
a bug report or publish from CI.

Compute, then present. An :class:`HtmlReport` is the page as plain values;
:func:`render_html` turns it into HTML through the Jinja2 templates in
``leakhunt/render/templates/`` (autoescape on: every string is text, never
markup). :func:`leakhunt.render.html_diff.diff_report` builds one from two
snapshots; a hunt or a timeline fills in ``leaks`` or ``timeline``.

The input model, all frozen dataclasses:

- :class:`HtmlReport`: the page. ``verdict`` and ``facts`` (name, value)
  and ``top`` (name, growth) make the summary on top; then, each shown only
  when given: ``leaks`` (from a hunt), ``growth`` (the sortable, filterable
  table of :class:`~leakhunt.model.TypeDelta` rows), ``clusters`` (what
  holds the growth, with the referrer graph), ``timeline``, ``snapshots``
  (metadata) and ``notes``. ``*_omitted`` count what was cut, shown as
  "and 1,234 more".
- :class:`LeakEntry`: one leak a hunt found: type name, count growth and
  bytes per iteration (and optionally the counts at each checkpoint), the
  verdict text, retainer paths (root first), the accumulating container
  and the allocation site (None when unknown), an optional SVG graph.
- :class:`ClusterEntry`: one retainer-path cluster of a diff.
- :class:`TimelineSection` and :class:`SpanRow`: a chart (SVG text made
  elsewhere), summary lines, and (label, count, bytes) rows.
- :class:`SnapshotMeta`: label, file, time, process and totals of a snapshot.

SVG given as text (graphs, charts) is parsed and rewritten by
:func:`leakhunt.render.svg.clean_svg` before it is inlined: drawing
elements only, no script, no event handler, no external reference. The page
loads nothing: its Content-Security-Policy allows no request and only its
own script (by hash). Sizes are capped: at most :data:`MAX_ROWS` table rows,
:data:`MAX_ITEMS` leaks or clusters, :data:`MAX_TEXT` characters of one heap
string and :data:`SVG_BUDGET` bytes of drawings, whatever the input holds.

>>> from leakhunt.model import TypeDelta
>>> page = HtmlReport("Leak report", "growth", "1 type grew",
...     growth=(TypeDelta("<script>alert(1)</script>", 1, 5, 48, 240),))
>>> text = render_html(page)
>>> "&lt;script&gt;alert(1)&lt;/script&gt;" in text, "<script>alert(1)" in text
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, Optional

import jinja2
from markupsafe import Markup

from .._version import __version__
from ..model import HELD_OUTSIDE as HELD_OUTSIDE_TEXT
from ..model import Snapshot, TypeDelta
from .svg import SvgError, clean_svg
from .words import fmt_bytes, fmt_count, fmt_label, fmt_time

__all__ = [
    "MAX_ITEMS",
    "MAX_ROWS",
    "MAX_TEXT",
    "SVG_BUDGET",
    "ClusterEntry",
    "HtmlReport",
    "LeakEntry",
    "SnapshotMeta",
    "SpanRow",
    "TimelineSection",
    "PageKind",
    "render_html",
]

#: Hard caps, whatever the input: rows of a table, leaks or clusters shown,
#: characters of one heap string, bytes of inline SVG on one page.
MAX_ROWS = 5_000
MAX_ITEMS = 100
MAX_TEXT = 400
SVG_BUDGET = 8 * 2**20

#: What the page says at its top: growth (a diff), leak or clean (a hunt), info.
PageKind = Literal["growth", "leak", "clean", "info"]


@dataclass(frozen=True)
class SnapshotMeta:
    """What the page says about one snapshot."""

    role: str
    label: str
    path: Optional[str]
    taken: str
    python_version: str
    platform: str
    pid: int
    leakhunt_version: str
    rss: Optional[int]
    objects: int
    size: int
    graph: bool

    @classmethod
    def of(cls, role: str, s: Snapshot) -> SnapshotMeta:
        return cls(
            role=role,
            label=fmt_label(s.label, s.display_label, s.seq),
            path=s.path,
            taken=fmt_time(s.wall_time),
            python_version=s.python_version,
            platform=s.platform,
            pid=s.pid,
            leakhunt_version=s.leakhunt_version,
            rss=s.memory.rss,
            objects=s.total_count,
            size=s.total_size,
            graph=s.graph is not None,
        )


@dataclass(frozen=True)
class ClusterEntry:
    """One retainer-path cluster: ``count_delta`` more objects of
    ``type_name`` held by ``path`` (root first; None: held outside Python).
    ``container`` is the sentence about the container that grew;
    ``graph_svg`` the referrer graph as SVG text, or None with
    ``graph_note`` saying why."""

    type_name: str
    count_delta: int
    size_delta: int
    path: Optional[str]
    container: Optional[str] = None
    retained: Optional[int] = None
    graph_svg: Optional[str] = None
    graph_note: Optional[str] = None
    #: the cluster's number within its type (as ``leakhunt diff`` numbers
    #: it), the command that draws its new objects, and the type's new and
    #: deleted objects in words; None where not known (a hunt)
    number: Optional[int] = None
    command: Optional[str] = None
    churn: Optional[str] = None


@dataclass(frozen=True)
class LeakEntry:
    """One leak found by repeating an action: ``count_per_iteration`` more
    objects of ``type_name`` and ``bytes_per_iteration`` more bytes per
    iteration; ``counts`` (optional) the count at each checkpoint;
    ``verdict`` the confidence in words; ``retainer_paths`` root first."""

    type_name: str
    count_per_iteration: float
    bytes_per_iteration: float
    verdict: str
    retainer_paths: tuple[str, ...] = ()
    container: Optional[str] = None
    allocation_site: Optional[str] = None
    graph_svg: Optional[str] = None
    counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class SpanRow:
    """One row under the timeline chart: a span or marker and what it added."""

    label: str
    count: int
    size: int


@dataclass(frozen=True)
class TimelineSection:
    """The memory timeline: ``chart_svg`` (SVG text made elsewhere), its
    summary lines and the span rows."""

    chart_svg: str
    summary: tuple[str, ...] = ()
    spans: tuple[SpanRow, ...] = ()


@dataclass(frozen=True)
class HtmlReport:
    """The whole page (see the module docstring)."""

    title: str
    verdict_kind: PageKind
    verdict: str
    facts: tuple[tuple[str, str], ...] = ()
    top: tuple[tuple[str, str], ...] = ()
    leaks: tuple[LeakEntry, ...] = ()
    leaks_omitted: int = 0
    growth: tuple[TypeDelta, ...] = ()
    growth_omitted: int = 0
    growth_empty: str = ""
    clusters: tuple[ClusterEntry, ...] = ()
    clusters_omitted: int = 0
    timeline: Optional[TimelineSection] = None
    snapshots: tuple[SnapshotMeta, ...] = ()
    notes: tuple[str, ...] = ()
    more_hint: str = ""


# ---------------------------------------------------------------- rendering

_TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")


def _text(value: object, limit: int = MAX_TEXT) -> str:
    """Heap text on one line: control and invisible characters spelled
    out, cut to ``limit`` characters (escaping is autoescape's job)."""
    s = str(value)
    if not s.isprintable():
        s = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in s)
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def _more(n: int, noun: str) -> str:
    return f"and {n:,} more {noun if n == 1 else noun + 's'}"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        text=_text,
        bytes=fmt_bytes,
        count=fmt_count,
        more=_more,
        rate=lambda x: f"{x:+,.1f}" if x != int(x) else f"{int(x):+,}",
        bytes_rate=lambda x: fmt_bytes(round(x), signed=True),
    )
    return env


def _asset(name: str) -> str:
    with open(os.path.join(_TEMPLATES, name), encoding="utf-8") as f:
        return f.read()


class _Drawings:
    """Cleans each SVG for inlining, with its own id prefix, within the
    page's SVG budget."""

    def __init__(self) -> None:
        self.used = 0
        self.count = 0

    def __call__(self, svg: Optional[str]) -> Markup:
        if not svg:
            return Markup("")
        self.count += 1
        try:
            clean = clean_svg(svg, id_prefix=f"d{self.count}-")
        except SvgError as e:
            return Markup('<p class="note">{}</p>').format(f"drawing left out: {e}")
        if self.used + len(clean) > SVG_BUDGET:
            return Markup('<p class="note">{}</p>').format(
                f"drawing left out: the page already holds {fmt_bytes(self.used)} of drawings"
            )
        self.used += len(clean)
        return Markup(clean)


def _capped(page: HtmlReport) -> HtmlReport:
    def cut(items: tuple[object, ...], limit: int) -> tuple[int, int]:
        return min(len(items), limit), max(0, len(items) - limit)

    g, g_more = cut(page.growth, MAX_ROWS)
    c, c_more = cut(page.clusters, MAX_ITEMS)
    k, k_more = cut(page.leaks, MAX_ITEMS)
    timeline = page.timeline
    if timeline is not None and len(timeline.spans) > MAX_ROWS:
        timeline = replace(timeline, spans=timeline.spans[:MAX_ROWS])
    return replace(
        page,
        growth=page.growth[:g],
        growth_omitted=page.growth_omitted + g_more,
        clusters=page.clusters[:c],
        clusters_omitted=page.clusters_omitted + c_more,
        leaks=page.leaks[:k],
        leaks_omitted=page.leaks_omitted + k_more,
        timeline=timeline,
    )


def render_html(page: HtmlReport) -> str:
    """``page`` as one self-contained HTML document (CSS, script and SVG
    inline; nothing loaded from anywhere)."""
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    spans_total = len(page.timeline.spans) if page.timeline is not None else 0
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            page=_capped(page),
            spans_omitted=max(0, spans_total - MAX_ROWS),
            style=Markup(_asset("report.css")),
            script=Markup(script),
            script_hash=f"sha256-{digest}",
            svg=_Drawings(),
            held_outside=HELD_OUTSIDE_TEXT,
            version=__version__,
        )
    )
