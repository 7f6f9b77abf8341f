#!/bin/sh
# Make sure the Prometheus server is there for the test that has a real
# Prometheus scrape a program under `leakhunt run --prometheus`
# (tests/integration/test_prometheus.py): install Debian's `prometheus`
# package when we are root, else say how. leakhunt itself never needs it,
# and the test skips with that reason when it is missing, so this never
# fails the build. The package's service is not started: the test runs its
# own server on a free loopback port.
if command -v prometheus >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the Prometheus server with apt-get..."
    # policy-rc.d 101: the package must not start its service during install
    policy=/usr/sbin/policy-rc.d
    made=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made=1
    fi
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null) \
        || echo "warning: apt-get could not install prometheus; its test will be skipped"
    [ -n "$made" ] && rm -f "$policy"
else
    echo "note: the Prometheus server is not installed; its test will be skipped."
    echo "      Install it with: sudo apt-get install prometheus  (Debian/Ubuntu)"
fi
exit 0
