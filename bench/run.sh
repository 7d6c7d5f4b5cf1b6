#!/usr/bin/env bash
# npm run bench [-- --quick] — raise the open-file limit (10,000 idle sockets, or a 10,000-user crowd,
# on each side need it; Node cannot raise its own), then run the benchmark. See docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
hard=$(ulimit -Hn)
if [ "$hard" != "unlimited" ] && [ "$hard" -lt 25000 ]; then
  echo "bench: open-file hard limit is $hard; scenarios 3 and 6 need about 2 × 10,000 + headroom" >&2
fi
ulimit -n "$hard" 2>/dev/null || true
exec node --import tsx bench/run.ts "$@"
