"""Regenerate the README's screenshot of the HTML report: graph snapshots
around the report_rows leak (five reports whose parsed rows stay in a
module-level list), `leakhunt report`, then the page in headless Chromium
(Debian's `chromium`, driven by Playwright's Python package, as in
tests/test_html_browser.py) saved as docs/html-report.png.

    .venv/bin/python scripts/html_screenshot.py [--out docs/html-report.png]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import leakhunt  # noqa: E402
from leakhunt.cli import main as leakhunt_main  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str:
    wanted = os.environ.get("LEAKHUNT_CHROMIUM")
    for name in (wanted,) if wanted else BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no Chromium found: run 'make setup' (scripts/ensure-chromium.sh)")


def make_report(work: Path) -> Path:
    """Snapshots of the real leak, and the page made from them."""
    from scenarios import report_rows

    os.chdir(work)  # relative snapshot paths read better on the page
    report_rows.action()  # warm-up: imports, first-call caches
    a = leakhunt.snapshot("before", path="snapshots", graph=True)
    for _ in range(5):
        report_rows.action()
    b = leakhunt.snapshot("after 5 reports", path="snapshots", graph=True)
    assert a.path and b.path
    out = work / "leak-report.html"
    if leakhunt_main(["report", a.path, b.path, "-o", str(out), "--top", "8"]) != 0:
        raise SystemExit("leakhunt report failed")
    return out


def screenshot(page_file: Path, png: Path, height: int) -> None:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if getattr(os, "geteuid", lambda: -1)() == 0 else []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser(), args=args)
        page = browser.new_page(viewport={"width": 1100, "height": height})
        page.goto(page_file.as_uri(), wait_until="load")
        page.screenshot(path=str(png), clip={"x": 0, "y": 0, "width": 1100, "height": height})
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "html-report.png"))
    parser.add_argument("--height", type=int, default=1340, help="pixels of the page to show")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory(prefix="leakhunt-html-") as tmp:
        page_file = make_report(Path(tmp))
        screenshot(page_file, out, args.height)
    print(f"wrote {os.path.relpath(out, ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
