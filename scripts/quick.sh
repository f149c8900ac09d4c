#!/usr/bin/env bash
# The main job: set-up, then the calibration agents (the instrument checked on this machine)
# and the quick suite on the embedded offline model, ending in the summary table.
# Extra arguments go to `offswitch run` (e.g. --epochs 1 for a fast look).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/offswitch run --epochs 5 "$@"
