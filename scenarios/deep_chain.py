"""LEAKS: an exchange log eleven references deep.

The application object owns its services, the billing service its payment
gateway, the gateway an HTTP client, the client a connection pool, each
pooled connection a debug log of every request/response exchange. Nobody
trims the log. The leaked Exchange objects are 7+ references from a root.
"""

from __future__ import annotations

EXPECT = {
    "leak": True,
    "types": ["deep_chain.Exchange"],
    "retainer": [
        ".APP",
        ".services",
        "[<str>]",  # the key 'billing' is data: shown by type unless keys="names"
        ".gateway",
        ".client",
        ".pool",
        "._connections",
        ".log",
        ".entries",
    ],
    "mechanism": "a leak 7+ references deep",
}


class Exchange:
    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.body = body


class DebugLog:
    def __init__(self) -> None:
        self.entries: list[Exchange] = []

    def record(self, exchange: Exchange) -> None:
        self.entries.append(exchange)  # never trimmed


class Connection:
    def __init__(self, host: str) -> None:
        self.host = host
        self.log = DebugLog()

    def request(self, method: str, path: str) -> int:
        status = 201 if method == "POST" else 200
        self.log.record(Exchange(method, path, status, f'{{"ok": true, "path": "{path}"}}'))
        return status


class ConnectionPool:
    def __init__(self, host: str, size: int) -> None:
        self._connections = [Connection(host) for _ in range(size)]
        self._next = 0

    def get(self) -> Connection:
        conn = self._connections[self._next % len(self._connections)]
        self._next += 1
        return conn


class HttpClient:
    def __init__(self, host: str) -> None:
        self.pool = ConnectionPool(host, size=1)


class PaymentGateway:
    def __init__(self) -> None:
        self.client = HttpClient("payments.example.com")

    def charge(self, order_id: str, cents: int) -> int:
        return self.client.pool.get().request("POST", f"/charges/{order_id}?amount={cents}")


class BillingService:
    def __init__(self) -> None:
        self.gateway = PaymentGateway()


class Application:
    def __init__(self) -> None:
        self.services: dict[str, BillingService] = {"billing": BillingService()}


APP = Application()
_COUNTER = [0]


def action() -> int:
    _COUNTER[0] += 1
    billing = APP.services["billing"]
    return billing.gateway.charge(f"ord-{_COUNTER[0]:08d}", cents=100 + _COUNTER[0] % 900)
