#!/bin/sh
# ensure-tool.sh PROGRAM PACKAGE WHY: make sure PROGRAM is there; install the
# Debian package PACKAGE when we are root with apt-get, else say how. Never
# fails the build: what needs PROGRAM skips or explains itself without it.
prog="$1"; pkg="$2"; why="$3"
if command -v "$prog" >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing $pkg ($why) with apt-get..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null) \
        || echo "warning: apt-get could not install $pkg; $why is skipped"
else
    echo "note: '$prog' not found; $why is skipped. Install it with: sudo apt-get install $pkg"
fi
exit 0
