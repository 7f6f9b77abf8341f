"""A deterministic, realistic heap for the snapshot benchmark.

``build_heap(n)`` makes about ``n`` gc-tracked objects (measured after the
heap is settled by ``gc.collect()``), as a web shop's in-memory state might
hold them: orders with line items, events and customers. The tracked part
is a mix of class instances with a ``__dict__`` and with ``__slots__``,
dicts, lists and tuples that hold tracked objects (cycles included: an
event points back at its order's items). The untracked payload that hangs
off them is str, bytes, int, float, and small tuples and dicts of atomic
values, which the gc does not track once settled.

Per unit (one order), roughly: 2 ``__dict__`` instances (Order, Event, and a
Customer every 8th order), 3 ``__slots__`` instances (2 LineItem, 1 Point),
2 dicts, 3 lists, 2 tuples holding tracked objects; about 20 untracked
objects. The exact tracked count per unit depends on the Python version, so
it is measured on a small pilot build first.
"""

from __future__ import annotations

import gc
import random
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "HEAP_CLASSES",
    "Customer",
    "Event",
    "Heap",
    "LineItem",
    "Order",
    "Point",
    "build_heap",
]

_CHANNELS = ("web", "app", "phone", "store")
_KINDS = ("created", "paid", "packed", "shipped", "delivered")
_TAGS = ("gift", "express", "fragile", "b2b", "promo", "repeat", "vip", "eco")


class Point:
    """A ``__slots__`` instance: two floats and a label."""

    __slots__ = ("label", "x", "y")

    def __init__(self, x: float, y: float, label: str) -> None:
        self.x = x
        self.y = y
        self.label = label


class LineItem:
    """A ``__slots__`` instance with untracked payload only."""

    __slots__ = ("dims", "price", "qty", "sku")

    def __init__(self, sku: str, qty: int, price: float, dims: tuple[float, ...]) -> None:
        self.sku = sku
        self.qty = qty
        self.price = price
        self.dims = dims


class Customer:
    """A ``__dict__`` instance; ``contact`` is a tracked tuple."""

    def __init__(self, cid: int, name: str, email: str, contact: tuple[Point, str]) -> None:
        self.cid = cid
        self.name = name
        self.email = email
        self.since = (2020, 1 + cid % 12, 1 + cid % 28)
        self.contact = contact


class Event:
    """A ``__dict__`` instance whose ``data`` dict holds a tracked list."""

    def __init__(self, kind: str, at: float, data: dict[str, Any]) -> None:
        self.kind = kind
        self.at = at
        self.data = data


class Order:
    """A ``__dict__`` instance at the centre of one unit."""

    def __init__(self, oid: int, customer: Customer) -> None:
        self.oid = oid
        self.customer = customer
        self.items: list[LineItem] = []
        self.events: list[Event] = []
        self.attrs: dict[str, Any] = {}
        self.flags: dict[str, Any] = {}
        self.key: tuple[Any, ...] = ()
        self.pair: tuple[Any, ...] = ()
        self.payload = b""
        self.created: tuple[Any, ...] = ()


#: The classes this module defines, for cross-checks by type name.
HEAP_CLASSES: tuple[type, ...] = (Order, Customer, Event, LineItem, Point)


@dataclass
class Heap:
    """The root of everything built; the worker keeps it alive."""

    orders: list[Order] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    #: How many instances of each class in HEAP_CLASSES were made.
    made: dict[str, int] = field(default_factory=dict)


def _add_units(heap: Heap, units: int, rng: random.Random) -> None:
    orders = heap.orders
    customers = heap.customers
    start = len(orders)
    n_events = 0
    for i in range(start, start + units):
        if i % 8 == 0:
            cid = len(customers)
            home = Point(rng.uniform(-90, 90), rng.uniform(-180, 180), f"home-{cid}")
            customers.append(
                Customer(
                    cid + 1_000_000,
                    f"customer {cid:07d}",
                    f"c{cid}@example.org",
                    (home, f"+1-555-{cid % 10_000:04d}"),
                )
            )
        order = Order(i + 10_000_000, customers[-1 - rng.randrange(min(len(customers), 64))])
        order.items = [
            LineItem(
                f"SKU-{rng.randrange(1_000_000):06d}",
                rng.randrange(1, 9),
                round(rng.uniform(1, 500), 2),
                (rng.random(), rng.random(), rng.random()),
            )
            for _ in range(2)
        ]
        where = Point(rng.uniform(-90, 90), rng.uniform(-180, 180), f"depot-{i % 977}")
        order.attrs = {
            "tags": rng.sample(_TAGS, rng.randrange(1, 4)),
            "origin": where,
            "note": f"order {i} note {rng.getrandbits(40):x}",
        }
        order.flags = {
            "paid": rng.random() < 0.8,
            "priority": rng.randrange(5),
            "channel": _CHANNELS[rng.randrange(len(_CHANNELS))],
        }
        order.key = (order.oid, order.items)
        order.pair = (where, order.customer)
        order.payload = rng.randbytes(rng.randrange(16, 128))
        order.created = (2024, 1 + i % 12, 1 + i % 28, 1.7e9 + i * 0.25)
        order.events = [
            Event(
                _KINDS[rng.randrange(len(_KINDS))],
                1.7e9 + i + rng.random(),
                {"order_id": order.oid, "lines": order.items, "by": f"worker-{i % 131}"},
            )
        ]
        n_events += 1
        orders.append(order)
    made = heap.made
    made["Order"] = len(orders)
    made["Customer"] = len(customers)
    made["Event"] = made.get("Event", 0) + n_events
    made["LineItem"] = 2 * len(orders)
    made["Point"] = len(orders) + len(customers)


def _tracked() -> int:
    return len(gc.get_objects())


def build_heap(n: int, seed: int = 20240601) -> Heap:
    """About ``n`` gc-tracked objects (after ``gc.collect()``), deterministic
    for a given ``seed`` and Python version."""
    pilot_units = 1000
    gc.collect()
    before = _tracked()
    pilot = Heap()
    _add_units(pilot, pilot_units, random.Random(seed))
    gc.collect()
    per_unit = (_tracked() - before) / pilot_units
    del pilot
    gc.collect()
    heap = Heap()
    units = max(1, round(n / per_unit))
    # the root Heap, its dict and its two lists are tracked too
    _add_units(heap, units, random.Random(seed))
    return heap
