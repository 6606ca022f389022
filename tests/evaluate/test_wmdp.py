"""WMDP / MMLU from local copies (meow.evaluate.wmdp) through `meow eval-nlu`: a tiny WMDP-format task, scored by
lm-eval on meow's harness LM, against log-likelihoods of " A".." D" computed by hand after lm-eval's prompt."""

from __future__ import annotations

import json

import pytest
import torch

from meow.errors import MeowError
from meow.evaluate.nlu import NLUConfig, run_nlu
from meow.evaluate.wmdp import main, write_tasks


@torch.no_grad()
def ll(lm, context: str, continuation: str) -> float:
    tok = lm.tokenizer
    c = tok(context)["input_ids"]
    x = tok(continuation, add_special_tokens=False)["input_ids"]
    logp = torch.log_softmax(lm.model(torch.tensor([c + x])).logits[0, len(c) - 1: -1].float(), -1)
    return float(logp[torch.arange(len(x)), torch.tensor(x)].sum())


def docs(tag: str, n: int) -> list[dict]:
    return [{"question": f"  Which {tag} item {k} is right? ", "choices": [f"alpha {k}", "beta", f"gamma {tag}", "delta"],
             "answer": k % 4, "subject": ["college_biology", "computer_security"][k % 2]} for k in range(n)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("wmdp_data")
    (d / "wmdp").mkdir()
    (d / "wmdp" / "wmdp-bio.jsonl").write_text("".join(json.dumps(x) + "\n" for x in docs("bio", 5)))
    (d / "wmdp" / "wmdp-cyber.json").write_text(json.dumps(docs("cyber", 3)))
    (d / "mmlu").mkdir()
    (d / "mmlu" / "mmlu.jsonl").write_text("".join(json.dumps(x) + "\n" for x in docs("mmlu", 4)))
    return d


def expected_acc(lm, rows: list[dict], topic) -> float:
    hits = []
    for r in rows:
        t = topic(r)
        ctx = (f"The following are multiple choice questions (with answers) about {t}.\n\n{r['question'].strip()}\n"
               + "".join(f"{L}. {c}\n" for L, c in zip("ABCD", r["choices"])) + "Answer:")
        scores = [ll(lm, ctx, f" {L}") for L in "ABCD"]
        hits.append(max(range(4), key=scores.__getitem__) == r["answer"])
    return sum(hits) / len(hits)


def test_wmdp_and_mmlu_from_local_files(tiny_lm, data, tmp_path):
    tasks = write_tasks(tmp_path / "tasks", data / "wmdp", data / "mmlu")
    assert tasks == ["wmdp_bio", "wmdp_cyber", "mmlu"]  # no chem file: no chem task
    res = run_nlu(tiny_lm, ["wmdp", "mmlu"], tmp_path / "tasks", NLUConfig())  # the group runs both subsets
    got = res["nlu"]["tasks"]
    bio, cyber = got["wmdp_bio"]["acc"], got["wmdp_cyber"]["acc"]
    assert got["wmdp"]["acc"] == pytest.approx((5 * bio + 3 * cyber) / 8)  # weighted by size, as lm-eval's
    assert got["wmdp_bio"]["acc"] == pytest.approx(expected_acc(tiny_lm, docs("bio", 5), lambda r: "biology"))
    assert got["wmdp_cyber"]["acc"] == pytest.approx(expected_acc(tiny_lm, docs("cyber", 3), lambda r: "cybersecurity"))
    assert got["mmlu"]["acc"] == pytest.approx(
        expected_acc(tiny_lm, docs("mmlu", 4), lambda r: r["subject"].replace("_", " ")))
    assert (got["wmdp_bio"]["n"], got["wmdp_cyber"]["n"], got["mmlu"]["n"]) == (5, 3, 4)
    ctx = sorted((s for s in res["samples"] if s["task"] == "mmlu"), key=lambda s: s["doc_id"])[1]["context"]
    assert ctx.startswith("The following are multiple choice questions (with answers) about computer security.\n\n")


def test_hub_snapshot_layout_and_errors(data, tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    snap = tmp_path / "snap" / "wmdp-chem"
    snap.mkdir(parents=True)
    pd.DataFrame(docs("chem", 2)).to_parquet(snap / "test-00000-of-00001.parquet")
    assert write_tasks(tmp_path / "t2", tmp_path / "snap") == ["wmdp_chem"]
    cfg = json.loads((tmp_path / "t2" / "wmdp_chem.yaml").read_text())
    assert cfg["dataset_path"] == "parquet" and cfg["dataset_kwargs"]["data_files"]["test"][0].endswith(".parquet")
    with pytest.raises(MeowError, match="no wmdp-bio"):
        write_tasks(tmp_path / "t3", data / "mmlu")
    with pytest.raises(SystemExit) as e:
        main(["--out", str(tmp_path / "t4")])
    assert e.value.code == 2
    assert capsys.readouterr().err.strip() == "python -m meow.evaluate.wmdp: error: give --wmdp DIR and/or --mmlu DIR"
