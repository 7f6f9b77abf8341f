"""LEAKS: observers that subscribe and never unsubscribe.

Each request builds a CheckoutView that subscribes its bound method to the
application-wide event bus, to re-price when the tax table changes. Nothing
ever unsubscribes it, so the bus's listener list keeps every view (and its
order lines) alive through ``.__self__`` of the bound method.
"""

from __future__ import annotations

from collections.abc import Callable

EXPECT = {
    "leak": True,
    "types": ["event_listeners.CheckoutView"],
    "retainer": ["._listeners", ".__self__"],
    "mechanism": "callbacks/observers never unregistered",
}


class EventBus:
    def __init__(self) -> None:
        self._listeners: dict[str, list[Callable[[dict[str, float]], None]]] = {}

    def subscribe(self, topic: str, callback: Callable[[dict[str, float]], None]) -> None:
        self._listeners.setdefault(topic, []).append(callback)

    def publish(self, topic: str, payload: dict[str, float]) -> None:
        for callback in self._listeners.get(topic, ()):
            callback(payload)


BUS = EventBus()
_TAX = {"north": 0.2, "south": 0.1}
_COUNTER = [0]


class CheckoutView:
    def __init__(self, order_id: str, lines: list[tuple[str, float]]) -> None:
        self.order_id = order_id
        self.lines = lines
        self.total = 0.0
        BUS.subscribe("tax.changed", self.on_tax_changed)  # never unsubscribed

    def on_tax_changed(self, table: dict[str, float]) -> None:
        self.total = self.subtotal() * (1 + table.get("north", 0.0))

    def subtotal(self) -> float:
        return sum(price for _, price in self.lines)


def action() -> float:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    view = CheckoutView(f"order-{n}", [(f"sku-{i}", 9.5 + i) for i in range(n % 5 + 1)])
    view.on_tax_changed(_TAX)
    return view.total
