#!/usr/bin/env bash
# Installs the system programs the test suite drives for real — Chromium, redis-server, PostgreSQL, nginx —
# when they are missing on a Debian machine (as root), and starts PostgreSQL when it is installed
# but not answering. Safe to run repeatedly; prints what it does.
set -euo pipefail

need=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# nginx runs the compose file's load-balancer config in front of local replicas (test/compose.test.ts).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v pg_ctlcluster >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 || need+=(postgresql)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system-deps: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "ensure-system-deps: missing ${need[*]}; install them (Debian: apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

# The tests create throw-away databases on the machine's PostgreSQL (TEST_PG_URL, default
# postgres://postgres@127.0.0.1:5432/postgres). Start the packaged cluster if it is down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "ensure-system-deps: starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    # A fresh Debian cluster asks for passwords over TCP; the tests connect as postgres without one.
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    if [ -w "$hba" ] && ! grep -q "tessera-tests" "$hba"; then
      sed -i '1i host all postgres 127.0.0.1/32 trust # tessera-tests' "$hba"
      pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true
    fi
  fi
fi
