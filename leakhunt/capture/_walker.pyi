"""Types of the compiled walker (leakhunt/_walker.c)."""

from collections.abc import Callable, Iterable
from typing import Any

KNOWN_LAYOUTS: int
READS_GC_LISTS: int
LAYOUTS_CHECKED_UP_TO: str

def histogram(
    objs: list[Any] | None,
    extra_roots: tuple[Any, ...],
    getsizeof: Callable[[Any], int],
    gc_head: int,
    /,
) -> tuple[list[tuple[type, int, int]], dict[str, int]]: ...
def graph(
    objs: list[Any] | None,
    extra_roots: tuple[Any, ...],
    getsizeof: Callable[[Any], int],
    gc_head: int,
    root_objs: tuple[Any, ...],
    /,
) -> dict[str, Any]: ...
def find(ids: Iterable[int], /) -> list[Any]: ...
def fork() -> int: ...
