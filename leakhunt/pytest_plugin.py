"""pytest plugin: keep a fixed leak fixed.

Inert unless asked: it only registers the ``leakhunt`` marker and the
``leakhunt_hunt`` fixture. A marked test's body runs ``warmup`` +
``iterations`` times (fixtures are set up once) and the test fails when
the body leaks::

    @pytest.mark.leakhunt(iterations=10, warmup=3, allow=["mymod.Cache"])
    def test_handler_does_not_leak():
        handle_one_request()

The fixture hunts any callable inside a test::

    def test_client(leakhunt_hunt):
        result = leakhunt_hunt(client.get_report, iterations=8)
        assert not result.leaks, result.message

Options (all keyword): ``iterations`` (10), ``warmup`` (3), ``allow``
(type names whose growth is expected), ``trace`` (True: allocation sites),
``paths`` (True: retainer paths and the growing container).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Optional

import pytest

__all__ = ["HuntOutcome", "leakhunt_hunt"]

_KEYS = ("iterations", "warmup", "allow", "trace", "paths")


class HuntOutcome:
    """A :class:`leakhunt.hunt.HuntResult` with the allowed types set aside:
    ``leaks`` are the ones that fail a test, ``message`` says why."""

    def __init__(self, result: Any, allow: Iterable[str] = ()) -> None:
        allowed = set(allow)
        self.result = result
        self.leaks = tuple(x for x in result.leaks if x.type_name not in allowed)
        self.allowed = tuple(x for x in result.leaks if x.type_name in allowed)

    def __bool__(self) -> bool:
        return bool(self.leaks)

    def __repr__(self) -> str:
        """``<HuntOutcome 'test_x': 1 leak (__main__.Session), 1 allowed>``."""
        target = getattr(self.result, "target", "") or ""
        names = ", ".join(x.type_name for x in self.leaks[:3])
        more = ", ..." if len(self.leaks) > 3 else ""
        leaks = f"{len(self.leaks)} leak{'' if len(self.leaks) == 1 else 's'}"
        if names:
            leaks += f" ({names}{more})"
        allowed = f", {len(self.allowed)} allowed" if self.allowed else ""
        return f"<HuntOutcome {target!r}: {leaks}{allowed}>"

    @property
    def message(self) -> str:
        from .render.hunt import render_hunt_text

        if not self.leaks:
            return "no leak"
        return "leakhunt found a leak:\n" + render_hunt_text(replace(self.result, leaks=self.leaks))


class _BadOptions(Exception):
    """A wrong marker or fixture option; its text is the whole message."""


def _int_option(kwargs: dict[str, Any], key: str, default: int, least: int, where: str) -> int:
    value = kwargs.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise _BadOptions(f"{where}: leakhunt option {key}={value!r}: give an integer >= {least}")
    return value


def _options(kwargs: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(kwargs) - set(_KEYS))
    if unknown:
        raise _BadOptions(
            f"{where}: unknown leakhunt option(s) {', '.join(unknown)}; known: {', '.join(_KEYS)}"
        )
    allow = kwargs.get("allow", ())
    if isinstance(allow, str):
        allow = (allow,)
    try:
        allow = tuple(str(a) for a in allow)
    except TypeError:
        raise _BadOptions(
            f"{where}: leakhunt option allow={allow!r}: give a type name or a list of them"
        ) from None
    return {
        "iterations": _int_option(kwargs, "iterations", 10, 2, where),
        "warmup": _int_option(kwargs, "warmup", 3, 0, where),
        "allow": allow,
        "trace": bool(kwargs.get("trace", True)),
        "paths": bool(kwargs.get("paths", True)),
    }


def _hunt(fn: Callable[[], Any], name: str, opts: dict[str, Any]) -> HuntOutcome:
    from .hunting import hunt

    result = hunt(
        fn,
        iterations=opts["iterations"],
        warmup=opts["warmup"],
        trace=opts["trace"],
        graph=opts["paths"],
        target=name,
    )
    return HuntOutcome(result, opts["allow"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "leakhunt(iterations=10, warmup=3, allow=(), trace=True, paths=True): run the "
        "test body repeatedly and fail it when it leaks (leakhunt)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Optional[bool]:
    marker = pyfuncitem.get_closest_marker("leakhunt")
    if marker is None:
        return None
    try:
        if marker.args:
            raise _BadOptions(
                f"{pyfuncitem.nodeid}: @pytest.mark.leakhunt takes keyword options only "
                f"({', '.join(_KEYS)})"
            )
        opts = _options(dict(marker.kwargs), pyfuncitem.nodeid)
        test = pyfuncitem.obj
        if getattr(test, "__code__", None) is not None and test.__code__.co_flags & 0x180:
            raise _BadOptions(
                f"{pyfuncitem.nodeid}: @pytest.mark.leakhunt needs a plain (not async or "
                "generator) test function"
            )
    except _BadOptions as e:
        # a usage error: one line under the test, not the plugin's traceback
        pytest.fail(str(e), pytrace=False)
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}

    def body() -> None:
        test(**kwargs)

    outcome = _hunt(body, pyfuncitem.nodeid, opts)
    if outcome.leaks:
        pytest.fail(outcome.message, pytrace=False)
    return True


@pytest.fixture
def leakhunt_hunt() -> Callable[..., HuntOutcome]:
    """Hunt a callable inside a test: ``leakhunt_hunt(fn, iterations=10,
    warmup=3, allow=(), trace=True, paths=True)`` returns a
    :class:`HuntOutcome` (falsy when nothing leaked; ``.message`` explains)."""

    def run(fn: Callable[[], Any], **kwargs: Any) -> HuntOutcome:
        try:
            opts = _options(kwargs, "leakhunt_hunt")
        except _BadOptions as e:
            pytest.fail(str(e), pytrace=False)
        name = getattr(fn, "__qualname__", None) or repr(fn)
        return _hunt(fn, name, opts)

    return run
