"""DOES NOT LEAK (control): interned strings.

The HTTP parser interns header names (a small, fixed vocabulary) so that
every request shares one string per name. The interned table grows on the
first requests, then never again; header values are per request and freed.
"""

from __future__ import annotations

import sys

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "interned strings from a bounded vocabulary",
}

NAMES = (
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Authorization",
    "Cache-Control",
    "Content-Length",
    "Content-Type",
    "Cookie",
    "Host",
    "If-None-Match",
    "Origin",
    "Referer",
    "User-Agent",
    "X-Request-Id",
    "X-Forwarded-For",
)
_COUNTER = [0]


def raw_request(n: int) -> str:
    lines = [f"GET /items/{n} HTTP/1.1"]
    lines += [f"{name}: value-{n}-{i}" for i, name in enumerate(NAMES)]
    return "\r\n".join(lines) + "\r\n\r\n"


def parse_headers(raw: str) -> dict[str, str]:
    headers = {}
    for line in raw.split("\r\n")[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        headers[sys.intern(name.strip().lower())] = value.strip()
    return headers


def action() -> int:
    _COUNTER[0] += 1
    headers = parse_headers(raw_request(_COUNTER[0]))
    return len(headers["user-agent"]) + len(headers)
