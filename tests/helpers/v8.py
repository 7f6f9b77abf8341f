"""Hand-built V8 heap snapshots for tests: a few nodes and edges written
exactly as V8 lays them out (flat arrays, to_node pre-multiplied, names in
the string table)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Union

NODE_TYPES = [
    "hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
    "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape",
]  # fmt: skip
EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]
NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]


@dataclass
class V8Doc:
    """Add nodes (``node``) and edges (``edge``), then ``text()``."""

    nodes: list[tuple[str, str, int, int]] = field(default_factory=list)
    edges: list[tuple[int, str, Union[str, int], int]] = field(default_factory=list)
    node_fields: list[str] = field(default_factory=lambda: list(NODE_FIELDS))

    def node(self, type_: str, name: str, id_: int, size: int = 0) -> int:
        self.nodes.append((type_, name, id_, size))
        return len(self.nodes) - 1

    def edge(self, src: int, type_: str, name: Union[str, int], dst: int) -> None:
        self.edges.append((src, type_, name, dst))

    def document(self) -> dict[str, Any]:
        strings: dict[str, int] = {"<dummy>": 0}

        def s(x: str) -> int:
            return strings.setdefault(x, len(strings))

        nf = len(self.node_fields)
        by_src: dict[int, list[tuple[int, str, Union[str, int], int]]] = {}
        for e in self.edges:
            by_src.setdefault(e[0], []).append(e)
        nodes: list[int] = []
        edges: list[int] = []
        for i, (t, name, id_, size) in enumerate(self.nodes):
            out = by_src.get(i, [])
            values = {
                "type": NODE_TYPES.index(t), "name": s(name), "id": id_, "self_size": size,
                "edge_count": len(out), "trace_node_id": 0, "detachedness": 0,
            }  # fmt: skip
            nodes += [values[f] for f in self.node_fields]
            for _, et, en, dst in out:
                numeric = et in ("element", "hidden")
                edges += [EDGE_TYPES.index(et), int(en) if numeric else s(str(en)), dst * nf]
        return {
            "snapshot": {
                "meta": {
                    "node_fields": self.node_fields,
                    "node_types": [NODE_TYPES, "string", "number", "number", "number", "number"],
                    "edge_fields": ["type", "name_or_index", "to_node"],
                    "edge_types": [EDGE_TYPES, "string_or_number", "node"],
                },
                "node_count": len(self.nodes),
                "edge_count": len(self.edges),
                "trace_function_count": 0,
            },
            "nodes": nodes,
            "edges": edges,
            "trace_function_infos": [],
            "trace_tree": [],
            "samples": [],
            "locations": [],
            "strings": list(strings),
        }

    def text(self) -> str:
        """As V8 writes it: one node per line, sections in V8's order."""
        d = self.document()
        nf = len(self.node_fields)
        head = json.dumps({"snapshot": d["snapshot"]}, separators=(",", ":"))[:-1]
        rows = [",".join(map(str, d["nodes"][i : i + nf])) for i in range(0, len(d["nodes"]), nf)]
        erows = [",".join(map(str, d["edges"][i : i + 3])) for i in range(0, len(d["edges"]), 3)]
        return (
            head
            + ',\n"nodes":['
            + "\n,".join(rows)
            + '],\n"edges":['
            + "\n,".join(erows)
            + '],\n"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n"locations":[],\n'
            + '"strings":['
            + ",\n".join(json.dumps(x) for x in d["strings"])
            + "]}"
        )


def app_heap(jobs: int = 2, rows_per_job: int = 3) -> V8Doc:
    """A little Node heap: root -> global and (GC roots) -> (Stack roots);
    a module closure's context holds ``exportHistory``, an Array of
    ``ExportJob``s, each with ``rows`` of plain ``{id, total}`` Objects. The
    stack also holds the context (shorter path), and a WeakMap table holds
    a value through an ephemeron edge."""
    d = V8Doc()
    root = d.node("synthetic", "", 1)
    gc_roots = d.node("synthetic", "(GC roots)", 3)
    stack = d.node("synthetic", "(Stack roots)", 5)
    glob = d.node("object", "global", 7, 64)
    handler = d.node("closure", "handler", 9, 32)
    ctx = d.node("hidden", "system / Context", 11, 40)
    history = d.node("object", "Array", 13, 16)
    d.edge(root, "element", 1, gc_roots)
    d.edge(root, "shortcut", "global", glob)
    d.edge(gc_roots, "element", 1, stack)
    d.edge(stack, "element", 1, ctx)
    d.edge(glob, "property", "handler", handler)
    d.edge(handler, "internal", "context", ctx)
    d.edge(ctx, "context", "exportHistory", history)
    next_id = 101
    for j in range(jobs):
        job = d.node("object", "ExportJob", next_id, 24)
        rows = d.node("object", "Array", next_id + 2, 16)
        next_id += 4
        d.edge(history, "element", j, job)
        d.edge(job, "property", "rows", rows)
        for r in range(rows_per_job):
            row = d.node("object", "Object", next_id, 28)
            num = d.node("number", "heap number", next_id + 2, 16)
            next_id += 4
            d.edge(rows, "element", r, row)
            d.edge(row, "property", "id", num)
            d.edge(row, "property", "total", num)
    weak_holder = d.node("object", "Cache", 5001, 20)
    table = d.node("array", "system / EphemeronHashTable", 5003, 48)
    key = d.node("object", "Key", 5005, 12)
    value = d.node("object", "Value", 5007, 12)
    d.edge(glob, "property", "cache", weak_holder)
    d.edge(glob, "property", "key", key)
    d.edge(weak_holder, "internal", "table", table)
    pair = "part of key (Key @5005) -> value (Value @5007) pair in WeakMap (table @5003)"
    d.edge(table, "internal", pair, value)
    d.edge(key, "internal", pair, value)
    d.edge(table, "weak", "1", key)
    return d
