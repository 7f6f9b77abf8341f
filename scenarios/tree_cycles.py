"""DOES NOT LEAK (control): reference cycles that the gc collects.

Each call parses a document into a tree whose nodes point to their parent
and their children: every node is in a cycle, so reference counting alone
frees nothing and a diff taken without ``gc.collect()`` shows the trees
piling up. Nothing outside the call refers to them; the gc frees them all.
"""

from __future__ import annotations

from typing import Optional

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "reference cycles freed by the gc",
}


class Node:
    def __init__(self, tag: str, parent: Optional[Node]) -> None:
        self.tag = tag
        self.parent = parent
        self.children: list[Node] = []
        if parent is not None:
            parent.children.append(self)

    def depth(self) -> int:
        return 0 if self.parent is None else 1 + self.parent.depth()


def parse(n: int) -> Node:
    root = Node("html", None)
    body = Node("body", root)
    for i in range(30):
        section = Node(f"section-{n}-{i}", body)
        for j in range(3):
            Node(f"p-{j}", section)
    return root


def action() -> int:
    tree = parse(7)
    deepest = tree.children[0].children[-1].children[-1]
    return deepest.depth()
