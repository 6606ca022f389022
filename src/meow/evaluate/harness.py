"""Our `LM` inside lm-evaluation-harness: its three request types on meow.modeling's batched `score` / `generate`.

Imported only once `meow.evaluate.nlu.require_lm_eval()` found lm-eval (an optional extra).

- `loglikelihood(context, continuation)`: sum_t log p(y_t | context, y_<t) from one `score` call over every request,
  and is_greedy = every continuation token is the argmax. As in lm-eval, trailing spaces of the context move to the
  continuation; context and continuation are tokenised separately (as everywhere in meow, so the boundary is exact).
- `loglikelihood_rolling(text)`: log p(text | BOS), for texts that fit the model's context window.
- `generate_until(context, {until, max_gen_toks, temperature})`: `generate`, cut at the first stop string.

Contexts are raw text: the tokenizer adds its special tokens (BOS) as for a `plain` prompt; once lm-eval has applied
the chat template (`chat=True`) the context already carries them. An empty context is the BOS (or EOS) token alone.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from lm_eval.api.model import LM as HarnessBase

from meow.errors import MeowError
from meow.evaluate.nlg import raw_view
from meow.modeling import LM, PromptFormat, generate, score

DEFAULT_MAX_GEN_TOKS = 256


class MeowHarnessLM(HarnessBase):
    """An lm-eval `LM` backed by a loaded meow `LM` (no copy of the model is made)."""

    def __init__(self, lm: LM, batch_size: int = 32, chat: bool = False):
        super().__init__()
        self.lm, self.batch_size, self.chat = lm, batch_size, chat
        self.raw = raw_view(lm)  # score/generate add the tokenizer's BOS to the context
        self.templated = dataclasses.replace(lm, fmt=PromptFormat("chat"))  # contexts carry their special tokens
        tok = lm.tokenizer
        self.start = tok.bos_token or tok.eos_token  # stands in for an empty context

    # ---------------------------------------------------------------- helpers

    def _view(self, context: str) -> tuple[LM, str]:
        """(the LM view whose special-token handling fits this context, the context to feed)."""
        if not context:
            return self.templated, self.start
        return (self.templated if self.chat else self.raw), context

    def _score(self, pairs: list[tuple[str, str]]) -> list[Any]:
        """TokenScores per (context, continuation), one `score` call per special-token handling."""
        groups: dict[int, list[int]] = defaultdict(list)
        views: dict[int, LM] = {}
        fed: list[tuple[str, str]] = []
        for i, (ctx, cont) in enumerate(pairs):
            n = len(ctx) - len(ctx.rstrip())
            if n and ctx.strip():  # "Answer: " + "x" -> "Answer:" + " x", as lm-eval does
                ctx, cont = ctx[:-n], ctx[-n:] + cont
            view, ctx = self._view(ctx)
            views[id(view)] = view
            groups[id(view)].append(i)
            fed.append((ctx, cont))
        out: list[Any] = [None] * len(pairs)
        for key, idx in groups.items():
            res = score(views[key], [fed[i][0] for i in idx], [fed[i][1] for i in idx], batch_size=self.batch_size,
                        eos=False)
            for i, s in zip(idx, res):
                out[i] = s
        return out

    # ---------------------------------------------------------------- lm-eval API

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        results = [(float(s.logprobs.sum()), bool(s.hits.all())) for s in self._score([r.args for r in requests])]
        for r, res in zip(requests, results):
            self.cache_hook.add_partial("loglikelihood", r.args, res)
        return results

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        limit = getattr(self.lm.model.config, "max_position_embeddings", None)
        texts = [r.args[0] for r in requests]
        if limit:
            for t in texts:
                n = len(self.lm.tokenizer(t, add_special_tokens=False)["input_ids"]) + 1
                if n > limit:
                    raise MeowError(f"a rolling-loglikelihood document has {n} tokens, more than the model's "
                                    f"context of {limit}; meow scores whole documents only")
        results = [float(s.logprobs.sum()) for s in self._score([("", t) for t in texts])]
        for r, res in zip(requests, results):
            self.cache_hook.add_partial("loglikelihood_rolling", r.args, res)
        return results

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        groups: dict[tuple[int, float, int], list[int]] = defaultdict(list)
        views: dict[int, LM] = {}
        fed: list[str] = []
        stops: list[list[str]] = []
        for i, r in enumerate(requests):
            kw = dict(r.args[1] or {})
            until = kw.get("until") or []
            stops.append([until] if isinstance(until, str) else list(until))
            temperature = float(kw.get("temperature") or 0.0) if kw.get("do_sample") else 0.0
            view, ctx = self._view(r.args[0])
            views[id(view)] = view
            fed.append(ctx)
            groups[(int(kw.get("max_gen_toks", DEFAULT_MAX_GEN_TOKS)), temperature, id(view))].append(i)
        out: list[str] = [""] * len(requests)
        for (max_new, temperature, key), idx in groups.items():
            texts = generate(views[key], [fed[i] for i in idx], max_new, self.batch_size, temperature)
            for i, text in zip(idx, texts):
                out[i] = cut_at_stops(text, stops[i])
        for r, text in zip(requests, out):
            self.cache_hook.add_partial("generate_until", r.args, text)
        return out

    # ---------------------------------------------------------------- chat templates

    @property
    def tokenizer_name(self) -> str:
        return str(getattr(self.lm.tokenizer, "name_or_path", "") or self.lm.path or "meow").replace("/", "__")

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        return getattr(self.lm.tokenizer, "chat_template", None)

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        if not getattr(self.lm.tokenizer, "chat_template", None):
            raise MeowError(f"{self.lm.path or 'the model'}: the tokenizer has no chat template; use --chat off")
        return self.lm.tokenizer.apply_chat_template(chat_history, tokenize=False,
                                                     add_generation_prompt=add_generation_prompt)


def cut_at_stops(text: str, stops: list[str]) -> str:
    """Text up to the earliest stop string (lm-eval's `until`)."""
    cut = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=len(text))
    return text[:cut]
