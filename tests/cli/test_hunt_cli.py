"""`leakhunt hunt` end to end, in a fresh process each: targets, output
formats, exit codes, bad input, and the pytest plugin (pytester)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def _hunt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leakhunt", "hunt", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


LEAKY = """
import sys

_HANDLERS = []


class Handler:
    def __init__(self, n):
        self.n = n


def setup():
    print("setting up")  # the target's own output must not reach stdout


def action():
    print("handling a request")
    _HANDLERS.append(Handler(len(_HANDLERS)))
    sys.stdout.flush()


def quiet():
    pass
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app_handlers.py"
    path.write_text(textwrap.dedent(LEAKY))
    return path


def test_json_is_one_object_on_stdout_and_exit_1(app: Path, tmp_path: Path) -> None:
    p = _hunt(str(app), "-n", "5", "--warmup", "2", "--format", "json", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)  # the target's prints went to stderr
    assert "handling a request" in p.stderr and "setting up" in p.stderr
    assert doc["iterations"] == 5 and isinstance(doc["warmup_only"], list)
    (leak,) = [x for x in doc["leaks"] if x["type"] == "app_handlers.Handler"]
    assert leak["per_iteration"] == 1.0 and leak["bytes_per_iteration"] > 0
    assert leak["retainers"] == ["module app_handlers -> ._HANDLERS -> [*] -> app_handlers.Handler"]
    assert leak["container"]["path"].endswith("._HANDLERS")
    assert leak["container"]["length_b"] - leak["container"]["length_a"] == 5
    assert leak["allocated_at"]["text"].endswith("app_handlers.py:18 in action()")
    assert (leak["allocated_at"]["line"], leak["allocated_at"]["function"]) == (18, "action")


def test_table_names_holder_container_and_site(tmp_path: Path) -> None:
    p = _hunt(str(SCENARIOS / "report_rows.py"), "-n", "4", "--warmup", "1", cwd=ROOT)
    assert p.returncode == 1, p.stderr
    out = p.stdout
    assert "LEAK  dict  +200 per call" in out
    assert "held by: module report_rows -> ._ROWS -> [*] -> dict" in out
    assert "growing: the list at module report_rows -> ._ROWS grew by 800 items" in out
    assert "allocated at: scenarios/report_rows.py:" in out and " in parse_batch()" in out
    assert "with it, per call: str +1,800, float +200" in out


def test_a_control_exits_0(tmp_path: Path) -> None:
    p = _hunt(str(SCENARIOS / "report_stream.py"), "-n", "5", "--warmup", "2", cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "no leak in" in p.stdout


def test_function_targets(app: Path, tmp_path: Path) -> None:
    p = _hunt(f"{app}:quiet", "-n", "4", "--no-trace", "--no-paths", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    p = _hunt("app_handlers:action", "-n", "4", "-f", "json", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert any(x["type"] == "app_handlers.Handler" for x in json.loads(p.stdout)["leaks"])


def test_graph_dir_and_html_page(app: Path, tmp_path: Path) -> None:
    out = tmp_path / "graphs"
    page = tmp_path / "hunt.html"
    p = _hunt(str(app), "-n", "4", "--graph", str(out), "--html", str(page), cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    files = sorted(out.iterdir())
    assert files and any("app_handlers.Handler" in f.name for f in files)
    text = files[0].read_text()
    assert "_HANDLERS" in text
    html = page.read_text()
    assert "app_handlers.Handler" in html and "._HANDLERS" in html
    assert "<svg" in html and "app_handlers.py:18 in action()" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.py"], "missing.py: no such file"),
        (["notes.txt"], "not a Python file"),
        (["no_action.py"], "has no action() to call"),
        (["no_action.py:nothing"], "has no 'nothing'"),
        (["no_such_module_xyz:f"], "no_such_module_xyz: no such module"),
        (["json"], "name the function to call"),
        (["broken.py"], "importing broken.py failed: ZeroDivisionError"),
        (["failing.py"], "failing.py:action failed: RuntimeError: boom"),
        (["no_action.py", "-n", "2"], "-n"),
    ],
)
def test_bad_targets_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "no_action.py").write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("x = 1 / 0\n")
    (tmp_path / "failing.py").write_text("def action():\n    raise RuntimeError('boom')\n")
    p = _hunt(*args, cwd=tmp_path)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stdout == ""
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("leakhunt: error:") and message in last, p.stderr
    if "broken" in args[0] or "failing" in args[0]:
        assert "Traceback (most recent call last)" in p.stderr  # the target's own


def test_help_teaches() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "leakhunt", "hunt", "--help"], capture_output=True, text=True
    )
    assert p.returncode == 0
    for word in ("TARGET", "--iterations", "--warmup", "--format", "--graph", "Exit status"):
        assert word in p.stdout


# ------------------------------------------------------------------ plugin


PLUGIN_TESTS = """
import pytest

_CACHE = {}
_n = [0]


class Session:
    pass


@pytest.mark.leakhunt(iterations=5, warmup=2)
def test_leaks():
    _n[0] += 1
    _CACHE[f"req-{_n[0]}"] = Session()


@pytest.mark.leakhunt(iterations=5, warmup=2)
def test_clean():
    s = Session()
    del s


@pytest.mark.leakhunt(iterations=5, warmup=2, allow=["test_plugin_demo.Session", "str"])
def test_allowed():
    _n[0] += 1
    _CACHE[f"req-{_n[0]}"] = Session()


def test_fixture(leakhunt_hunt):
    kept = []
    result = leakhunt_hunt(lambda: kept.append(Session()), iterations=5, warmup=1)
    assert result, "the fixture found the leak"
    assert "test_plugin_demo.Session" in result.message
    assert not leakhunt_hunt(lambda: Session(), iterations=4, warmup=1)


def test_unmarked_runs_once():
    _n[0] += 1000
"""


def test_pytest_plugin_fails_leaking_tests_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plugin_demo=PLUGIN_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1)
    out = result.stdout.str()
    assert "test_leaks" in out and "leakhunt found a leak" in out
    assert "LEAK  test_plugin_demo.Session  +1 per call" in out
    assert "held by: module test_plugin_demo -> ._CACHE -> [*] -> test_plugin_demo.Session" in out
    assert "allocated at: test_plugin_demo.py:" in out and " in test_leaks()" in out


def test_pytest_plugin_rejects_unknown_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.leakhunt(iteration=5)
        def test_x():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    assert result.ret != 0
    out = result.stdout.str() + result.stderr.str()
    assert "unknown leakhunt option(s) iteration" in out
    assert "pytest_plugin.py" not in out and "Traceback" not in out  # one line, no traceback


def test_pytest_plugin_usage_errors_are_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.leakhunt(iterations="ten")
        def test_word():
            pass

        @pytest.mark.leakhunt(5)
        def test_positional():
            pass

        def test_fixture(leakhunt_hunt):
            leakhunt_hunt(lambda: None, warmup=-1)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    assert "leakhunt option iterations='ten': give an integer >= 2" in out
    assert "takes keyword options only" in out
    assert "leakhunt_hunt: leakhunt option warmup=-1: give an integer >= 0" in out
    assert "pytest_plugin.py" not in out


def test_hunt_outcome_repr() -> None:
    from leakhunt.pytest_plugin import HuntOutcome

    class FakeLeak:
        def __init__(self, name: str) -> None:
            self.type_name = name

    class FakeResult:
        target = "test_x"
        leaks = (FakeLeak("app.Session"), FakeLeak("dict"))

    outcome = HuntOutcome(FakeResult(), allow=["dict"])
    assert repr(outcome) == "<HuntOutcome 'test_x': 1 leak (app.Session), 1 allowed>"
    assert outcome and not HuntOutcome(FakeResult(), allow=["dict", "app.Session"])


def test_the_plugin_is_registered_and_inert(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_x():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--markers")
    assert "@pytest.mark.leakhunt(" in result.stdout.str()


def test_a_module_of_a_package_with_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "shop" / "handlers"
    pkg.mkdir(parents=True)
    (tmp_path / "shop" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "store.py").write_text("ORDERS = []\n")
    (pkg / "orders.py").write_text(
        "from .store import ORDERS\n\n\ndef action():\n    ORDERS.append(bytearray(64))\n"
    )
    p = _hunt(str(pkg / "orders.py"), "-n", "4", "-f", "json", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    (leak,) = json.loads(p.stdout)["leaks"]
    assert leak["type"] == "bytearray"
    assert leak["retainers"] == ["module shop.handlers.store -> .ORDERS -> [*] -> bytearray"]


def test_hunt_shows_data_keys_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "tenants.py").write_text(
        textwrap.dedent(
            """
            SESSIONS = {"acme-corp": []}

            class Session:
                pass

            def action():
                SESSIONS["acme-corp"].append(Session())
            """
        )
    )

    def retainers(*extra: str) -> str:
        p = _hunt("tenants.py", "--no-trace", "-n", "4", "-f", "json", *extra, cwd=tmp_path)
        assert p.returncode == 1, p.stderr
        return json.dumps(json.loads(p.stdout)["leaks"])

    assert "acme-corp" not in retainers()
    assert "['acme-corp']" in retainers("--keys", "all")
