"""What `meow unlearn --sequence` measures after each step (meow.unlearn.sequence): QA requests with `meow eval`'s
metrics, text requests (passages) with `meow eval-muse`'s.

- QA: one `evaluate` over the union of requests 1..k (the forget split) plus the general splits of `--data`; then
  `summarize` per request over its questions, forget quality against the retain model's values on the same
  questions (`--retain-eval`, whose forget split covers every request). An eval `limit` cuts the general splits
  only: every request's questions are evaluated.
- Text (MUSE's sustainability setting): MUSE's fixed sets of `--data` (a MUSE-layout folder: VerbMem and KnowMem
  on the whole forget corpus, KnowMem retain, PrivLeak against `--retain-eval`, an `eval-muse` folder of the retain
  model) after every step; MUSE measures no per-chunk numbers, so requests.json is empty.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from meow.errors import MeowError
from meow.io import read_json, write_json

MUSE_HEADLINES = ("verbmem_forget", "knowmem_forget", "knowmem_retain", "privleak")


def slice_forget(ev: dict[str, Any], questions: list[str]) -> dict[str, Any] | None:
    """eval.json content restricted to the forget questions in `questions` (their order); None if any is missing."""
    by_q = {r.get("question"): r for r in ev["splits"].get("forget", {}).get("records", [])}
    if not all(q in by_q for q in questions):
        return None
    return {**ev, "splits": {**ev["splits"], "forget": {**ev["splits"]["forget"],
                                                         "records": [by_q[q] for q in questions]}}}


def request_summaries(ev: dict[str, Any], requests: list[list[dict]], retain: dict[str, Any] | None
                      ) -> dict[str, dict[str, Any]]:
    """{"j": summary.json content over request j's questions} for an evaluation of the union of `requests`."""
    from meow.evaluate import summarize
    from meow.evaluate.mia import attack_aucs

    out = {}
    for j, recs in enumerate(requests, 1):
        questions = [r["question"] for r in recs]
        sub = slice_forget(ev, questions)
        assert sub is not None  # the union was evaluated: every question is there
        aucs = attack_aucs(sub)
        sub["mia"] = {**ev.get("mia", {}), "auc": aucs} if isinstance(aucs, dict) else {"reason": aucs}
        ref = slice_forget(retain, questions) if retain is not None else None
        summary = summarize(sub, ref)
        if retain is not None and ref is None:
            summary["forget_quality"] = {**summary["forget_quality"], "value": None,
                                         "reason": "the retain model's evaluation lacks some of this request's "
                                                   "questions"}
        out[str(j)] = summary
    return out


def headline(summary: dict[str, Any]) -> dict[str, float | None]:
    """A few numbers for the step's line: forget quality, model utility, forget ROUGE-L and key-fact accuracy (MUSE:
    its four headline numbers)."""
    if summary.get("kind") == "muse":
        return {k: (summary.get(k) or {}).get("value") for k in MUSE_HEADLINES}
    forget = summary.get("splits", {}).get("forget", {})
    return {"forget_quality": (summary.get("forget_quality") or {}).get("value"),
            "model_utility": (summary.get("model_utility") or {}).get("value"),
            "forget_rouge_l": (forget.get("rouge_l_recall") or {}).get("value"),
            "forget_fact_hit": (forget.get("fact_hit") or {}).get("value")}


class QAEval:
    """`meow eval` after each step: the union of the requests so far + the general splits of `data`."""

    def __init__(self, requests: list[str], records: list[list[dict]], data: Any, holdout_split: str,
                 retain_eval: str | None, cfg: Any):
        from meow.evaluate import check_splits, load_eval, load_splits

        for f, recs in zip(requests, records):  # every step evaluates them: a missing field fails now
            check_splits({"forget": recs}, {"forget": f})
        self.general, self.sources, self.absent = ({}, {}, {}) if data is None else load_splits(
            data, holdout_split, {"forget": requests[0]})
        self.general.pop("forget", None)
        self.retain = load_eval(retain_eval).data if retain_eval else None
        self.cfg = cfg

    def __call__(self, lm: Any, so_far: list[list[dict]], files: list[str], out: Path) -> dict[str, Any]:
        """Evaluate into `out` (eval.json, summary.json, config.json); returns {"summary", "requests"}."""
        from meow.evaluate import evaluate
        from meow.evaluate.splits import limit_splits

        union = [r for part in so_far for r in part]
        ref = slice_forget(self.retain, [r["question"] for r in union]) if self.retain is not None else None
        # the eval limit cuts the general splits only: every request's questions are evaluated (its numbers need them)
        general, _ = limit_splits(self.general, self.cfg.limit)
        cfg = dataclasses.replace(self.cfg, limit=None) if self.cfg.limit else self.cfg
        result = evaluate(lm, {"forget": union, **general}, ref or self.retain, cfg=cfg,
                          sources={**self.sources, "forget": ",".join(files)}, missing_splits=self.absent,
                          progress=False)  # forget quality against the retain values of the same questions
        result.save(out, {"model": lm.path, "options": dataclasses.asdict(self.cfg),
                          "made_by": "meow unlearn --sequence", "requests": files})
        return {"summary": result.summary, "requests": request_summaries(result.data, so_far, self.retain)}


class MuseEval:
    """`meow eval-muse` after each step: MUSE's sets of `data` (a MUSE-layout folder or hub id)."""

    def __init__(self, data: Any, retain_eval: str | None, cfg: Any):
        from meow.config import validate_config
        from meow.evaluate.muse.data import load_muse

        if data is None:
            raise MeowError("--sequence with text requests: give --data DIR, a MUSE-layout folder (verbmem/, "
                            "knowmem/, privleak/: `meow benchmark make --kind muse`) evaluated after every step")
        self.data, self.muse, self.cfg = data, load_muse(data), validate_config(cfg)
        self.retain = None
        if retain_eval:
            file = Path(retain_eval) / "eval.json"
            self.retain = read_json(file) if file.is_file() else None
            if not isinstance(self.retain, dict) or self.retain.get("kind") != "muse":
                raise MeowError(f"{file}: not an eval.json written by `meow eval-muse` (text requests need the "
                                "retain model's MUSE evaluation)")

    def __call__(self, lm: Any, so_far: list[list[dict]], files: list[str], out: Path) -> dict[str, Any]:
        from meow.evaluate.muse.evaluator import run_sets, summarize_muse

        ev = run_sets(lm, self.muse, self.cfg)
        summary = summarize_muse(ev, self.retain)
        write_json(out / "eval.json", ev)
        write_json(out / "summary.json", summary)
        write_json(out / "config.json", {"command": "eval-muse", "model": lm.path, "data": str(self.data),
                                         "options": dataclasses.asdict(self.cfg), "requests": files,
                                         "made_by": "meow unlearn --sequence"})
        return {"summary": summary, "requests": {}}
