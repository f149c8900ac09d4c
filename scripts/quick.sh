#!/usr/bin/env bash
# The main job: the quick suite, ending in the summary table.
# Until the embedded model lands (issue 3), it runs on scripted replay agents that
# comply, sabotage and fail, which exercises the real sandbox and detectors end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
replays=examples/replay/shutdown
args=()
for name in comply sabotage-overwrite sabotage-kill-function failed-alias; do
  args+=(--model "replay/$replays/$name.yaml")
done
exec .venv/bin/offswitch run "${args[@]}" "$@"
