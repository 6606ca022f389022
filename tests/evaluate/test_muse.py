"""`meow eval-muse` against a plain re-implementation of swj0419/muse_bench's metrics/ (one prompt at a time,
model.generate, rouge_score, sklearn's roc_curve + auc as in metrics/privleak.py: sweep)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tolerances import U32, logprob_bound

from meow.cli import main
from meow.errors import MeowError


def _read(path: Path):
    return json.loads(path.read_text())


def _muse_generate(model, tok, prompt: str, n: int) -> str:
    ids = tok(prompt, return_tensors="pt", add_special_tokens=True).input_ids
    out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, do_sample=False,
                         pad_token_id=tok.pad_token_id)
    return tok.batch_decode(out[:, len(ids[0]):], skip_special_tokens=True)[0]


def _muse_rouge_l(gt: str, output: str) -> float:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=False).score(
        gt, output)["rougeL"].fmeasure


def muse_verbmem(model, tok, data: list[dict], n: int = 128) -> float:
    scores = []
    for d in data:
        gt_ids = tok(d["gt"], return_tensors="pt", add_special_tokens=True).input_ids[:, :n]
        gt_short = tok.batch_decode(gt_ids, skip_special_tokens=True)[0]
        scores.append(_muse_rouge_l(gt_short, _muse_generate(model, tok, d["prompt"], n)))
    return sum(scores) / len(scores) * 100


def muse_knowmem(model, tok, qa: list[dict], icl: list[dict], n: int = 32) -> tuple[float, list[str]]:
    general = "".join(f"Question: {d['question']}\nAnswer: {d['answer']}\n\n" for d in icl)
    scores, outs = [], []
    for d in qa:
        out = _muse_generate(model, tok, general + f"Question: {d['question']}\nAnswer: ", n)
        for word in ["\n\n", "\nQuestion", "Question:"]:
            out = out.split(word)[0]
        scores.append(_muse_rouge_l(d["answer"], out))
        outs.append(out)
    return sum(scores) / len(scores) * 100, outs


def muse_min40(model, tok, text: str) -> float:
    ids = torch.tensor(tok.encode(text)).unsqueeze(0)
    with torch.no_grad():
        logits = model(ids).logits
    logp = torch.log_softmax(logits, dim=-1)
    all_prob = [logp[0, i, t].item() for i, t in enumerate(ids[0][1:])]
    k = int(len(all_prob) * 0.4)
    return float(-np.mean(np.sort(all_prob)[:k]))


def muse_auc(model, tok, forget: list[str], holdout: list[str]) -> float:
    from sklearn.metrics import auc, roc_curve

    ppl = np.array([muse_min40(model, tok, t) for t in forget] + [muse_min40(model, tok, t) for t in holdout])
    y = np.array([0] * len(forget) + [1] * len(holdout))
    fpr, tpr, _ = roc_curve(y, -ppl)
    return auc(fpr, tpr)


@pytest.fixture(scope="module")
def retain_dir(tiny_muse_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in retain model: the target's architecture and tokenizer, untrained."""
    from meow.modeling import load_lm, save_lm
    from meow.modeling.tiny import TinyConfig, build_tiny_model
    from tests.conftest import TINY_MODEL

    lm = load_lm(tiny_muse_model_dir)
    lm.model = build_tiny_model(lm.tokenizer, TinyConfig(**TINY_MODEL), seed=1)
    out = tmp_path_factory.mktemp("muse_retain") / "retain"
    save_lm(lm, out)
    return out


def test_eval_muse_matches_muse_bench(tiny_muse_dir: Path, tiny_muse_model_dir: Path, retain_dir: Path,
                                      tmp_path: Path) -> None:
    from meow.modeling import load_lm

    out = tmp_path / "ev"
    assert main(["eval-muse", "--model", str(tiny_muse_model_dir), "--data", str(tiny_muse_dir),
                 "--retain-model", str(retain_dir), "--out", str(out)]) == 0
    s = _read(out / "summary.json")
    lm, ref = load_lm(tiny_muse_model_dir), load_lm(retain_dir)
    d = tiny_muse_dir
    assert s["verbmem_forget"]["value"] == pytest.approx(
        muse_verbmem(lm.model, lm.tokenizer, _read(d / "verbmem/forget.json")), abs=1e-9)
    ev = _read(out / "eval.json")
    for side in ("forget", "retain"):
        value, outputs = muse_knowmem(lm.model, lm.tokenizer, _read(d / f"knowmem/{side}_qa.json"),
                                      _read(d / f"knowmem/{side}_qa_icl.json"))
        assert s[f"knowmem_{side}"]["value"] == pytest.approx(value, abs=1e-9)
        assert [r["generation"] for r in ev["sets"][f"knowmem_{side}"]["records"]] == outputs  # same cut answers
        assert any(o.strip() for o in outputs)  # the tiny model does answer something
    forget, holdout = _read(d / "privleak/forget.json"), _read(d / "privleak/holdout.json")
    auc_u = muse_auc(lm.model, lm.tokenizer, forget, holdout)
    auc_r = muse_auc(ref.model, ref.tokenizer, forget, holdout)
    # AUCs are ratios of counts over the same ranking of passages, then the same few float64 operations (error
    # ~1e-13 on values <= 100): abs 1e-9 is float64 arithmetic, not a fitted margin
    assert s["privleak"]["value"] == pytest.approx((auc_u - auc_r) / auc_r * 100, abs=1e-9)  # muse_bench eval.py
    assert s["privleak"]["auc"] == pytest.approx(1 - auc_u) and s["privleak"]["retain_auc"] == pytest.approx(1 - auc_r)
    assert s["verbmem_forget"]["value"] > 30  # the target memorised its articles
    assert s["privleak"]["value"] < -50  # and leaks: forget texts look far more likely than holdout ones
    assert (out / "retain_model" / "eval.json").is_file()


def test_eval_muse_without_retain_uses_half(tiny_muse_dir: Path, tiny_muse_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    assert main(["eval-muse", "--model", str(tiny_muse_model_dir), "--data", str(tiny_muse_dir), "--out", str(out),
                 "--metrics", "privleak"]) == 0
    s = _read(out / "summary.json")
    auc = s["privleak"]["auc"]
    assert s["privleak"]["retain_auc"] == 0.5 and "no retain model" in s["privleak"]["reference"]
    assert s["privleak"]["value"] == pytest.approx(((1 - auc) - 0.5) / 0.5 * 100)
    assert s["verbmem_forget"]["value"] is None and "not evaluated" in s["verbmem_forget"]["reason"]


def test_muse_metric_pieces() -> None:
    from meow.evaluate.muse import metrics as M

    assert M.cut_answer(" Paris\n\nQuestion: x") == " Paris"
    assert M.cut_answer("\n\nParis") == ""  # muse_bench does not strip before cutting
    assert M.cut_answer("Rome Question: y") == "Rome "
    assert M.min_k_score([-1.0, -5.0, -3.0, -2.0, -4.0], 0.4) == pytest.approx(4.5)  # int(5 * 0.4) = 2 lowest
    assert np.isnan(M.min_k_score([-1.0, -2.0], 0.4))  # int(0.8) = 0 tokens, as np.mean([]) is NaN
    # forget scores (MUSE's -mean, lower = member) below every holdout score: AUC_muse = 0, AUC = 1
    assert M.auc_muse([1.0, 2.0], [3.0, 4.0]) == 0.0
    assert M.privleak_percent(1.0, 0.5) == pytest.approx(-100.0)
    assert M.privleak_percent(0.5, 0.5) == 0.0
    assert M.privleak_percent(0.3, 0.5) == pytest.approx(40.0)


def test_eval_muse_errors(tiny_muse_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from meow.evaluate.muse import load_muse

    with pytest.raises(MeowError, match="not a folder"):
        load_muse(tmp_path / "nothing.json")
    bad = tmp_path / "bad"
    (bad / "verbmem").mkdir(parents=True)
    (bad / "verbmem" / "forget.json").write_text(json.dumps([{"prompt": "a"}]))
    with pytest.raises(MeowError, match=r"record 0: missing 'gt'"):
        load_muse(bad)
    data = load_muse(tiny_muse_dir)
    assert set(data.sets) == {"verbmem_forget", "knowmem_forget_qa", "knowmem_forget_qa_icl", "knowmem_retain_qa",
                              "knowmem_retain_qa_icl", "privleak_forget", "privleak_retain", "privleak_holdout"}
    assert main(["eval-muse", "--model", "x", "--data", str(tiny_muse_dir), "--out", str(tmp_path / "o"),
                 "--metrics", "nope"]) == 2
    assert "--metrics: 'nope' is not one of" in capsys.readouterr().err


def test_hub_offline_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from meow.evaluate.muse import load_muse

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(MeowError, match="could not load verbmem/forget from the hub") as e:
        load_muse("muse-bench/MUSE-News-not-cached")
    assert "\n" not in str(e.value)


def test_hub_repo_copy_of_parquet_files(tiny_muse_dir: Path, tmp_path: Path) -> None:
    """A downloaded copy of muse-bench/MUSE-News (parquet files + README configs) reads like the JSON layout."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from meow.evaluate.muse import load_muse
    from meow.evaluate.muse.data import SETS

    repo = tmp_path / "MUSE-News"
    configs: dict[str, list[str]] = {}
    for config, split, _ in SETS.values():
        rows = _read(tiny_muse_dir / config / f"{split}.json")
        rows = [{"text": r} if isinstance(r, str) else r for r in rows]
        (repo / config).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), repo / config / f"{split}-00000-of-00001.parquet")
        configs.setdefault(config, []).append(split)
    lines = ["---", "configs:"]
    for config, splits in configs.items():
        lines += [f"- config_name: {config}", "  data_files:"]
        lines += [f"  - split: {s}\n    path: {config}/{s}-*.parquet" for s in splits]
    (repo / "README.md").write_text("\n".join([*lines, "---", ""]))
    got, want = load_muse(repo), load_muse(tiny_muse_dir)
    assert got.sets == want.sets and not got.missing


@pytest.mark.parametrize("argv", [["eval-muse", "--help"], ["demo", "--help"], ["benchmark", "make", "--help"]])
def test_help_pages(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 0 and "usage" in capsys.readouterr().out  # main returns argparse's exit code


def test_published_retrain_auc(tiny_muse_dir: Path, tiny_muse_model_dir: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture) -> None:
    """--retain-auc news: muse_bench eval.py's (AUC - AUC_RETRAIN) / AUC_RETRAIN x 100 with its News constant."""
    out = tmp_path / "ev"
    assert main(["eval-muse", "--model", str(tiny_muse_model_dir), "--data", str(tiny_muse_dir), "--out", str(out),
                 "--metrics", "privleak", "--retain-auc", "news"]) == 0
    p = _read(out / "summary.json")["privleak"]
    auc_muse = 1 - p["auc"]
    assert p["value"] == pytest.approx((auc_muse - 0.47719999999999996) / 0.47719999999999996 * 100)
    assert "published" in p["reference"]
    assert main(["eval-muse", "--model", "x", "--data", str(tiny_muse_dir), "--out", str(tmp_path / "o"),
                 "--retain-auc", "1.5"]) == 2
    assert "--retain-auc 1.5" in capsys.readouterr().err


def _passage_logp(model, tok, text: str) -> torch.Tensor:
    """log p of every token after the first (muse_bench metrics/privleak.py's tokens), with the autograd graph."""
    ids = torch.tensor(tok.encode(text)).unsqueeze(0)
    logits = model(ids).logits[0, :-1]
    assert float(logits.detach().abs().max()) < 50  # the premise of _logp_bound
    logp = torch.log_softmax(logits if logits.dtype == torch.float64 else logits.float(), dim=-1)
    return logp.gather(-1, ids[0, 1:, None]).squeeze(-1)


def _logp_bound(model) -> float:
    """A float64 model's log-prob from `score` (float32 log-softmax) vs the float64 reference (tolerances.py)."""
    return logprob_bound(model.config.vocab_size, logit_error=50 * U32, max_logit=50)


def _loss(model, tok, text: str) -> float:
    with torch.no_grad():
        return float(-_passage_logp(model, tok, text).mean())


def test_eval_muse_every_attack(tiny_muse_dir: Path, tiny_muse_model_dir: Path, retain_dir: Path,
                                tmp_path: Path) -> None:
    """privleak.by_attack: LOSS / zlib AUCs as sklearn computes them, GradNorm as plain autograd, Reference with a
    second model; PrivLeak per attack against the retain model's AUC of the same attack."""
    import zlib

    from sklearn.metrics import roc_auc_score

    from meow.modeling import load_lm

    out = tmp_path / "ev"
    assert main(["eval-muse", "--model", str(tiny_muse_model_dir), "--data", str(tiny_muse_dir), "--out", str(out),
                 "--metrics", "privleak", "--retain-model", str(retain_dir),
                 "--mia-reference-model", str(retain_dir), "--dtype", "float64"]) == 0  # equality is the claim
    s, ev = _read(out / "summary.json")["privleak"], _read(out / "eval.json")
    r_ev = _read(out / "retain_model" / "eval.json")
    assert set(s["by_attack"]) == {"loss", "zlib", "min_k", "min_k_pp", "gradnorm", "reference"}
    assert s["value"] == pytest.approx(((1 - s["auc"]) - (1 - s["retain_auc"])) / (1 - s["retain_auc"]) * 100)
    lm, ref = load_lm(tiny_muse_model_dir, dtype="float64"), load_lm(retain_dir, dtype="float64")
    model, tok = lm.model.eval(), lm.tokenizer
    bound = _logp_bound(model)
    forget, holdout = _read(tiny_muse_dir / "privleak/forget.json"), _read(tiny_muse_dir / "privleak/holdout.json")
    texts = forget + holdout
    y = [1] * len(forget) + [0] * len(holdout)
    loss = [_loss(model, tok, t) for t in texts]
    z = [v / len(zlib.compress(t.encode("utf-8"))) for v, t in zip(loss, texts)]
    # rank statistics: the same ranking gives the same ratio of counts (approx's rel 1e-6 >> float64 rounding)
    assert s["by_attack"]["loss"]["auc"] == pytest.approx(roc_auc_score(y, [-v for v in loss]))
    assert s["by_attack"]["zlib"]["auc"] == pytest.approx(roc_auc_score(y, [-v for v in z]))
    rec = ev["sets"]["privleak_forget"]["records"][0]["mia"]
    assert rec["loss"] == pytest.approx(loss[0], abs=bound)  # a mean of log-probs, each within `bound`
    assert rec["reference"] == pytest.approx(loss[0] - _loss(ref.model.eval(), tok, texts[0]), abs=2 * bound)
    # MUSE's Min-40% (muse_bench's own code, float64 here): the mean of the lowest 40% of values each within `bound`
    first = ev["sets"]["privleak_forget"]["records"][0]
    assert first["min_k"] == pytest.approx(muse_min40(model, tok, forget[0]), abs=bound)
    model.zero_grad(set_to_none=True)
    (-_passage_logp(model, tok, texts[0]).mean()).backward()
    norms = [p.grad.norm() for p in model.parameters() if p.grad is not None]
    # float64 backward on both sides (mia.grad_norms keeps a float64 model in float64): only the order of float64
    # sums differs (2 gamma(4e4, U64) = 9e-12 relative per sum); rel 1e-9 leaves a 100x margin
    assert rec["gradnorm"] == pytest.approx(float(torch.stack(norms).mean()), rel=1e-9)
    # PrivLeak: a few float64 operations on AUCs (rounding ~1e-13 on values <= 100); likewise below
    for name, e in s["by_attack"].items():
        r_auc = r_ev["privleak"]["by_attack"][name]
        assert e["privleak"] == pytest.approx(((1 - e["auc"]) - (1 - r_auc)) / (1 - r_auc) * 100, abs=1e-6)
    assert s["by_attack"]["min_k"]["auc"] == pytest.approx(s["auc"])  # no passage under 1 / k tokens here
    assert "retain model" in s["by_attack_reference"] and not s["unavailable"]


def test_eval_muse_attacks_switched_off(tiny_muse_dir: Path, tiny_muse_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    assert main(["eval-muse", "--model", str(tiny_muse_model_dir), "--data", str(tiny_muse_dir), "--out", str(out),
                 "--metrics", "privleak", "--mia-gradnorm", "false"]) == 0
    s = _read(out / "summary.json")["privleak"]
    assert set(s["by_attack"]) == {"loss", "zlib", "min_k", "min_k_pp"}
    assert "--mia-gradnorm false" in s["unavailable"]["gradnorm"]
    assert "--mia-reference-model" in s["unavailable"]["reference"]
    assert "default 0.5" in s["by_attack_reference"]
    for e in s["by_attack"].values():
        assert e["privleak"] == pytest.approx(((1 - e["auc"]) - 0.5) / 0.5 * 100, abs=1e-6)


def test_by_attack_against_an_older_retain_eval() -> None:
    """A retain eval.json without per-attack AUCs: PrivLeak null for those attacks, and summary.json says why."""
    from meow.evaluate import mia
    from meow.evaluate.muse.evaluator import by_attack

    ev = {"privleak": {"auc": 0.9, "by_attack": {"loss": 0.8, "min_k": 0.9}, "unavailable": {}}}
    retain = {"model": "r", "privleak": {"auc": 0.6, "by_attack": {"min_k": 0.6}}}
    out = by_attack(ev, retain)
    assert out["by_attack"]["min_k"]["privleak"] == pytest.approx(mia.privleak(0.9, 0.6))
    assert out["by_attack"]["loss"] == {"auc": 0.8, "privleak": None} and "loss" in out["by_attack_reference"]
