"""`leakhunt.hunt` on every scenario of the library: each leak is found with
its expected type and retainer path, no control raises an alarm. (The same
score over fresh processes and 10 iterations: `make eval`.)"""

from __future__ import annotations

from typing import Any

import pytest
from test_scenarios_library import CONTROLS, EXPECTS, LEAKS, load  # noqa: F401

from leakhunt.hunting import hunt
from leakhunt.render.words import HELD_OUTSIDE, container_sentence, held_by_sentence


def _text(leak: Any) -> str:
    """Where the leak is held, as the report says it: each retainer path, and
    the growing container."""
    parts = [p if p is not None else HELD_OUTSIDE for p in leak.paths]
    if leak.container is not None:
        parts.append(container_sentence(leak.container))
    if leak.held_by is not None:
        parts += [held_by_sentence(leak.held_by), leak.held_by.path_text]
    return " | ".join(parts)


@pytest.mark.parametrize("name", LEAKS)
def test_every_leak_is_found_where_expected(name: str, load: Any) -> None:  # noqa: F811
    exp = EXPECTS[name]
    mod = load(name)
    r = hunt(mod.action, iterations=8, warmup=3, trace=False, target=name)
    found = [x for x in r.leaks if x.type_name in exp["types"]]
    assert found, f"{name}: reported {[x.type_name for x in r.leaks]}, expected {exp['types']}"
    assert any(all(w in _text(x) for w in exp["retainer"]) for x in found), [
        _text(x) for x in found
    ]


@pytest.mark.parametrize("name", CONTROLS)
def test_no_control_raises_an_alarm(name: str, load: Any) -> None:  # noqa: F811
    mod = load(name)
    # with the graphs: a bounded cache still filling is told by its declared bound
    r = hunt(mod.action, iterations=8, warmup=3, trace=False, target=name)
    assert r.leaks == (), [(x.type_name, x.counts) for x in r.leaks]
