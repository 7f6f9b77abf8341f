"""The HTML report in a real browser: headless Chromium (Debian's
``chromium`` package, installed by ``make setup`` through
scripts/ensure-chromium.sh) driven by Playwright's Python package pointed at
that binary (no Playwright browser download).

Skipped only where no browser can be found and we are neither in CI nor
root (who can install one): there a missing browser is a failure. Set
``LEAKHUNT_CHROMIUM`` to use another Chromium build.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.html_snaps import XSS_FILE, XSS_TYPE, shared_snapshots

from leakhunt import capture
from leakhunt.cli import main

pytestmark = pytest.mark.skipif(
    capture.walker_name() != "c", reason="graph snapshots need the compiled walker"
)

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _must_run() -> bool:
    """In CI, or as root (who can apt-get install chromium), a missing
    browser is a broken set-up, not a reason to skip."""
    return bool(os.environ.get("CI")) or getattr(os, "geteuid", lambda: -1)() == 0


def _unavailable(reason: str) -> None:
    if _must_run():
        pytest.fail(f"{reason}; run 'make setup' (scripts/ensure-chromium.sh)", pytrace=False)
    pytest.skip(f"{reason} (install it: sudo apt-get install chromium; pip install playwright)")


def find_browser() -> str | None:
    """$LEAKHUNT_CHROMIUM, else the first Chromium on $PATH."""
    wanted = os.environ.get("LEAKHUNT_CHROMIUM")
    for name in (wanted,) if wanted else BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright's Python package is not installed")
    executable = find_browser()
    if executable is None:
        _unavailable(f"no Chromium found (looked for {', '.join(BROWSERS)})")
    args = ["--no-sandbox"] if getattr(os, "geteuid", lambda: -1)() == 0 else []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=args, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real report: graph snapshots around the report_rows leak and a
    hostile type, through `leakhunt report`."""
    a, b = shared_snapshots(tmp_path_factory)
    out = tmp_path_factory.mktemp("html-browser") / "leak-report.html"
    assert main(["report", str(a), str(b), "-o", str(out), "--top", "10", "--no-retained"]) == 0
    return out


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    """One browser context for the module (a new one costs about a second);
    each test opens its own page in it."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    # anything but a file is refused (and recorded by each page's listener)
    ctx.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    yield ctx
    ctx.close()


class Opened:
    """A page loaded from disk, with every request, dialog and console
    error it caused."""

    def __init__(self, context: Any, path: Path) -> None:
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri(), wait_until="load")

    def column(self, index: int) -> list[str]:
        return list(
            self.page.eval_on_selector_all(
                "#growth-table tbody tr:not([hidden])",
                f"rows => rows.map(r => r.cells[{index}].getAttribute('data-v'))",
            )
        )


@pytest.fixture
def opened(context: Any, report: Path) -> Iterator[Opened]:
    o = Opened(context, report)
    yield o
    o.page.close()


def test_the_page_shows_summary_table_and_graphs(opened: Opened, tmp_path: Path) -> None:
    page = opened.page
    verdict = page.locator("#summary .verdict").inner_text()
    assert verdict.startswith("4 types grew between before and after: +11,005 objects")
    assert "the list at module scenarios.report_rows -> ._ROWS grew by 1,000 items" in verdict
    assert opened.column(0) == ["str", "dict", "float", f"__main__.{XSS_TYPE}"]
    graphs = page.locator("#clusters figure svg")
    if shutil.which("dot"):
        assert graphs.count() == 6
        assert "Why are 1,200 dict objects alive?" in graphs.nth(3).text_content()
        box = graphs.first.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
    else:
        assert graphs.count() == 0
        assert "Graphviz" in page.locator("#notes").inner_text()
    assert page.locator("#snapshots").inner_text().count("3.") >= 2  # Python versions
    shot = tmp_path / "leak-report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert opened.errors == []


def test_clicking_a_header_sorts_the_table(opened: Opened) -> None:
    page = opened.page
    header = page.locator("#growth-table thead th")
    header.nth(1).click()  # count A: biggest first
    counts = [int(v) for v in opened.column(1)]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    assert header.nth(1).get_attribute("aria-sort") == "descending"
    header.nth(1).click()  # again: smallest first
    assert [int(v) for v in opened.column(1)] == sorted(counts)
    header.nth(0).click()  # type names, a to z
    names = opened.column(0)
    assert names == sorted(names, key=str.lower) and names[0] == f"__main__.{XSS_TYPE}"


def test_the_filter_keeps_matching_types(opened: Opened) -> None:
    opened.page.fill("#filter", "DIC")
    assert opened.column(0) == ["dict"]
    assert opened.page.locator("#shown").inner_text() == "1 of 4 types shown"
    opened.page.fill("#filter", "")
    assert len(opened.column(0)) == 4


def test_the_page_makes_no_network_request(opened: Opened) -> None:
    opened.page.locator("#growth-table thead th").nth(4).click()
    opened.page.wait_for_timeout(100)
    assert opened.requests == [opened.page.url]
    assert opened.page.url.startswith("file://")


def test_hostile_names_render_as_text(opened: Opened) -> None:
    page = opened.page
    # the page's own script is the only one; nothing from data became markup
    assert page.eval_on_selector_all("script", "s => s.length") == 1
    assert (
        page.eval_on_selector_all("img, iframe, object, embed, foreignObject", "e => e.length") == 0
    )
    handlers = page.evaluate(
        "() => [...document.querySelectorAll('*')].flatMap("
        "e => [...e.attributes].filter(a => a.name.startsWith('on')).map(a => a.name))"
    )
    assert handlers == []
    cell = page.locator("#growth-table tbody td", has_text="alert(1)").first
    assert cell.inner_text() == f"__main__.{XSS_TYPE}"
    assert XSS_FILE in page.locator("#snapshots").inner_text()
    assert "onerror=alert(2)" in page.locator("#clusters").inner_text()
    page.wait_for_timeout(100)
    assert opened.dialogs == [] and opened.errors == []


def test_a_missing_browser_skips_only_outside_ci_and_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium found"):
        _unavailable("no Chromium found")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="run 'make setup'"):
        _unavailable("no Chromium found")
    monkeypatch.delenv("CI")
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    with pytest.raises(pytest.fail.Exception):
        _unavailable("no Chromium found")
