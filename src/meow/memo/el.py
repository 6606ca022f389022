"""EL, extraction likelihood (Jang et al., 2022; the MEOW reference's memo/el.py).

Greedy continuations from growing token prefixes, scored by word n-gram overlap (n = 1 in the reference):

    overlap(g, r) = |ngrams(g) ∩ ngrams(r)| / |ngrams(g)|      (distinct whitespace-split n-grams; 0 if g has none)
    EL = mean over i = 1 .. T-n-1 of overlap(greedy(prefix_i), reference_i)

Suffix mode: y = the answer's tokens as trained (`fmt.continuation(a)`), prefix_i = formatted question + y[:i],
reference_i = the whole answer (as the reference). Prefix mode: y = tokens of the raw text q + " " + a,
prefix_i = y[:i], reference_i = the rest of the text. All prefixes of all answers go through one `generate` call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meow.memo.metrics import MEMO_METRICS, MemoConfig, mean, raw_prompt

if TYPE_CHECKING:
    from meow.modeling import LM

N = 1  # word n-gram size (the reference's)


def word_ngrams(text: str, n: int = N) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def overlap(generation: str, reference: str, n: int = N) -> float:
    """Share of the generation's distinct n-grams that occur in the reference."""
    gen = word_ngrams(generation, n)
    return len(gen & word_ngrams(reference, n)) / len(gen) if gen else 0.0


def el_windows(lm: LM, question: str, answer: str, mode: str) -> list[tuple[str, str]]:
    """(prompt, reference) per token prefix i = 1 .. T-n-1."""
    tok = lm.tokenizer

    def prefixes(text: str) -> list[str]:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        return [tok.decode(ids[:i], clean_up_tokenization_spaces=False) for i in range(1, len(ids) - N)]

    if mode == "suffix":
        head = lm.fmt.prompt(tok, question)
        return [(head + p, answer) for p in prefixes(lm.fmt.continuation(answer, tok))]
    text = f"{question} {answer}"
    return [(raw_prompt(lm, p), text[len(p):] if text.startswith(p) else text) for p in prefixes(text)]


@MEMO_METRICS.register("el")
def el(lm: LM, questions: list[str], answers: list[str], cfg: MemoConfig, progress: bool = False) -> list[float]:
    """EL of each (question, answer) pair; 0.0 for an answer too short for any prefix."""
    from meow.modeling import generation

    per_pair = [el_windows(lm, q, a, cfg.mode) for q, a in zip(questions, answers)]
    gens = iter(generation.generate(lm, [p for ws in per_pair for p, _ in ws], cfg.max_new_tokens, cfg.batch_size,
                                    desc="EL prefixes" if progress else None))
    return [mean([overlap(next(gens), ref) for _, ref in ws]) for ws in per_pair]
