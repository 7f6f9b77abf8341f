#!/bin/sh
# Print the path of a working Python X.Y interpreter (argument: X.Y), or fail
# with one line. A pyenv shim that exists but is not enabled ("command not
# found") is skipped in favour of the real interpreter behind it.
v="$1"
for cand in "python$v" /root/.pyenv/versions/"$v".*/bin/"python$v" /usr/bin/"python$v" /usr/local/bin/"python$v"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys' >/dev/null 2>&1; then
        command -v "$cand"
        exit 0
    fi
done
echo "error: Python $v is not installed; CI runs the suite on 3.10, 3.11, 3.12 and 3.13" >&2
exit 1
