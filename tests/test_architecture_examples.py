"""The worked examples of docs/architecture.md ("Extending meow") work as written: each code block is put where its
first line says (a new file, or appended to an existing module) in a copy of the package, nothing else is edited
(methods, metric modules, attacks and benchmarks are found by their package), and a fresh interpreter finds each addition in its
registry, runs it and, for the metric, finds its report column."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHECK = r'''
import json, sys, tempfile
from pathlib import Path

import torch

from meow.benchmark import BENCHMARKS
from meow.cli import main
from meow.evaluate import METRICS, MIA_ATTACKS
from meow.evaluate.attacks import ATTACKS
from meow.evaluate.base import Scored
from meow.modeling.scoring import TokenScores
from meow.unlearn.config import resolve_configs
from meow.unlearn.methods.base import Context, Outputs

_, m = resolve_configs(None, {"method": "ga_capped", "cap": 2.0})
torch.manual_seed(0)
emb = torch.nn.Embedding(6, 6, dtype=torch.float64)  # float64: equality is the claim


class Model(torch.nn.Module):
    def forward(self, input_ids, attention_mask):
        return type("O", (), {"logits": emb(input_ids) * 3})()


ids = torch.tensor([[1, 2, 3, 4, 5], [1, 2, 3, 0, 0]])
labels = torch.tensor([[-100, 2, 3, 4, 5], [-100, 2, 3, -100, -100]])  # answers of 4 and 2 tokens
batch = {"forget": {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}}
# plain re-implementation: per-token NLL of the next token, capped at 2
lp = torch.log_softmax(emb(ids)[:, :-1] * 3, -1).gather(-1, ids[:, 1:, None])[..., 0]
nll = (-lp).clamp(max=2.0)
rows = [nll[0, :4].mean(), nll[1, :2].mean()]
want = {"row": -(rows[0] + rows[1]) / 2, "token": -(nll[0, :4].sum() + nll[1, :2].sum()) / 6}
for red, value in want.items():
    got = m.forget_term(Outputs(Model(), batch, red), Context(reduction=red))
    # the same float64 log-softmax, then means of <= 6 terms <= 2 in another order: 2 gamma(6) x 12 = 1.6e-14
    assert got.dtype == torch.float64 and torch.allclose(got, value, rtol=0, atol=1e-12), (red, got, value)

q = Scored("forget", {"question": "q", "answer": "a"}, TokenScores(torch.tensor([-0.1, -2.0]), torch.tensor([True, False])))
assert METRICS.get("first_token_hit").fn(q) == 1.0
from meow.evaluate.aggregate import METRIC_MODULES
assert "meow.evaluate.first_token" in METRIC_MODULES  # the new file, found by its decorator alone
from meow.report.columns import COLUMNS
col = next(c for c in COLUMNS if c.name == "forget_first_token")
assert col.better == "lower" and col.label == "forget first-token acc."
assert MIA_ATTACKS.get("max_nll").fn(q) == 2.0 and not MIA_ATTACKS.get("max_nll").higher_is_member
assert "shout" in ATTACKS.names()
out = Path(tempfile.mkdtemp()) / "caps"
assert main(["benchmark", "make", str(out), "--kind", "capitals", "--countries", "10", "--seed", "3"]) == 0
assert BENCHMARKS.get("capitals").demo == "meow.demo.capitals"
forget = [json.loads(line) for line in (out / "forget10_perturbed.json").read_text().splitlines()]
assert len(forget) == 1 and forget[0]["fact"] in forget[0]["answer"]
print("ok")
'''


def test_worked_examples_run(tmp_path):
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    part = doc[doc.index("## Extending meow"):]
    shutil.copytree(ROOT / "src", tmp_path / "src")
    blocks = re.findall(r"```python\n(.*?)```", part, re.S)
    assert len(blocks) == 5, "one example each: method, metric, MIA, attack, benchmark"
    metric_file = next(b.split("\n", 1)[0] for b in blocks if "@metric(" in b)
    assert metric_file.startswith("# src/meow/evaluate/"), "the metric example is a new module, listed nowhere"
    for block in blocks:
        first, body = block.split("\n", 1)
        target = re.fullmatch(r"# (in )?(src/\S+\.py)(?:, with `(.+)` among its imports)?", first.strip())
        assert target, f"an example's first line names its file: {first!r}"
        path = tmp_path / target.group(2)
        if target.group(1):  # appended to an existing module (plus the import it says it needs)
            text = path.read_text(encoding="utf-8")
            if target.group(3):
                text = text.replace("from __future__ import annotations\n",
                                    f"from __future__ import annotations\n\n{target.group(3)}\n", 1)
            path.write_text(text + "\n\n" + body, encoding="utf-8")
        else:
            assert not path.exists(), f"{target.group(2)} is meant to be a new file"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
    (tmp_path / "src/meow/demo/capitals.py").write_text(  # the demo module the benchmark names (a stand-in)
        "from meow.demo.tofu import DemoConfig as CONFIG  # noqa: F401\nfrom meow.demo.tofu import run_demo as run  # noqa: F401\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-3000:]
