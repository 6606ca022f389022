"""MEMO (Gu et al., 2024): how much of an answer greedy decoding reproduces from growing pieces of it.

Suffix mode: for i = 1, 1+s, 1+2s, ... < len(a) (characters), continue q + " " + a[:i] greedily and score the
generation against the target a[i:] by ROUGE-1 precision (stemmed):

    MEMO(a) = mean_i  |unigrams(gen_i) ∩ unigrams(a[i:])| / |unigrams(gen_i)|

Prefix mode continues q[:i] (i < len(q)) against q[i:] + " " + a. Higher = more memorised.

"q + ' ' + a[:i]" is the question followed by the answer's start as the model saw them in training: for our
models that is `fmt.prompt(tok, q) + fmt.continuation(a[:i])` (the reference's raw concatenation was its template).
Prefix mode continues the raw question text, since the question itself is what is continued.

Every window of every answer goes through one `generate` call (continuous batching, longest prompts first).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from meow.memo.metrics import MEMO_METRICS, MemoConfig, mean, raw_prompt
from meow.registry import Shown

if TYPE_CHECKING:
    from meow.modeling import LM


def windows(question: str, answer: str, mode: str = "suffix", stride: int = 5) -> list[tuple[str, str]]:
    """(text to continue, target) pairs: suffix (a[:i], a[i:]) for i in range(1, len(a), stride);
    prefix (q[:i], q[i:] + " " + a) for i in range(1, len(q), stride)."""
    if mode == "suffix":
        return [(answer[:i], answer[i:]) for i in range(1, len(answer), stride)]
    return [(question[:i], question[i:] + " " + answer) for i in range(1, len(question), stride)]


def window_prompt(lm: LM, question: str, head: str, mode: str) -> str:
    """The text fed to the model for one window (see the module docstring)."""
    if mode == "suffix":
        return lm.fmt.prompt(lm.tokenizer, question) + lm.fmt.continuation(head, lm.tokenizer)
    return raw_prompt(lm, head)


class _StemmingTokenizer:
    """rouge_score's default tokenizer with its Porter stemmer behind a cache (the same words recur in every
    window; stemming is most of ROUGE's time)."""

    def __init__(self) -> None:
        from nltk.stem import porter

        self.stem = lru_cache(maxsize=1 << 16)(porter.PorterStemmer().stem)

    def tokenize(self, text: str) -> list[str]:
        from rouge_score import tokenize

        return tokenize.tokenize(text, self)


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1"], tokenizer=_StemmingTokenizer())  # = use_stemmer=True


def rouge1_precision(target: str, generation: str) -> float:
    """Share of the generation's (stemmed, lower-cased) words found in the target, counts clipped; 0 if empty."""
    return _scorer().score(target, generation)["rouge1"].precision


@MEMO_METRICS.register("memo", show=Shown(
    "forget_memo", "forget MEMO", "lower",
    "mean MEMO (ROUGE-1 precision of continuations from growing answer prefixes) of the original forget answers "
    "under this model", "evals/<name>/memo.json (target: also memo/forget.json): mean over records of memo.answer",
    order=60, key="original", short="forget\nMEMO"))
def memo(lm: LM, questions: list[str], answers: list[str], cfg: MemoConfig, progress: bool = False) -> list[float]:
    """MEMO of each (question, answer) pair; 0.0 for an answer with no window (the reference's fallback)."""
    from meow.modeling import generation

    per_pair = [windows(q, a, cfg.mode, cfg.stride) for q, a in zip(questions, answers)]
    prompts = [window_prompt(lm, q, head, cfg.mode) for q, ws in zip(questions, per_pair) for head, _ in ws]
    gens = iter(generation.generate(lm, prompts, cfg.max_new_tokens, cfg.batch_size,
                                    desc="MEMO windows" if progress else None))
    return [mean([rouge1_precision(target, next(gens)) for _, target in ws]) for ws in per_pair]
