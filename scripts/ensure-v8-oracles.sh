#!/bin/sh
# The V8 oracles of tests/v8: Node.js (Debian's nodejs package, installed
# with apt-get when we are root), memlab's parser and Chrome DevTools'
# heap-snapshot worker code from npm, cached in .cache/v8-oracles (ignored
# by git). Puppeteer's browser download is skipped (nothing here needs a
# browser). The tests that need them skip with a reason when they are
# missing, so this never fails the build.
DIR=".cache/v8-oracles"
MEMLAB="memlab@2.0.5"
DEVTOOLS="chrome-devtools-frontend@1.0.1705227"
ESBUILD="esbuild@0.28.2"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Node.js and npm with apt-get (the V8 tests need them)..."
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) \
            || echo "warning: apt-get could not install nodejs; the V8 oracle tests will skip"
    else
        echo "note: node not found; the V8 oracle tests will skip (sudo apt-get install nodejs npm)"
        exit 0
    fi
fi
command -v npm >/dev/null 2>&1 || exit 0
if [ -f "$DIR/.installed" ] && [ "$(cat "$DIR/.installed")" = "$MEMLAB $DEVTOOLS $ESBUILD" ]; then
    exit 0
fi
mkdir -p "$DIR"
echo "Installing the V8 oracles ($MEMLAB, $DEVTOOLS, $ESBUILD) into $DIR..."
if (cd "$DIR" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --ignore-scripts \
        --no-save --loglevel=error "$MEMLAB" "$DEVTOOLS" "$ESBUILD" >/dev/null); then
    # esbuild's binary comes from its install script, skipped above
    (cd "$DIR" && node node_modules/esbuild/install.js >/dev/null 2>&1 || true)
    echo "$MEMLAB $DEVTOOLS $ESBUILD" > "$DIR/.installed"
else
    echo "warning: npm could not install the V8 oracles; the V8 oracle tests will skip"
fi
exit 0
