#!/usr/bin/env bash
# The whole test suite: set-up, lint, types, tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy
rc=0
.venv/bin/python -m pytest "$@" || rc=$?
if [ "$rc" -eq 5 ]; then
  echo "test.sh: pytest collected no tests: that is a failure, not a pass" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"
# The sandbox's other mode: the same machines and replay agents as an unprivileged user.
if [ "$(id -u)" -eq 0 ] && [ "${OFFSWITCH_SKIP_UNPRIVILEGED:-0}" != 1 ]; then
  bash scripts/test-unprivileged.sh -q
fi
