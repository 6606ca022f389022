"""Evaluation while unlearning (`--eval-every`): a few cheap numbers that say how far forgetting has gone.

- forget_loss / retain_loss: mean over questions of the mean token NLL of the true answer,
- forget_rouge_l: mean ROUGE-L recall of greedy answers against the true answers (TOFU's ROUGE),
- forget_memo: mean MEMO of the true answers (meow.memo, suffix mode),
- forget_quality: KS-test p-value of this model's forget truth ratios against the retain model's (`--retain-eval`).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from meow.data import Record
from meow.errors import MeowError, where
from meow.modeling import LM, generate_answers, mean_nll


def _mean(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else None


def check_truth_ratio_fields(records: list[Record], path: object) -> None:
    for i, r in enumerate(records):
        for key in ("paraphrased_answer", "perturbed_answer"):
            if not r.get(key):
                raise MeowError(f"{where(path, i, key)}: missing; forget quality needs paraphrased and perturbed "
                                f"answers in the forget file (TOFU's forgetXX_perturbed)")


def retain_truth_ratios(retain_eval: str | Path) -> list[float]:
    """The retain model's per-question forget-set truth ratios, from its `meow eval` folder."""
    from meow.evaluate.aggregate import load_eval
    from meow.evaluate.tofu import truth_ratios

    ratios = truth_ratios(load_eval(retain_eval).data)
    if not ratios:
        raise MeowError(f"{retain_eval}: the retain model's evaluation has no forget-set truth ratios")
    return ratios


class Evaluator:
    """Callable `(model) -> {metric: value}` on fixed forget / retain records; the model is put back in train mode."""

    def __init__(self, lm: LM, forget: list[Record], retain: list[Record] | None, cfg: Any,
                 retain_eval: str | Path | None = None, forget_path: object = "forget set"):
        n = cfg.eval_n or None
        self.lm, self.cfg = lm, cfg
        self.forget, self.retain = forget[:n], (retain or [])[:n]
        self.reference = None
        if retain_eval:
            check_truth_ratio_fields(self.forget, forget_path)
            self.reference = retain_truth_ratios(retain_eval)

    def __call__(self, model: Any) -> dict[str, float | None]:
        import torch

        lm = dataclasses.replace(self.lm, model=model)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                return self.metrics(lm)
        finally:
            model.train(was_training)

    def metrics(self, lm: LM) -> dict[str, float | None]:
        from meow.evaluate.tofu import rouge_l_recall

        qs, answers = [r["question"] for r in self.forget], [r["answer"] for r in self.forget]
        out: dict[str, float | None] = {"forget_loss": _mean(mean_nll(lm, qs, answers))}
        if self.retain:
            out["retain_loss"] = _mean(mean_nll(lm, [r["question"] for r in self.retain],
                                                [r["answer"] for r in self.retain]))
        gens = generate_answers(lm, qs, max_new_tokens=self.cfg.eval_max_new_tokens)
        out["forget_rouge_l"] = _mean([rouge_l_recall(g, a) for g, a in zip(gens, answers)])
        out["forget_memo"] = self.memo(lm)
        if self.reference is not None:
            out["forget_quality"] = self.forget_quality(lm)
        return out

    def memo(self, lm: LM) -> float | None:
        from meow.memo import memo_scores

        return _mean(memo_scores(lm, [r["question"] for r in self.forget], [r["answer"] for r in self.forget],
                                 stride=self.cfg.memo_stride, max_new_tokens=self.cfg.memo_max_new_tokens))

    def forget_quality(self, lm: LM) -> float:
        from meow.evaluate.tofu import ks_test, truth_ratio

        qs = [r["question"] for r in self.forget]
        para = mean_nll(lm, qs, [r["paraphrased_answer"] for r in self.forget])
        flat_q = [r["question"] for r in self.forget for _ in r["perturbed_answer"]]
        pert = mean_nll(lm, flat_q, [p for r in self.forget for p in r["perturbed_answer"]])
        ratios, k = [], 0
        for r, nll_para in zip(self.forget, para):
            n = len(r["perturbed_answer"])
            ratios.append(truth_ratio(nll_para, pert[k:k + n]))
            k += n
        return ks_test(ratios, self.reference)[1]
