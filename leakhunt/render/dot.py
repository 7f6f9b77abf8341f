"""Back-reference graphs as Graphviz DOT text: a pure function of the view
(:class:`leakhunt.analysis.graph_view.RetainerGraph`). Roots are bold blue
boxes, leaked targets filled red (a cluster as a stacked box with ``xN``),
holders plain rounded boxes, what was left out dashed boxes. Every text that
comes from the heap is escaped. Turning DOT into a picture is
:mod:`leakhunt.render.graphviz`.

>>> from leakhunt.analysis.graph_view import retainer_graph
>>> from leakhunt.model import HeapGraph
>>> g = HeapGraph.from_edges(
...     ["module", "dict", "app.Session"], [72, 232, 48],
...     [(0, 1, "._CACHE"), (1, 2, "['u42']")], [(0, "module app.cache")])
>>> render_dot(retainer_graph(g, [2])).splitlines()[0]
'digraph leakhunt {'
"""

from __future__ import annotations

from ..analysis.graph_view import RetainerGraph, RetainerNode
from .words import HELD_OUTSIDE_REACHED, HELD_OUTSIDE_SENTENCE, fmt_bytes, fmt_count, plural

__all__ = ["graph_title", "node_text", "render_dot"]

# Labels come from the heap: cap them so one hostile name cannot fill the page.
_MAX_LABEL = 80
_MAX_TITLE = 200


def _printable(s: str, limit: int = _MAX_LABEL) -> str:
    """``s`` on one line, control and invisible characters spelled out
    (``\\n``, ``\\x00``, ``\\u202e``), cut to ``limit`` characters."""
    if not s.isprintable():
        s = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in s)
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def _html(s: str, limit: int = _MAX_LABEL) -> str:
    r"""Text for inside an HTML-like label ``<...>``.

    Graphviz expands ``\N`` (the node name) and friends even there, so
    backslashes are doubled.

    >>> _html('<script>"a" & b</script>')
    '&lt;script&gt;&quot;a&quot; &amp; b&lt;/script&gt;'
    >>> print(_html("a\\N" + chr(10) + "b"))
    a\\N\\nb
    """
    s = _printable(s, limit).replace("\\", "\\\\")
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _small(text: str) -> str:
    return f'<FONT POINT-SIZE="9" COLOR="#555555">{text}</FONT>'


_STYLE: dict[str, str] = {
    "root": 'shape=box, style="bold,filled", penwidth=2, color="#1f4e9c", fillcolor="#dce8fa"',
    "target": 'shape=box, style="filled", penwidth=1.5, color="#b30000", fillcolor="#f7b0b0"',
    "cluster": 'shape=box3d, style="filled", penwidth=1.5, color="#b30000", fillcolor="#f7b0b0"',
    "intermediate": 'shape=box, style="rounded", color="#777777"',
    "more": 'shape=box, style="dashed,rounded", color="#999999", fontcolor="#555555"',
    "note": 'shape=note, style="filled", color="#b38f00", fillcolor="#fff4c2"',
}


def node_text(n: RetainerNode) -> str:
    """The words of a ``more`` or ``note`` node."""
    if n.kind == "note":
        if n.text == "held-outside-with-referrers":
            return HELD_OUTSIDE_REACHED
        return HELD_OUTSIDE_SENTENCE
    if n.text == "path":
        return f"... {fmt_count(n.count)} more {plural(n.count, 'object')} on the path"
    if n.text == "referrers":
        return f"... and {fmt_count(n.count)} more {plural(n.count, 'referrer')}"
    clusters = n.length or 0
    return (
        f"... and {fmt_count(clusters)} more {plural(clusters, 'cluster')} "
        f"({fmt_count(n.count)} objects, {fmt_bytes(n.size)}) not drawn"
    )


def graph_title(view: RetainerGraph) -> str:
    """What the picture answers: ``Why are 1,000 app.Session objects alive?``"""
    names, count = view.target_types, view.target_count
    if not names:
        return "No objects to explain"
    if count == 1 and len(names) == 1 and view.single_id is not None:
        return f"Why is {names[0]} {view.single_id:#x} alive?"
    if len(names) == 1:
        return f"Why are {fmt_count(count)} {names[0]} objects alive?"
    return f"Why are {fmt_count(count)} objects of {len(names)} types alive?"


def _node_label(n: RetainerNode) -> str:
    if n.kind in ("more", "note"):
        return _html(node_text(n))
    size = fmt_bytes(n.size)
    if n.length is not None:
        size += f" \u00b7 len {fmt_count(n.length)}"
    address = f"{n.object_id:#x}" if n.object_id is not None else ""
    if n.count > 1:
        lines = [
            f"<B>{_html(n.text)}</B>",
            f"x{fmt_count(n.count)} \u00b7 {size} total",
            _small(f"e.g. {address}"),
        ]
    elif n.root is not None:
        lines = [f"<B>{_html(n.root)}</B>", f"{_html(n.text)} \u00b7 {size}", _small(address)]
    elif n.kind == "target":
        lines = [f"<B>{_html(n.text)}</B>", size, _small(address)]
    else:
        lines = [_html(n.text), size, _small(address)]
    return "<BR/>".join(lines)


def _legend(with_note: bool) -> list[str]:
    lines = [
        "  subgraph cluster_legend {",
        '    label="legend"; fontsize=10; style="rounded"; color="#cccccc";',
        f'    legend_root [label="root (module, class, thread)", {_STYLE["root"]}];',
        f'    legend_holder [label="holder", {_STYLE["intermediate"]}];',
        f'    legend_leaked [label="leaked object", {_STYLE["target"]}];',
        f'    legend_cluster [label="xN: N similar leaked objects", {_STYLE["cluster"]}];',
        f'    legend_more [label="... not drawn", {_STYLE["more"]}];',
    ]
    if with_note:
        lines.append(f'    legend_note [label="note", {_STYLE["note"]}];')
    lines += [
        '    legend_root -> legend_holder [label=".attr"];',
        "    legend_holder -> legend_leaked [label=\"['key']\"];",
        '    legend_holder -> legend_cluster [label="[*]"];',
        "  }",
    ]
    return lines


def render_dot(view: RetainerGraph) -> str:
    """``view`` as Graphviz DOT source: roots as bold blue boxes, leaked
    targets filled red (a cluster as a stacked box with ``xN``), holders as
    plain rounded boxes, what was left out as dashed boxes, and a legend.
    Edges point from holder to held object. Every text from the heap is
    escaped; the output depends on ``view`` only."""
    out = [
        "digraph leakhunt {",
        f'  graph [fontname="Helvetica", fontsize=12, labelloc=t, '
        f"label=<<B>{_html(graph_title(view), _MAX_TITLE)}</B>>];",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=10, color="#555555", arrowsize=0.7];',
        "",
    ]
    for n in view.nodes:
        style = _STYLE["cluster" if n.count > 1 else n.kind]
        # No tooltips: Graphviz expands \N and friends in them whatever the
        # escaping, so heap text cannot be shown there faithfully.
        out.append(f"  {n.key} [label=<{_node_label(n)}>, {style}];")
    if view.nodes:
        out.append("")
    for e in view.edges:
        attrs = [f"label=<{_html(e.label)}>"] if e.label else []
        if e.dashed:
            attrs.append("style=dashed")
        out.append(
            f"  {e.source} -> {e.target}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";"
        )
    if view.edges:
        out.append("")
    out += _legend(any(n.kind == "note" for n in view.nodes))
    out.append("}")
    return "\n".join(out) + "\n"
