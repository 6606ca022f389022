"""MA, memorisation accuracy (Tirumala et al., 2022; the MEOW reference's memo/ma.py).

Teacher forcing: the share of tokens whose greedy next-token prediction is the true token,

    MA = (1/T) sum_t 1[argmax_z p(z | x, y_<t) = y_t]

Suffix mode: y = the answer's tokens as trained (`fmt.continuation(a)`) after the formatted question, all of
them; the reference starts its loop at the answer's second token, but the first is where a memorised answer starts
(often its key fact). Prefix mode: y = the raw text q + " " + a, from its second token (the first has no context),
as the reference. One batched `score` call for all answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meow.memo.metrics import MEMO_METRICS, MemoConfig, mean, raw_prompt

if TYPE_CHECKING:
    from meow.modeling import LM


@MEMO_METRICS.register("ma")
def ma(lm: LM, questions: list[str], answers: list[str], cfg: MemoConfig, progress: bool = False) -> list[float]:
    """MA of each (question, answer) pair from one teacher-forced `score` pass."""
    from meow.modeling import score

    if cfg.mode == "suffix":
        scores = score(lm, lm.prompts(questions), lm.continuations(answers), cfg.batch_size)
        return [_nan_if_broken(s, mean(s.answer_only().hits.float().tolist())) for s in scores]
    texts = [f"{q} {a}" for q, a in zip(questions, answers)]
    scores = score(lm, [raw_prompt(lm, "")] * len(texts), texts, cfg.batch_size, eos=False)
    out = []
    for text, s in zip(texts, scores):
        predicted = max(len(lm.tokenizer(text, add_special_tokens=False)["input_ids"]) - 1, 0)
        out.append(_nan_if_broken(s, mean(s.hits[len(s.hits) - predicted:].float().tolist())))  # no BOS: 1st absent
    return out


def _nan_if_broken(s: object, value: float) -> float:
    """NaN log-probs (a broken model) make every argmax meaningless: NaN, written as null with a reason."""
    return float("nan") if bool(s.logprobs.isnan().any()) else value  # type: ignore[attr-defined]
