"""LEAKS: a mutable default argument that accumulates.

``build_query`` collects bind parameters in ``params``, whose default is a
list created once, when the function was defined. Callers that rely on the
default share that one list, which grows by each query's parameters for
ever (and the queries get longer and slower, too).
"""

from __future__ import annotations

EXPECT = {
    "leak": True,
    "types": ["str"],
    "retainer": [".build_query", "__defaults__"],
    "mechanism": "mutable default argument accumulating",
}

_COUNTER = [0]


def build_query(
    table: str,
    filters: dict[str, str],
    params: list[str] = [],  # noqa: B006 (the leak)
) -> tuple[str, list[str]]:
    clauses = []
    for column, value in filters.items():
        clauses.append(f"{column} = ?")
        params.append(value)
    return f"SELECT * FROM {table} WHERE {' AND '.join(clauses)}", params


def action() -> int:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    sql, params = build_query("orders", {"customer": f"customer-{n:06d}", "status": f"st-{n}"})
    return len(sql) + len(params)
