"""MUSE's per-item formulas as plain functions (swj0419/muse_bench `metrics/`, `eval.py`).

- ROUGE-L F1: `rouge_score.RougeScorer(["rougeL"], use_stemmer=False).score(gt, output)["rougeL"].fmeasure`
  (`metrics/logger.py: RougeEvalLogger.log`), the headline `mean_rougeL` x 100.
- KnowMem prompt (`metrics/knowmem.py: eval`): every ICL pair as "Question: {q}\\nAnswer: {a}\\n\\n", then
  "Question: {q}\\nAnswer: "; the output is cut before the first "\\n\\n", "\\nQuestion" or "Question:"
  (`get_prefix_before_words_occur`, applied in that order).
- Min-K% (`metrics/privleak.py: inference`): over the log-probs of every text token after the first one,
  -mean of the int(k * T) lowest (NaN when that is 0 tokens, as np.mean([]) is); lower = more likely a member.
- AUC (`metrics/privleak.py: sweep`, key `forget_holdout_Min-40%`): roc_curve(y, -score) with forget texts y=0 and
  holdout texts y=1, i.e. AUC_muse = P(s_holdout < s_forget) (ties 1/2). With AUC = 1 - AUC_muse (forget = members,
  > 0.5 when members look more likely, meow's orientation):
      PrivLeak = ((1 - AUC) - (1 - AUC_retain)) / (1 - AUC_retain) * 100 = (AUC_muse - AUC_muse_retain) / AUC_muse_retain * 100
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

CUT_WORDS = ("\n\n", "\nQuestion", "Question:")


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


def rouge_l(gt: str, output: str) -> tuple[float, float]:
    """(ROUGE-L F1, ROUGE-L recall) of `output` against `gt`, unstemmed."""
    s = _scorer().score(gt, output)["rougeL"]
    return s.fmeasure, s.recall


def icl_prefix(icl: Sequence[dict[str, str]]) -> str:
    return "".join(f"Question: {d['question']}\nAnswer: {d['answer']}\n\n" for d in icl)


def knowmem_prompt(prefix: str, question: str) -> str:
    return prefix + f"Question: {question}\nAnswer: "


def cut_answer(output: str, words: Sequence[str] = CUT_WORDS) -> str:
    for word in words:
        output = output.split(word)[0]
    return output


def min_k_score(logprobs: Sequence[float], k: float = 0.4) -> float:
    """MUSE's Min-K% value: -mean of the int(k*T) lowest token log-probs (NaN if none)."""
    n = int(len(logprobs) * k)
    if n == 0:
        return float("nan")
    return -sum(sorted(logprobs)[:n]) / n


def auc_muse(forget: Sequence[float], holdout: Sequence[float]) -> float:
    """AUC of `sweep(ppl, y)` with forget y=0, holdout y=1: P(s_holdout < s_forget) + P(tie)/2; NaNs dropped."""
    from meow.evaluate.mia import roc_auc

    return roc_auc([-x for x in holdout], [-x for x in forget])


def privleak_percent(auc: float, auc_retain: float) -> float:
    """((1 - AUC) - (1 - AUC_retain)) / (1 - AUC_retain) * 100, AUCs with forget = members (module docstring):
    `mia.privleak` without open-unlearning's 1e-10, as muse_bench's eval.py."""
    from meow.evaluate.mia import privleak

    return privleak(auc, auc_retain, eps=0.0)
