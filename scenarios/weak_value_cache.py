"""DOES NOT LEAK (control): a WeakValueDictionary cache.

Parsed documents are shared through a ``weakref.WeakValueDictionary`` while
some request uses them. The module-level cache looks like a leak to a tool
that ignores weak references; its entries vanish with the last request that
held them.
"""

from __future__ import annotations

import weakref

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "weak-value cache (weak references do not retain)",
}


class Document:
    def __init__(self, doc_id: str, text: str) -> None:
        self.doc_id = doc_id
        self.words = text.split()


_CACHE: weakref.WeakValueDictionary[str, Document] = weakref.WeakValueDictionary()
_COUNTER = [0]


def get_document(doc_id: str) -> Document:
    doc = _CACHE.get(doc_id)
    if doc is None:
        doc = Document(doc_id, f"body of {doc_id} " * 20)
        _CACHE[doc_id] = doc
    return doc


def action() -> int:
    _COUNTER[0] += 1
    docs = [get_document(f"doc-{_COUNTER[0]}-{i}") for i in range(20)]
    return sum(len(d.words) for d in docs)
