"""`eval_muse(lm, data, cfg)`: MUSE's four headline numbers on meow's batched primitives.

Prompts are raw text tokenised with the tokenizer's special tokens (BOS), as muse_bench does (no chat template,
whatever the model's meow.json says). Per set the model runs once: one batched greedy decoding (meow's
continuous-batching loop, `greedy_ids`) for VerbMem / KnowMem, one batched `score` call for PrivLeak.
Outputs and the VerbMem ground truth are decoded as muse_bench decodes them (`skip_special_tokens=True`,
no stripping); the ground truth is cut to its first `max_new_tokens` tokens
(counting the special tokens the tokenizer adds, as `metrics/verbmem.py` does).

eval.json:

    {"format": 1, "kind": "muse", "model": ..., "options": {MuseConfig}, "missing": {set: why},
     "sets": {"verbmem_forget": {"source": ..., "records": [{"index", "prompt", "gt", "generation",
                                                            "rouge_l_f1", "rouge_l_recall"}]},
              "knowmem_forget" / "knowmem_retain": {... [{"index", "question", "answer", "generation", ...}]},
              "privleak_forget" / "privleak_holdout": {... [{"index", "n_tokens", "min_k",
                                                             "mia": {"loss", "zlib", "min_k", "min_k_pp",
                                                                     "gradnorm", "reference"}}]}},
     "privleak": {"auc": P(forget looks more likely than holdout), "auc_muse": 1 - auc,
                  "by_attack": {attack: AUC, meow's orientation}, "unavailable": {attack: why}}}

`mia` holds every attack of meow's registry (meow.evaluate.mia.MIA_ATTACKS) on the raw passage, the tokens after
the first scored as `min_k` is: LOSS, zlib, Min-K% and Min-K%++ (k = min_k), GradNorm (one backward pass per
passage, `mia_gradnorm`) and Reference (`reference_lm`, `--mia-reference-model`). MUSE's headline stays Min-40%.

summary.json: {"kind": "muse", "model", "retain_model", "verbmem_forget", "knowmem_forget", "knowmem_retain",
"privleak": each {"value" (MUSE's 0-100 scale) or null, "reason", "description", "n", ...}, "splits": {}};
privleak also has "by_attack": {attack: {"auc", "privleak"}} (`mia.roc_auc`, `mia.privleak` against the retain
model's AUC of the same attack, else 0.5) and "by_attack_reference".
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from meow.config import validate_config
from meow.errors import MeowError
from meow.evaluate import mia
from meow.evaluate.base import FORGET, HOLDOUT, Scored
from meow.evaluate.muse import metrics as M
from meow.evaluate.muse.data import MuseData
from meow.registry import Registry, Shown

HEADLINES = ("verbmem_forget", "knowmem_forget", "knowmem_retain", "privleak")
# summary.json's headline numbers, registered with their direction and report column (entry = the summary key)
MUSE_METRICS: Registry[str] = Registry("MUSE metric")
MUSE_METRICS.register("verbmem_forget", Shown(
    "verbmem_forget", "VerbMem forget", "lower",
    "MUSE VerbMem (0-100): mean ROUGE-L F1 of greedy continuations of forget-article prompts against the true "
    "continuations", "evals/<name>/summary.json: verbmem_forget.value (meow eval-muse)", order=90, table="muse",
    digits=2, short="VerbMem\nforget"))("verbmem_forget")
MUSE_METRICS.register("knowmem_forget", Shown(
    "knowmem_forget", "KnowMem forget", "lower", "MUSE KnowMem on the forget set (0-100): mean ROUGE-L F1 of "
    "few-shot answers", "evals/<name>/summary.json: knowmem_forget.value (meow eval-muse)", order=100,
    table="muse", digits=2, short="KnowMem\nforget"))("knowmem_forget")
MUSE_METRICS.register("knowmem_retain", Shown(
    "knowmem_retain", "KnowMem retain", "higher", "MUSE KnowMem on the retain set (0-100, utility): mean ROUGE-L "
    "F1 of few-shot answers", "evals/<name>/summary.json: knowmem_retain.value (meow eval-muse)", order=110,
    table="muse", digits=2, short="KnowMem\nretain"))("knowmem_retain")
MUSE_METRICS.register("privleak", Shown(
    "muse_privleak", "PrivLeak", "0",
    "MUSE PrivLeak (percent): ((1 - AUC) - (1 - AUC_retain)) / (1 - AUC_retain) x 100, Min-40% AUC forget vs "
    "holdout; 0: leaks as much as the retain model, strongly negative: still leaks",
    "evals/<name>/summary.json: privleak.value (meow eval-muse)", order=120, table="muse", digits=2,
    short="PrivLeak", kind="muse"))("privleak")
REFERENCE_AUC = 0.5  # MUSE / open-unlearning's reference AUC when no retain model is given
# muse_bench constants.py AUC_RETRAIN[corpus]["forget_holdout_Min-40%"]: the retrained models' AUC, MUSE's orientation
PUBLISHED_RETRAIN_AUC = {"news": 0.47719999999999996, "books": 0.5392999999999999}


@dataclass
class MuseConfig:
    """MUSE's evaluation options (defaults: muse_bench `eval.py: eval_model`)."""

    metrics: list[str] = field(default_factory=lambda: list(HEADLINES), metadata={
        "help": "which numbers to compute", "choices": HEADLINES})
    verbmem_max_new_tokens: int = field(default=128, metadata={"help": "VerbMem continuation length", "ge": 1})
    knowmem_max_new_tokens: int = field(default=32, metadata={"help": "KnowMem answer length", "ge": 1})
    min_k: float = field(default=0.4, metadata={"help": "PrivLeak: share k of lowest token log-probs (MUSE: Min-40 percent)",
                                                "gt": 0, "le": 1})
    batch_size: int = field(default=32, metadata={"help": "prompts per batch", "ge": 1})
    mia_gradnorm: bool = field(default=True, metadata={"help": "GradNorm membership attack on the PrivLeak passages "
                                                                "(one backward pass per forget/holdout passage)"})

    def validate(self) -> None:
        """Beyond the declared ranges (meow.config.validate_config): at least one metric."""
        if not self.metrics:
            raise MeowError(f"--metrics: choose at least one of {', '.join(HEADLINES)}")


# ---------------------------------------------------------------- model calls


def raw_ids(lm: Any, texts: list[str]) -> list[list[int]]:
    return lm.tokenizer(list(texts), add_special_tokens=True)["input_ids"]


def decode(tok: Any, ids: list[int]) -> str:
    """muse_bench decodes with clean_up_tokenization_spaces=True, which transformers 5 ignores for BPE tokenizers
    (every causal LM's); it only moves spaces before punctuation, which ROUGE's tokenizer drops anyway."""
    return tok.decode(ids, skip_special_tokens=True)


def continuations(lm: Any, prompts: list[str], max_new_tokens: int, batch_size: int) -> list[str]:
    """Greedy continuations of raw-text prompts, decoded as muse_bench does (not stripped)."""
    from meow.modeling import generation

    if not generation._loop_fits(lm.model):  # caches the loop cannot edit: model.generate, one prompt at a time
        return [_hf_continuation(lm, ids, max_new_tokens) for ids in raw_ids(lm, prompts)]
    tok = lm.tokenizer
    ids = generation.greedy_ids(lm.model, raw_ids(lm, prompts), max_new_tokens, batch_size, tok.eos_token_id,
                                tok.pad_token_id)
    return [decode(tok, x) for x in ids]


def _hf_continuation(lm: Any, ids: list[int], max_new_tokens: int) -> str:
    import torch

    x = torch.tensor([ids], device=lm.device)
    out = lm.model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=max_new_tokens, do_sample=False,
                            pad_token_id=lm.tokenizer.pad_token_id)
    return decode(lm.tokenizer, out[0, len(ids):].tolist())


def plain(lm: Any) -> Any:
    """`lm` with no prompt format: an empty prompt gets the tokenizer's special tokens, so a raw text is scored."""
    from meow.modeling import PromptFormat

    return dataclasses.replace(lm, fmt=PromptFormat())


def text_scores(lm: Any, texts: list[str], batch_size: int, stats: bool = False) -> list[Any]:
    """TokenScores of every token of each text after the first (the first given BOS when the tokenizer adds one);
    `stats`: with Min-K%++'s mu, sigma."""
    from meow.modeling import score

    return score(plain(lm), [""] * len(texts), texts, batch_size, stats=stats, eos=False)


def text_logprobs(lm: Any, texts: list[str], batch_size: int) -> list[list[float]]:
    """log p of every token of each text after the first."""
    return [s.logprobs.tolist() for s in text_scores(lm, texts, batch_size)]


# ---------------------------------------------------------------- sets


def _rouge_records(rows: list[dict[str, Any]], gts: list[str], outputs: list[str]) -> list[dict[str, Any]]:
    out = []
    for i, (row, gt, gen) in enumerate(zip(rows, gts, outputs)):
        f1, recall = M.rouge_l(gt, gen)
        out.append({"index": i, **row, "generation": gen, "rouge_l_f1": f1, "rouge_l_recall": recall})
    return out


def verbmem(lm: Any, rows: list[dict[str, str]], cfg: MuseConfig) -> list[dict[str, Any]]:
    """muse_bench metrics/verbmem.py: continue each prompt; ROUGE-L F1 against the first tokens of gt."""
    tok, n = lm.tokenizer, cfg.verbmem_max_new_tokens
    gts = [decode(tok, ids[:n]) for ids in raw_ids(lm, [r["gt"] for r in rows])]
    outputs = continuations(lm, [r["prompt"] for r in rows], n, cfg.batch_size)
    return _rouge_records(rows, gts, outputs)


def knowmem(lm: Any, rows: list[dict[str, str]], icl: list[dict[str, str]], cfg: MuseConfig) -> list[dict[str, Any]]:
    """muse_bench metrics/knowmem.py: few-shot prompt, answer cut at the first blank line / next question."""
    prefix = M.icl_prefix(icl)
    outputs = continuations(lm, [M.knowmem_prompt(prefix, r["question"]) for r in rows], cfg.knowmem_max_new_tokens,
                            cfg.batch_size)
    return _rouge_records(rows, [r["answer"] for r in rows], [M.cut_answer(o) for o in outputs])


def privleak_scores(lm: Any, rows: list[dict[str, str]], cfg: MuseConfig, reference_lm: Any = None
                    ) -> list[dict[str, Any]]:
    """Per passage: MUSE's Min-K% value (`min_k`) and meow's MIA attacks (`mia`, mia.attack_scores) from one
    `score` call, GradNorm's backward passes (mia.grad_norms, empty prompt) and the reference model's `score`."""
    texts = [r["text"] for r in rows]
    scores = text_scores(lm, texts, cfg.batch_size, stats=True)
    grads = mia.grad_norms(plain(lm), [""] * len(texts), texts) if cfg.mia_gradnorm else [None] * len(texts)
    refs = text_scores(reference_lm, texts, cfg.batch_size) if reference_lm is not None else [None] * len(texts)
    out = []
    for i, (text, s, g, ref) in enumerate(zip(texts, scores, grads, refs)):
        q = Scored("privleak", {"answer": text}, s, min_k=cfg.min_k, reference=ref, grad_norm=g)
        lp = s.logprobs.tolist()
        out.append({"index": i, "n_tokens": len(lp), "min_k": M.min_k_score(lp, cfg.min_k),
                    "mia": mia.attack_scores(q)})
    return out


def _mean(records: list[dict[str, Any]], key: str) -> float:
    vals = [r[key] for r in records]
    return sum(vals) / len(vals)


def run_sets(lm: Any, data: MuseData, cfg: MuseConfig, privleak_only: bool = False, reference_lm: Any = None
             ) -> dict[str, Any]:
    """eval.json content for `lm` (see the module docstring); `reference_lm`: the Reference attack's model."""
    validate_config(cfg)
    want = ("privleak",) if privleak_only else tuple(cfg.metrics)
    sets: dict[str, Any] = {}
    missing: dict[str, str] = {}

    def put(name: str, source_key: str, records: list[dict[str, Any]]) -> None:
        sets[name] = {"source": data.sources.get(source_key), "records": records}

    def need(*names: str) -> bool:
        absent = [n for n in names if n not in data.sets]
        for n in absent:
            missing[n] = data.missing.get(n, f"{n} not loaded")
        return not absent

    training = lm.model.training
    lm.model.eval()
    try:
        if "verbmem_forget" in want and need("verbmem_forget"):
            put("verbmem_forget", "verbmem_forget", verbmem(lm, data.sets["verbmem_forget"], cfg))
        for side in ("forget", "retain"):
            qa, icl = f"knowmem_{side}_qa", f"knowmem_{side}_qa_icl"
            if f"knowmem_{side}" in want and need(qa, icl):
                put(f"knowmem_{side}", qa, knowmem(lm, data.sets[qa], data.sets[icl], cfg))
        if "privleak" in want and need("privleak_forget", "privleak_holdout"):
            for name in ("privleak_forget", "privleak_holdout"):
                put(name, name, privleak_scores(lm, data.sets[name], cfg, reference_lm))
    finally:
        lm.model.train(training)
    ev: dict[str, Any] = {"format": 1, "kind": "muse", "model": getattr(lm, "path", None),
                          "options": dataclasses.asdict(cfg), "missing": missing, "sets": sets}
    if "privleak_forget" in sets:
        a_muse = M.auc_muse([r["min_k"] for r in sets["privleak_forget"]["records"]],
                            [r["min_k"] for r in sets["privleak_holdout"]["records"]])
        ev["privleak"] = {"auc": 1 - a_muse, "auc_muse": a_muse, **attack_aucs(sets, cfg, reference_lm is not None)}
    return ev


def attack_aucs(sets: dict[str, Any], cfg: MuseConfig, has_reference: bool) -> dict[str, Any]:
    """{"by_attack": {attack: AUC}, "unavailable": {attack: why}}: mia.attack_aucs (meow eval's AUCs: members =
    forget, more likely -> > 0.5) on the passages' `mia` scores."""
    aucs = mia.attack_aucs({"splits": {FORGET: sets["privleak_forget"], HOLDOUT: sets["privleak_holdout"]}})
    why = {"gradnorm": None if cfg.mia_gradnorm else "switched off (--mia-gradnorm false)",
           "reference": None if has_reference else "no reference model (--mia-reference-model DIR)"}
    by = aucs if isinstance(aucs, dict) else {}
    unavailable = {n: w or (aucs if isinstance(aucs, str) else "no finite scores")
                   for n, w in ((n, why.get(n)) for n in mia.MIA_ATTACKS.names()) if n not in by}
    return {"by_attack": by, "unavailable": unavailable}


# ---------------------------------------------------------------- summary


def _entry(value: float | None, reason: str | None, description: str, **extra: Any) -> dict[str, Any]:
    if value is not None and math.isnan(value):
        value, reason = None, reason or "not a number (e.g. texts too short for Min-K%)"
    return {"value": value, "reason": None if value is not None else reason, "description": description, **extra}


def retain_auc(retain: dict[str, Any] | None, published: float | None = None) -> tuple[float, str]:
    """(reference AUC, where it came from): a published retrained AUC (MUSE's orientation, as in its constants.py),
    the retain model's eval.json, else MUSE's default 0.5."""
    if published is not None:
        return 1 - published, f"published retrained-model AUC {published} (muse_bench constants.py orientation)"
    if retain is None:
        return REFERENCE_AUC, f"no retain model: reference AUC {REFERENCE_AUC} (MUSE's and open-unlearning's default)"
    auc = (retain.get("privleak") or {}).get("auc")
    if auc is None:
        raise MeowError("retain model's evaluation has no PrivLeak AUC (evaluate it with `meow eval-muse`, "
                        "privleak included)")
    return float(auc), f"retain model {retain.get('model')}"


def summarize_muse(ev: dict[str, Any], retain: dict[str, Any] | None = None, published_auc: float | None = None
                   ) -> dict[str, Any]:
    """summary.json content from eval.json content (and the retain model's, or a published AUC, for PrivLeak)."""
    sets, missing = ev.get("sets", {}), ev.get("missing", {})
    out: dict[str, Any] = {"kind": "muse", "model": ev.get("model"),
                           "retain_model": retain.get("model") if retain else None}
    texts = {"verbmem_forget": ("verbmem_forget", "VerbMem on the forget set: mean ROUGE-L F1 x 100 of the greedy "
                                "continuation of each prompt against its true continuation (MUSE metrics/verbmem.py)"),
             "knowmem_forget": ("knowmem_forget", "KnowMem on the forget set: mean ROUGE-L F1 x 100 of few-shot "
                                "answers (MUSE metrics/knowmem.py)"),
             "knowmem_retain": ("knowmem_retain", "KnowMem on the retain set (utility): mean ROUGE-L F1 x 100")}
    for name, (key, desc) in texts.items():
        if key in sets:
            records = sets[key]["records"]
            out[name] = _entry(100 * _mean(records, "rouge_l_f1"), None, desc, n=len(records))
        else:
            why = "; ".join(v for k, v in missing.items() if k.startswith(key)) or "not evaluated (--metrics)"
            out[name] = _entry(None, why, desc)
    desc = ("PrivLeak = ((1 - AUC) - (1 - AUC_retain)) / (1 - AUC_retain) x 100, AUC the Min-K% ROC-AUC with the "
            "forget texts as members and holdout as non-members (MUSE forget_holdout_Min-40%); 0 is ideal, "
            "strongly negative = still leaks, positive = over-unlearned")
    if "privleak" in ev:
        ref, whence = retain_auc(retain, published_auc)
        auc = ev["privleak"]["auc"]
        out["privleak"] = _entry(M.privleak_percent(auc, ref), None, desc, auc=auc, retain_auc=ref, reference=whence,
                                 min_k=ev.get("options", {}).get("min_k"), **by_attack(ev, retain))
    else:
        why = "; ".join(v for k, v in missing.items() if k.startswith("privleak")) or "not evaluated (--metrics)"
        out["privleak"] = _entry(None, why, desc)
    out["splits"] = {}
    out["missing_splits"] = dict(missing)
    return out


def by_attack(ev: dict[str, Any], retain: dict[str, Any] | None) -> dict[str, Any]:
    """{"by_attack": {attack: {"auc", "privleak"}}, "by_attack_reference", "unavailable"}: PrivLeak per attack
    (mia.privleak, as `meow eval`) against the retain model's AUC of the same attack, else 0.5."""
    mine = ev["privleak"].get("by_attack", {})
    if retain is None:
        ref = {name: mia.REFERENCE_AUC for name in mine}
        whence = f"default {mia.REFERENCE_AUC} (no retain model: give --retain-model or --retain-eval)"
    else:
        ref = (retain.get("privleak") or {}).get("by_attack", {})
        whence = f"retain model {retain.get('model')}, same attack"
        if missing := [name for name in mine if name not in ref]:
            whence += f" (its eval.json has no AUC for {', '.join(missing)}: PrivLeak null there)"
    out = {name: {"auc": auc, "privleak": mia.privleak(auc, ref[name]) if name in ref else None}
           for name, auc in mine.items()}
    return {"by_attack": out, "by_attack_reference": whence, "unavailable": ev["privleak"].get("unavailable", {})}


def eval_muse(lm: Any, data: MuseData, cfg: MuseConfig | None = None, retain: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(eval.json content, summary.json content) of `lm`; `retain`: the retain model's eval.json content."""
    ev = run_sets(lm, data, cfg or MuseConfig())
    return ev, summarize_muse(ev, retain)
