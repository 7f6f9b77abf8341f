"""Hand-built HeapGraphs for the analysis and rendering tests."""

from __future__ import annotations

from typing import Optional

from leakhunt.model import HeapGraph


class Builder:
    """Hand-built graphs: nodes by type, size and len(), then edges and roots."""

    def __init__(self) -> None:
        self.types: list[str] = []
        self.sizes: list[int] = []
        self.lengths: list[int] = []
        self.edges: list[tuple[int, int, str]] = []
        self.roots: list[tuple[int, str]] = []

    def node(self, type_name: str, size: int = 16, length: int = 0) -> int:
        self.types.append(type_name)
        self.sizes.append(size)
        self.lengths.append(length)
        return len(self.types) - 1

    def edge(self, source: int, target: int, label: str) -> None:
        self.edges.append((source, target, label))

    def root(self, node: int, description: str) -> None:
        self.roots.append((node, description))

    def module(self, name: str) -> int:
        m = self.node("module", 72)
        self.root(m, f"module {name}")
        return m

    def fill(self, container: int, type_name: str, size: int, keys: list[str]) -> list[int]:
        """``len(keys)`` new objects held by ``container`` under those labels."""
        out = []
        for key in keys:
            v = self.node(type_name, size)
            self.edge(container, v, key)
            out.append(v)
        self.lengths[container] += len(keys)
        return out

    def graph(self, *, ids: Optional[list[int]] = None, lengths: bool = True) -> HeapGraph:
        """The graph; ``lengths=False`` leaves out len() as an older file would."""
        return HeapGraph.from_edges(
            self.types,
            self.sizes,
            self.edges,
            self.roots,
            ids=ids,
            lengths=self.lengths if lengths else None,
        )
