#!/usr/bin/env bash
# The suite on "any machine": twice while scripts/burn_cpu.py keeps every core busy (time bounds must hold under
# load), then once with torch's plain kernels (ATEN_CPU_CAPABILITY=default: the last digits move as on another
# CPU, so tolerances must be derived, not tuned). The burner is started and ended here (and stops by itself).
# Usage: scripts/check_any_machine.sh [pytest args...]   (PYTHON=... to choose the interpreter; default: python)
set -euo pipefail
cd "$(dirname "$0")/.."
py="${PYTHON:-python}"
burner=""
stop() { if [ -n "$burner" ]; then kill "$burner" 2>/dev/null || true; wait "$burner" 2>/dev/null || true; fi; }
trap stop EXIT
"$py" -m meow.kernels
"$py" scripts/burn_cpu.py --limit 5400 &
burner=$!
for i in 1 2; do
  echo "== suite under load, run $i of 2"
  "$py" -m pytest -n 2 "$@"
done
stop; burner=""
echo "== suite with ATEN_CPU_CAPABILITY=default (torch's plain kernels)"
ATEN_CPU_CAPABILITY=default "$py" -c "import torch; print('torch kernels:', torch.backends.cpu.get_cpu_capability())"
ATEN_CPU_CAPABILITY=default "$py" -m pytest -n 2 "$@"
echo "== all three runs passed"
