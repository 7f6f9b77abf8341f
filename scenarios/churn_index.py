"""DOES NOT LEAK (control): churn, many objects made and freed each call.

A search request builds an inverted index over 200 documents (thousands of
strings, lists and dicts), answers the query and throws the index away. A
snapshot taken mid-call would see a huge heap; between calls the totals are
the same every time.
"""

from __future__ import annotations

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "churn: objects created and freed each call",
}

WORDS = ("invoice", "refund", "order", "shipping", "customer", "discount", "tax", "return")
_COUNTER = [0]


def documents(n: int) -> list[str]:
    return [
        f"doc {n}-{i}: " + " ".join(WORDS[(i * k + n) % len(WORDS)] for k in range(1, 9))
        for i in range(200)
    ]


def build_index(docs: list[str]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        for word in doc.split():
            index.setdefault(word, []).append(i)
    return index


def action() -> int:
    _COUNTER[0] += 1
    index = build_index(documents(_COUNTER[0]))
    return len(set(index.get("refund", [])) & set(index.get("tax", [])))
