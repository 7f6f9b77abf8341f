# Type stubs of the compiled graph algorithms (leakhunt/analysis/_graphalgo.c).
# Buffers are array.array (or bytes-likes) of the element types the C
# docstrings name; outputs are written into the writable ones given.

from typing import Any, Optional

def bfs(
    offsets: Any, targets: Any, roots: tuple[int, ...], want: Any, remaining: int, max_depth: int
) -> tuple[bytearray, bytes, bytes]: ...
def by_type(types: Any, codes: Any, ngroups: int, want: bytearray) -> tuple[bytes, ...]: ...
def churn(
    ids_a: Any, sizes_a: Any, nodes_a: Any, ids_b: Any, sizes_b: Any, nodes_b: Any, fresh: Any
) -> tuple[int, int, int, int]: ...
def dominators(offsets: Any, targets: Any, roots: tuple[int, ...], idom: Any) -> None: ...
def pick(sigs: Any, nodes: Any, flags: Any) -> tuple[bytes, bytes]: ...
def reach(offsets: Any, targets: Any, roots: tuple[int, ...], blocked: Any) -> bytearray: ...
def retained(idom: Any, sizes: Any, out: Any) -> None: ...
def reverse(offsets: Any, targets: Any, roffsets: Any, sources: Any, edges: Any) -> None: ...
def signatures(
    nodes: Any,
    memo: Any,
    parent: Any,
    parent_edge: Any,
    labels: Any,
    types: Any,
    masked: Any,
    masked_ns: Any,
    dict_label: int,
    type_gid: Any,
    keys: Any,
    out: Any,
    need: bytearray,
    unreach: Any,
    label_names: tuple[str, ...],
    star: int,
) -> Optional[bytes]: ...
def tally(sigs: Any, nodes: Any, sizes: Any, counts: Any, totals: Any) -> None: ...
def upper(buffer: Any, itemsize: int) -> int: ...
