"""SVG that is safe to put inline in an HTML page.

Graphs and charts reach the HTML report as SVG text made by another program
(Graphviz's ``dot``, a chart library). Their labels come from the heap, so
the SVG is not pasted in as it is: :func:`clean_svg` parses it and writes it
out again keeping only drawing elements and attributes on an allow-list.
Scripts, ``foreignObject``, images, animations, event handlers (``on*``),
links that leave the document and ``url(...)`` references other than to the
document's own ``#ids`` are dropped; every text and attribute value is
escaped again on the way out. What a browser gets is a drawing and nothing
else, whatever the heap held.

>>> clean_svg('<svg viewBox="0 0 10 10"><script>alert(1)</script>'
...           '<text onclick="x()" x="1">&lt;b&gt;</text></svg>')
'<svg viewBox="0 0 10 10"><text x="1">&lt;b&gt;</text></svg>'
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Optional

from ..errors import GraphWriteError

__all__ = ["SvgError", "clean_svg", "graphviz_svg"]


class SvgError(ValueError):
    """The text is not SVG that can be embedded (not XML, not an <svg>)."""


_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "style", "symbol", "use", "clipPath", "mask", "marker", "pattern",
        "linearGradient", "radialGradient", "stop", "path", "rect", "circle", "ellipse",
        "line", "polyline", "polygon", "text", "tspan", "textPath",
    }
)  # fmt: skip
# Kept for their children only: Graphviz wraps nodes in <a> when they have
# tooltips or URLs; the link goes, the drawing stays.
_UNWRAP = frozenset({"a", "switch"})
_ATTRIBUTES = frozenset(
    {
        "id", "class", "style", "width", "height", "viewBox", "preserveAspectRatio",
        "transform", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "dx", "dy",
        "d", "points", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
        "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin",
        "stroke-miterlimit", "stroke-opacity", "opacity", "color", "font-family", "font-size",
        "font-weight", "font-style", "font-variant", "text-anchor", "dominant-baseline",
        "alignment-baseline", "baseline-shift", "letter-spacing", "text-decoration",
        "visibility", "display", "overflow", "clip-path", "clip-rule", "clipPathUnits", "mask",
        "marker-start", "marker-mid", "marker-end", "markerWidth", "markerHeight",
        "markerUnits", "refX", "refY", "orient", "offset", "stop-color", "stop-opacity",
        "gradientUnits", "gradientTransform", "patternUnits", "patternTransform",
        "vector-effect", "href", "textLength", "lengthAdjust", "role", "aria-label",
    }
)  # fmt: skip
_URL = re.compile(r"url\s*\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_BAD_CSS = re.compile(r"@import|expression\s*\(|javascript:|behavior\s*:", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.DOTALL | re.IGNORECASE)
_URL_REF = re.compile(r"url\(\s*(['\"]?)#")


def _local(name: str) -> str:
    """``{http://www.w3.org/2000/svg}rect`` -> ``rect``; ``{xlink}href`` -> ``href``."""
    return name.rsplit("}", 1)[-1]


def _prefixed(name: str, value: str, prefix: str) -> str:
    """Ids made unique on the page: several drawings each have a ``node1``."""
    if not prefix:
        return value
    if name == "id":
        return prefix + value
    if name == "href":
        return "#" + prefix + value[1:]
    return _URL_REF.sub(lambda m: f"url({m.group(1)}#{prefix}", value)


def _safe_value(name: str, value: str) -> bool:
    if name == "href":
        return value.startswith("#")
    if _URL.search(value) or _BAD_CSS.search(value):
        return False
    return "javascript:" not in value.lower()


def _write(el: ET.Element, out: list[str], prefix: str, titles: bool) -> None:
    tag = _local(el.tag) if isinstance(el.tag, str) else ""
    if tag in _UNWRAP:
        if el.text:
            out.append(html.escape(el.text, quote=False))
        for child in el:
            _write(child, out, prefix, titles)
            if child.tail:
                out.append(html.escape(child.tail, quote=False))
        return
    if tag not in _ELEMENTS and not (titles and tag == "title"):
        return  # comments, <script>, <foreignObject>, <image>, ...: dropped whole
    if tag == "style" and el.text and (_URL.search(el.text) or _BAD_CSS.search(el.text)):
        return
    text = el.text
    if tag == "style" and text and prefix:
        text = _prefixed("style", text, prefix)
    attrs = []
    for key, value in el.attrib.items():
        name = _local(key)
        if name in _ATTRIBUTES and _safe_value(name, value):
            value = _prefixed(name, value, prefix)
            attrs.append(f' {name}="{html.escape(value, quote=True)}"')
    out.append(f"<{tag}{''.join(attrs)}>")
    if text:
        out.append(html.escape(text, quote=False))
    for child in el:
        _write(child, out, prefix, titles)
        if child.tail and tag in ("text", "tspan", "textPath", "style", "title"):
            out.append(html.escape(child.tail, quote=False))
    out.append(f"</{tag}>")


def clean_svg(svg: str, *, id_prefix: str = "", titles: bool = True) -> str:
    """``svg`` rewritten for inline use in HTML: drawing elements and
    attributes only, every text and value escaped, no XML prolog, doctype
    or comments; ``<title>`` (a tooltip) only with ``titles``.
    ``id_prefix`` is put before every ``id`` and every reference to one
    (``#id``, ``url(#id)``), so that several drawings can share a page.
    Raises :class:`SvgError` when ``svg`` is not an SVG document.

    >>> clean_svg('<?xml version="1.0"?><svg><a href="https://x"><rect width="2"/></a></svg>')
    '<svg><rect width="2"></rect></svg>'
    """
    if "<!ENTITY" in svg:
        raise SvgError("SVG with entity declarations is not embedded")
    text = _DOCTYPE.sub("", svg, count=1)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise SvgError(f"not well-formed SVG: {e}") from None
    if _local(root.tag) != "svg":
        raise SvgError(f"the document is <{_local(root.tag)}>, not <svg>")
    if id_prefix and not re.fullmatch(r"[A-Za-z][\w-]*", id_prefix):
        raise ValueError(f"id_prefix must be a plain name, not {id_prefix!r}")
    out: list[str] = []
    _write(root, out, id_prefix, titles)
    return "".join(out)


def graphviz_svg(dot_source: str) -> Optional[str]:
    """``dot_source`` drawn by Graphviz as SVG text, or None when the ``dot``
    program is not installed. Raises :class:`SvgError` when ``dot`` fails."""
    from .graphviz import run_dot

    try:
        data = run_dot(dot_source, "svg")
    except GraphWriteError as e:
        raise SvgError(str(e).removeprefix("graph: ")) from None
    return None if data is None else data.decode("utf-8", "replace")
