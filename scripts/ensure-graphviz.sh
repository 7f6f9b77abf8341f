#!/bin/sh
# Make sure Graphviz's `dot` program is there: install it when we are root on
# Debian/Ubuntu, else say how. leakhunt works without it (it then writes
# .dot files instead of pictures), so this never fails the build.
if command -v dot >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Graphviz (the 'dot' program) with apt-get..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
        || echo "warning: apt-get could not install graphviz; graphs will be written as .dot files"
else
    echo "note: Graphviz 'dot' not found; graphs will be written as .dot files."
    echo "      Install it with: sudo apt-get install graphviz  (Debian/Ubuntu), brew install graphviz (macOS)"
fi
exit 0
