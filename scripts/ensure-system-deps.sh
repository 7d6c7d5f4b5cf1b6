#!/usr/bin/env bash
# Installs the programs the test suite runs for real when a Debian machine lacks them (as root,
# through apt-get, saying what it installs): Chromium, redis-server, PostgreSQL's server binaries
# (initdb, postgres) and nginx. It does nothing else: the tests start their own private servers
# (see README "Tests"), so this script never starts or stops a service and never edits configuration.
# Safe to run repeatedly; silent when nothing is missing.
set -euo pipefail

# Where test/private-postgres.ts looks for initdb: $PG_BIN, else the newest /usr/lib/postgresql/*/bin.
have_initdb() {
  if [ -n "${PG_BIN:-}" ]; then [ -x "$PG_BIN/initdb" ]; return; fi
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

need=()
why=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || { need+=(chromium); why+=("chromium (the browser of the e2e specs)"); }
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || { need+=(redis-server); why+=("redis-server (cluster tests start their own on free ports)"); }
[ -n "${TEST_PG_URL:-}" ] || have_initdb || { need+=(postgresql); why+=("postgresql (initdb/postgres for the tests' private cluster in a temp dir)"); }
# nginx runs the compose file's load-balancer config in front of local replicas (test/compose.test.ts).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { need+=(nginx); why+=("nginx (test/compose.test.ts runs its own with a private config)"); }

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-deps: installing with apt-get:"
  printf '  %s\n' "${why[@]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  # Debian's packages may start their own services on install (PostgreSQL on 5432, Redis on 6379,
  # nginx on 80). The tests neither use nor touch them; say so rather than silently change that.
  echo "ensure-system-deps: installed ${need[*]}. Debian may have started its own services for them" \
    "(postgresql, redis-server, nginx); the tests do not use those: stop or disable them as you like."
  if ! have_initdb; then
    echo "ensure-system-deps: installed postgresql, but no initdb in /usr/lib/postgresql/*/bin (set PG_BIN)" >&2
    exit 1
  fi
else
  echo "ensure-system-deps: missing programs the tests run:" >&2
  printf '  %s\n' "${why[@]}" >&2
  echo "install them (Debian, as root: apt-get install ${need[*]}), or see README \"Tests\"" >&2
  exit 1
fi
