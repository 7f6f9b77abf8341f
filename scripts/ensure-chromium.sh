#!/bin/sh
# Make sure a headless Chromium is there for the HTML report's browser test
# (tests/test_html_browser.py drives it with Playwright's Python package,
# pointed at this binary: no Playwright browser download). Installs Debian's
# `chromium` package when we are root on Debian/Ubuntu, else says how.
# Never fails the build: without a browser the test is skipped, except in CI
# or as root, where it fails (it must run there).
for b in "$LEAKHUNT_CHROMIUM" chromium chromium-browser google-chrome google-chrome-stable; do
    if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then
        exit 0
    fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium (Debian's chromium package) for the HTML report's browser test..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "warning: apt-get could not install chromium; tests/test_html_browser.py will fail"
else
    echo "note: no Chromium found; tests/test_html_browser.py will be skipped."
    echo "      Install it with: sudo apt-get install chromium  (Debian/Ubuntu), or set LEAKHUNT_CHROMIUM"
fi
exit 0
