#!/usr/bin/env bash
# The kernel pinning of `meow demo` (meow.kernels), shown on one machine: a small demo run under the default pinned
# level, under --native-kernels, with the AVX2 level forced by hand, and with torch's plain kernels. The pinned run
# must equal the hand-forced one bit for bit; on a CPU whose native level is above AVX2 the native run differs.
# Usage: scripts/check_kernels.sh [FOLDER]   (4 tiny demos; PYTHON=... the interpreter; REUSE=1 keeps finished runs)
set -euo pipefail
out="${1:-$(mktemp -d)}"
py="${PYTHON:-python}"
small=(--authors 10 --qa-per-author 3 --background 3 --hidden-size 32 --layers 1 --train-epochs 8 --methods meow,ga
       --attacks paraphrase --unlearn-epochs 2 --eval-max-new-tokens 16 --memo-max-new-tokens 16 --threads 1)
run() { local name=$1; shift; [ -d "$out/$name" ] && [ -n "${REUSE:-}" ] && return; env "$@" "$py" -m meow demo --out "$out/$name" "${small[@]}" $EXTRA >/dev/null; }
EXTRA="" run pinned
EXTRA="--native-kernels" run native
EXTRA="--native-kernels" run forced ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 ONEDNN_MAX_CPU_ISA=AVX2
EXTRA="--native-kernels" run plain ATEN_CPU_CAPABILITY=default
"$py" - "$out" <<'PY'
import hashlib, json, re, sys
from pathlib import Path
out = Path(sys.argv[1])
CLOCK = re.compile(r"seconds|created|time|elapsed|started|finished|duration")  # wall-clock fields: not results
SKIP = {"environment.json", "manifest.json", "timings.json", "config.json"}

def numbers(x):  # a result file's content without wall-clock fields
    if isinstance(x, dict):
        return {k: numbers(v) for k, v in x.items() if not CLOCK.search(k)}
    return [numbers(v) for v in x] if isinstance(x, list) else x

def digest(name):  # every result the demo wrote (evaluations, MEMO, attacks, losses, the report's table)
    h, n = hashlib.sha256(), 0
    for p in sorted((out / name).rglob("*.json")):
        if p.name in SKIP or (p.parent.name == "report" and p.name != "table.json"):
            continue
        text = p.read_text().replace(str(out / name), "RUN")
        try:
            data = numbers(json.loads(text))
        except json.JSONDecodeError:  # JSON lines
            data = [numbers(json.loads(line)) for line in text.splitlines() if line.strip()]
        h.update(p.relative_to(out / name).as_posix().encode() + json.dumps(data, sort_keys=True).encode())
        n += 1
    return h.hexdigest()[:16], n

levels = {n: json.loads((out / n / "environment.json").read_text())["kernels"]["torch_level"]
          for n in ("pinned", "native", "forced", "plain")}
sums = {n: digest(n) for n in levels}
for n in levels:
    print(f"{n:7s} torch level {levels[n]:7s} digest {sums[n][0]} over {sums[n][1]} files")
print("pinned == forced:", sums["pinned"] == sums["forced"], "| pinned == native:", sums["pinned"] == sums["native"],
      "| pinned == plain:", sums["pinned"] == sums["plain"])
sys.exit(0 if sums["pinned"] == sums["forced"] and levels["pinned"] == "avx2" else 1)
PY
