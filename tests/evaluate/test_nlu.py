"""`meow eval-nlu`: lm-eval tasks defined from local files, checked against log-likelihoods computed by hand."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
import torch
from reference import MC_YAML, greedy
from tolerances import MAX_LOGIT, TINY_LOGP, reorder

from meow.cli import main
from meow.evaluate.nlu import NLUConfig, run_nlu

GEN_YAML = """task: tiny_gen
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_target: "{{{{answer}}}}"
generation_kwargs:
  until: ["\\n", " was"]
  max_gen_toks: 12
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
"""


@pytest.fixture(scope="module")
def mc_docs(tiny_bench_dir) -> list[dict]:
    """Questions with the true answer among 2 perturbed ones; every third doc labels a wrong choice, so the
    memorised model does not get everything right."""
    from meow.data import load_file

    rng = random.Random(0)
    docs = []
    for k, r in enumerate(load_file(tiny_bench_dir / "forget10_perturbed.json")
                          + load_file(tiny_bench_dir / "retain_perturbed.json")[:6]):
        choices = [r["answer"], *r["perturbed_answer"][:2]]
        rng.shuffle(choices)
        label = choices.index(r["answer"])
        docs.append({"question": r["question"], "choices": choices, "label": (label + 1) % 3 if k % 3 == 0 else label})
    return docs


@pytest.fixture(scope="module")
def task_dir(tmp_path_factory, mc_docs, tiny_bench_dir) -> str:
    from meow.data import load_file

    d = tmp_path_factory.mktemp("tasks")
    (d / "mc.jsonl").write_text("".join(json.dumps(x) + "\n" for x in mc_docs))
    (d / "tiny_mc.yaml").write_text(MC_YAML.format(name="tiny_mc", data=d / "mc.jsonl"))
    gen = [{"question": r["question"], "answer": r["answer"].split(" was")[0]}
           for r in load_file(tiny_bench_dir / "forget10_perturbed.json")[:4]]
    (d / "gen.jsonl").write_text("".join(json.dumps(x) + "\n" for x in gen))
    (d / "tiny_gen.yaml").write_text(GEN_YAML.format(data=d / "gen.jsonl"))
    return str(d)


@torch.no_grad()
def ref_loglikelihood(lm, context: str, continuation: str, special: bool = True) -> tuple[float, float]:
    """sum_t log p(continuation token t | ...) from one unpadded forward pass of a float64 model, and how far the
    harness's value may be from it: each of the n log-probs within TINY_LOGP (its log-softmax may be float32,
    tolerances.py), plus a float32 sum of n terms in any order (tolerances.reorder)."""
    tok = lm.tokenizer
    c = tok(context, add_special_tokens=special)["input_ids"]
    x = tok(continuation, add_special_tokens=False)["input_ids"]
    logits = lm.model(torch.tensor([c + x])).logits[0, len(c) - 1 : -1]
    assert logits.dtype == torch.float64 and float(logits.abs().max()) < MAX_LOGIT  # the premises of TINY_LOGP
    lp = torch.log_softmax(logits, -1)[torch.arange(len(x)), torch.tensor(x)]
    return float(lp.sum()), len(x) * TINY_LOGP + reorder(len(x), float(lp.abs().sum()))


def assert_lls(got: list, want: list[tuple[float, float]]) -> None:
    assert len(got) == len(want)
    for (ll, _), (w, bound) in zip(got, want):
        assert ll == pytest.approx(w, abs=bound)


ref_generate = greedy

def test_multiple_choice_matches_reference(tiny_model_dir, mc_docs, task_dir, tmp_path, capsys):
    from meow.modeling import load_lm

    tiny_lm = load_lm(tiny_model_dir, dtype="float64")  # equality is the claim: float64 on both sides
    out = tmp_path / "nlu"
    assert main(["eval-nlu", "--model", str(tiny_model_dir), "--tasks", "tiny_mc", "--include-path", task_dir,
                 "--out", str(out), "--dtype", "float64"]) == 0
    assert "tiny_mc" in capsys.readouterr().out
    nlu = json.loads((out / "nlu.json").read_text())
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    acc, acc_norm = [], []
    for doc, s in zip(mc_docs, sorted(samples, key=lambda s: s["doc_id"])):
        ctx = f"Question: {doc['question']}\nAnswer:"
        refs = [ref_loglikelihood(tiny_lm, ctx, " " + c) for c in doc["choices"]]
        assert_lls(s["choices"], refs)
        lls = [w for w, _ in refs]
        assert s["context"] == ctx and s["continuations"] == [" " + c for c in doc["choices"]]
        norm = [ll / len(c) for ll, c in zip(lls, doc["choices"])]  # lm-eval: per character of the choice
        acc.append(max(range(3), key=lls.__getitem__) == doc["label"])
        acc_norm.append(max(range(3), key=norm.__getitem__) == doc["label"])
    res = nlu["tasks"]["tiny_mc"]  # ratios of counts and a square root: float64 rounding << approx's rel 1e-6
    assert res["acc"] == pytest.approx(sum(acc) / len(acc))
    assert res["acc_norm"] == pytest.approx(sum(acc_norm) / len(acc_norm))
    assert 0 < res["acc"] < 1 and res["n"] == len(mc_docs)
    assert res["acc_stderr"] == pytest.approx((sum(acc) / len(acc) * (1 - sum(acc) / len(acc)) / (len(acc) - 1)) ** 0.5)
    assert nlu["options"]["chat_applied"] is False
    config = json.loads((out / "config.json").read_text())
    assert config["task_configs"]["tiny_mc"]["dataset_path"] == "json"


def test_generate_until_and_limit(tiny_lm, task_dir):
    from meow.evaluate.harness import cut_at_stops

    res = run_nlu(tiny_lm, ["tiny_gen", "tiny_mc"], task_dir, NLUConfig(limit=3))
    gen = [json.loads(line) for line in Path(task_dir, "gen.jsonl").read_text().splitlines()][:3]
    rows = sorted((s for s in res["samples"] if s["task"] == "tiny_gen"), key=lambda s: s["doc_id"])
    expected = [cut_at_stops(ref_generate(tiny_lm, f"Question: {g['question']}\nAnswer:", 12), ["\n", " was"])
                for g in gen]
    assert [r["response"] for r in rows] == expected
    em = sum(e == g["answer"] for e, g in zip(expected, gen)) / 3
    assert res["nlu"]["tasks"]["tiny_gen"]["exact_match"] == pytest.approx(em) and em > 0  # a ratio of counts
    assert res["nlu"]["tasks"]["tiny_mc"]["n"] == 3


def test_chat_template_wraps_contexts(tiny_model_dir, mc_docs, task_dir):
    """A chat model: contexts go through its chat template, which writes the special tokens itself."""
    from meow.modeling import PromptFormat, load_lm

    lm = load_lm(tiny_model_dir, dtype="float64")  # its own tokenizer: the shared fixture stays as it is
    lm.tokenizer.chat_template = ("{% for m in messages %}<s>[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
                                  "{% if add_generation_prompt %}[assistant]{% endif %}")
    lm.fmt = PromptFormat("chat")
    res = run_nlu(lm, ["tiny_mc"], task_dir, NLUConfig(limit=2))
    assert res["nlu"]["options"]["chat_applied"] is True
    for s in res["samples"]:
        doc = mc_docs[s["doc_id"]]
        assert s["context"] == f"<s>[user] Question: {doc['question']}\nAnswer:\n[assistant]"
        assert s["continuations"] == doc["choices"]  # lm-eval drops the space after a chat template
        assert_lls(s["choices"], [ref_loglikelihood(lm, s["context"], c, special=False) for c in doc["choices"]])


def test_user_errors_are_one_line(tiny_model_dir, task_dir, tmp_path, monkeypatch, capsys):
    assert main(["eval-nlu", "--model", str(tiny_model_dir), "--tasks", "no_such_task", "--include-path", task_dir,
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("meow eval-nlu: error: unknown lm-eval task(s) no_such_task")
    monkeypatch.setitem(sys.modules, "lm_eval", None)  # `import lm_eval` now raises ImportError
    assert main(["eval-nlu", "--model", str(tiny_model_dir), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == ("meow eval-nlu: error: lm-eval is not installed; install the `nlu` "
                                               "extra: pip install 'meow[nlu]' (or pip install lm-eval)")
