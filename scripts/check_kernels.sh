#!/usr/bin/env bash
# The kernel pinning of `meow demo` (meow.kernels), shown on one machine: a small demo run under the default pinned
# level, under --native-kernels, with the AVX2 level forced by hand, and with torch's plain kernels. The pinned run
# must equal the hand-forced one bit for bit; on a CPU whose native level is above AVX2 the native run differs.
# Usage: scripts/check_kernels.sh [FOLDER]   (about 4 tiny demos; PYTHON=... to choose the interpreter)
set -euo pipefail
out="${1:-$(mktemp -d)}"
py="${PYTHON:-python}"
small=(--authors 10 --qa-per-author 3 --background 3 --hidden-size 32 --layers 1 --train-epochs 8 --methods meow,ga
       --attacks paraphrase --unlearn-epochs 2 --eval-max-new-tokens 16 --memo-max-new-tokens 16 --threads 1)
run() { local name=$1; shift; env "$@" "$py" -m meow demo --out "$out/$name" "${small[@]}" $EXTRA >/dev/null; }
EXTRA="" run pinned
EXTRA="--native-kernels" run native
EXTRA="--native-kernels" run forced ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 ONEDNN_MAX_CPU_ISA=AVX2
EXTRA="--native-kernels" run plain ATEN_CPU_CAPABILITY=default
"$py" - "$out" <<'PY'
import hashlib, json, sys
from pathlib import Path
out = Path(sys.argv[1])
def digest(name):  # every number the demo wrote: evaluations, MEMO, attacks, the report's table
    files = sorted(p for p in (out / name).rglob("*.json") if p.parent.name != "report" or p.name == "table.json")
    files = [p for p in files if p.name not in ("environment.json", "manifest.json", "timings.json", "config.json")
             and "models" not in p.parts]
    h = hashlib.sha256()
    for p in files:
        h.update(p.relative_to(out / name).as_posix().encode() + p.read_bytes())
    return h.hexdigest()[:16], len(files)
levels = {n: json.loads((out / n / "environment.json").read_text())["kernels"]["torch_level"]
          for n in ("pinned", "native", "forced", "plain")}
sums = {n: digest(n) for n in levels}
for n in levels:
    print(f"{n:7s} torch level {levels[n]:7s} digest {sums[n][0]} over {sums[n][1]} files")
print("pinned == forced:", sums["pinned"] == sums["forced"], "| pinned == native:", sums["pinned"] == sums["native"],
      "| pinned == plain:", sums["pinned"] == sums["plain"])
sys.exit(0 if sums["pinned"] == sums["forced"] and levels["pinned"] == "avx2" else 1)
PY
