"""Text from the program or from a file, made safe to print and to store.

Type names, labels and edge labels come from the measured program or from
a file of unknown origin: a class can be named ``"T\\x1b[2J\\nleakhunt: no
type grew"``. Every reader passes names through :func:`printable`, so no
output (text, Markdown, HTML, JSON, DOT) ever carries a raw control
character, a line break, or a bidirectional override; the live outputs
(``hunt``, ``why``) do the same where they print.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["printable", "printable_all"]

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and
# the bidirectional embeddings, overrides and isolates (text that reads in
# another order than it is stored).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    r"""``text`` with every control character, line break and direction
    override shown as its escape; other text unchanged.

    >>> printable("T\x1b[2J\nleakhunt: no type grew")
    'T\\x1b[2J\\nleakhunt: no type grew'
    >>> printable("app.Session"), printable("caf\u00e9")
    ('app.Session', 'café')
    """
    return _UNPRINTABLE.sub(_escape, text)


def printable_all(texts: Sequence[str]) -> tuple[str, ...]:
    """:func:`printable` over many names, one scan when none needs it."""
    if not _UNPRINTABLE.search(" ".join(texts)):
        return tuple(texts)
    return tuple(printable(t) for t in texts)
