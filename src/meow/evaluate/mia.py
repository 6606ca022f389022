"""Membership inference, forget (members) vs holdout (non-members), and MUSE's PrivLeak (docs/method.md section 5).

Each attack gives every answer a score from what the split's one `score` call produced (token log-probs, with
stats=True for Min-K%++), plus, for two attacks, one extra computation: GradNorm (a backward pass per answer) and
Reference (the answers scored by a reference model, `--mia-reference-model`). Records keep the attack's natural
value under `mia` (e.g. the loss itself); the AUC orients it so that members looking MORE likely than non-members
gives AUC > 0.5 (0.5 = chance), as open-unlearning's `mia_auc` (src/evals/metrics/mia/utils.py). Adding an attack
is one function `fn(q: Scored) -> float | None` and one `@mia_attack(name, higher_is_member=...)`.

Defaults follow open-unlearning's TOFU/MUSE configs and MUSE's `forget_holdout_Min-40%`: k = 0.4 for Min-K% and
Min-K%++; PrivLeak from the Min-K% AUC; reference AUC 0.5 when no retain model is given (open-unlearning's
`ref_value`; MUSE's eval.py instead reads its retrained models' AUCs from constants.py `AUC_RETRAIN`).
"""

from __future__ import annotations

import bisect
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from meow.evaluate.base import FORGET, HOLDOUT, MIA_SPLITS, Scored, describe, finite, metric, missing, summary
from meow.registry import Registry, Shown

if TYPE_CHECKING:
    from meow.modeling import LM

HEADLINE_ATTACK = "min_k"  # MUSE and open-unlearning compute PrivLeak with Min-K% Prob
DEFAULT_K = 0.4  # MUSE's forget_holdout_Min-40%; open-unlearning's mia_min_k / mia_min_k_plus_plus k: 0.4
REFERENCE_AUC = 0.5  # open-unlearning's privleak ref_value when no retain logs are given
PRIVLEAK_EPS = 1e-10  # open-unlearning privacy.py privleak: (score - ref) / (ref + 1e-10) * 100
VARIANCE_EPS = 1e-6  # Min-K%++: open-unlearning clamps the variance of log p at 1e-6 (so sigma >= 1e-3)


@dataclass(frozen=True)
class MembershipAttack:
    """A registered membership-inference score (MIA_ATTACKS); not a fact-recovery attack (attacks.ATTACKS)."""

    name: str
    fn: Callable[[Scored], float | None]
    higher_is_member: bool
    description: str


MIA_ATTACKS: Registry[MembershipAttack] = Registry("MIA attack")


def mia_attack(name: str, *, higher_is_member: bool) -> Callable[[Callable], Callable]:
    def wrap(fn: Callable) -> Callable:
        MIA_ATTACKS.register(name)(MembershipAttack(name, fn, higher_is_member, describe(fn)))
        return fn

    return wrap


# ---------------------------------------------------------------- pure functions

def lowest_k(values: Sequence[float], k: float) -> float:
    """Mean of the lowest max(1, floor(k*T)) values; NaN if there are none or any is NaN."""
    if not len(values) or any(math.isnan(v) for v in values):
        return float("nan")
    n = max(1, int(len(values) * k))
    return sum(sorted(values)[:n]) / n


def min_k(logprobs: Sequence[float], k: float = DEFAULT_K) -> float:
    """Min-K% (Shi et al., 2024): mean of the lowest k share of the token log-probs (members higher).

    open-unlearning's MinKProbAttack returns the negative of this (its scores are loss-like); same AUC.
    """
    return lowest_k(logprobs, k)


def min_k_pp(logprobs: Sequence[float], mu: Sequence[float], sigma: Sequence[float], k: float = DEFAULT_K) -> float:
    """Min-K%++ (Zhang et al., 2024): per token z_t = (log p(x_t) - mu_t) / sigma_t, mu_t and sigma_t the mean and
    std of log p(z) for z ~ p(. | x_<t), the variance clamped at 1e-6 (open-unlearning's MinKPlusPlusAttack);
    the mean of the lowest k share of z_t.
    """
    floor = math.sqrt(VARIANCE_EPS)  # sqrt(max(var, eps)) = max(sqrt(max(var, 0)), sqrt(eps))
    z = [(lp - m) / max(s, floor) for lp, m, s in zip(logprobs, mu, sigma)]
    return lowest_k(z, k)


def zlib_ratio(nll: float, text: str) -> float:
    """zlib score (Carlini et al., 2021): mean token NLL / length in bytes of the zlib-compressed UTF-8 text."""
    return nll / len(zlib.compress(text.encode("utf-8")))


def roc_auc(members: Sequence[float], nonmembers: Sequence[float]) -> float:
    """ROC-AUC = P(s_member > s_nonmember) + 0.5 P(s_member = s_nonmember) (Mann-Whitney U / (n1 n0), equal to
    sklearn's roc_auc_score); scores that are missing or not finite are dropped."""
    pos, neg = finite(members), sorted(finite(nonmembers))
    if not pos or not neg:
        return float("nan")
    wins = sum(bisect.bisect_left(neg, p) + 0.5 * (bisect.bisect_right(neg, p) - bisect.bisect_left(neg, p))
               for p in pos)
    return wins / (len(pos) * len(neg))


def privleak(auc: float, auc_retain: float, eps: float = PRIVLEAK_EPS) -> float:
    """PrivLeak (MUSE eval.py; open-unlearning privacy.py `privleak`), in percent:

        PrivLeak = ((1 - AUC) - (1 - AUC_retain)) / (1 - AUC_retain) * 100

    AUC as `roc_auc` (members more likely -> > 0.5; MUSE's own AUC is 1 - this). A model that still leaks is
    strongly negative (about -100 when AUC -> 1 against a retain AUC of 0.5), 0 is ideal, positive means
    over-unlearned. The denominator gets open-unlearning's `eps` = 1e-10 (MUSE has none: `eps=0`, equal to ~1e-10
    relative), so a reference AUC of 1 gives 0 for an equal AUC instead of 0/0; with `eps=0` it gives NaN.
    """
    ref = 1 - auc_retain
    if ref + eps <= 0:
        return float("nan")
    return ((1 - auc) - ref) / (ref + eps) * 100


# ---------------------------------------------------------------- attacks

@mia_attack("loss", higher_is_member=False)
def _loss(q: Scored) -> float | None:
    """LOSS: mean token NLL of the answer (members lower)."""
    return q.answer.mean_nll


@mia_attack("zlib", higher_is_member=False)
def _zlib(q: Scored) -> float | None:
    """zlib: mean token NLL / zlib-compressed length of the answer (members lower)."""
    return zlib_ratio(q.answer.mean_nll, q.record["answer"])


@mia_attack("min_k", higher_is_member=True)
def _min_k(q: Scored) -> float | None:
    """Min-K%: mean of the lowest k share of token log-probs (members higher)."""
    return min_k(q.answer.answer_only().logprobs.tolist(), q.min_k)  # open-unlearning drops the EOS label here


@mia_attack("min_k_pp", higher_is_member=True)
def _min_k_pp(q: Scored) -> float | None:
    """Min-K%++: mean of the lowest k share of (log p - mu) / sigma (members higher)."""
    s = q.answer
    if s.mu is None or s.sigma is None:
        return None
    s = s.answer_only()  # open-unlearning's tokenwise_(vocab_)logprobs drop the EOS label
    return min_k_pp(s.logprobs.tolist(), s.mu.tolist(), s.sigma.tolist(), q.min_k)


@mia_attack("gradnorm", higher_is_member=False)
def _gradnorm(q: Scored) -> float | None:
    """GradNorm: mean over parameter tensors of the L2 norm of d(mean token NLL)/d(parameter) (members lower)."""
    return q.grad_norm


@mia_attack("reference", higher_is_member=False)
def _reference(q: Scored) -> float | None:
    """Reference: mean token NLL minus the reference model's mean token NLL of the answer (members lower)."""
    if q.reference is None:
        return None
    return q.answer.mean_nll - q.reference.mean_nll


@metric("mia", group="mia", splits=MIA_SPLITS, aggregate=lambda records, split: None)
def _mia(q: Scored) -> dict[str, float | None]:
    """Membership-inference scores of the answer, one per attack that has what it needs."""
    return attack_scores(q)


def attack_scores(q: Scored) -> dict[str, float]:
    """{attack: score} of every registered attack that has what it needs (`meow eval`'s records, MUSE's passages)."""
    out = {}
    for name in MIA_ATTACKS.names():
        value = MIA_ATTACKS.get(name).fn(q)
        if value is not None:
            out[name] = value
    return out


# ---------------------------------------------------------------- GradNorm's backward passes

def _f32_or_f64(t):
    """float64 stays float64 (a float64 model is computed in float64 throughout); anything else in float32."""
    import torch

    return t if t.dtype == torch.float64 else t.float()


def grad_norms(lm: LM, prompts: list[str], continuations: list[str], p: float = 2.0) -> list[float]:
    """Per (prompt, continuation): mean over parameter tensors of ||d loss / d theta||_p, loss the mean token NLL of
    the continuation (the tokens `meow.modeling.score` scores). One backward pass per pair (open-unlearning's
    GradNormAttack runs batch size 1 too). The model stays in eval mode (no dropout), and its gradients are cleared.
    """
    import torch

    from meow.modeling.encoding import IGNORE, encode

    model, tok = lm.model, lm.tokenizer
    special = not lm.fmt.prompt_has_special_tokens
    params = [q for q in model.parameters() if q.requires_grad]
    out = []
    try:
        for prompt, cont in zip(prompts, continuations):
            enc = encode(tok, prompt, cont, add_eos=False, prompt_special=special)
            ids = torch.tensor([enc["input_ids"]], device=lm.device)
            labels = torch.tensor([enc["labels"]], device=lm.device)
            model.zero_grad(set_to_none=True)
            with torch.enable_grad():
                logits = _f32_or_f64(model(input_ids=ids).logits[:, :-1])
                tgt = labels[:, 1:]
                mask = tgt != IGNORE
                if not mask.any() or not params:
                    out.append(float("nan"))
                    continue
                logp = torch.log_softmax(logits[mask], -1).gather(-1, tgt[mask][:, None]).squeeze(-1)
                (-logp.mean()).backward()
            norms = [_f32_or_f64(q.grad.detach()).norm(p=p) for q in params if q.grad is not None]
            out.append(float(torch.stack(norms).mean()) if norms else float("nan"))
    finally:
        model.zero_grad(set_to_none=True)
    return out


# ---------------------------------------------------------------- AUC and PrivLeak

def attack_aucs(ev: dict[str, Any]) -> dict[str, float] | str:
    """{attack: AUC} from an eval.json dict, or the reason it cannot be computed."""
    splits = ev.get("splits", {})
    if FORGET not in splits:
        return "no forget split"
    if HOLDOUT not in splits:
        return "no holdout split (holdoutXX in --data, or --holdout FILE)"
    mem = [r["mia"] for r in splits[FORGET]["records"] if isinstance(r.get("mia"), dict)]
    non = [r["mia"] for r in splits[HOLDOUT]["records"] if isinstance(r.get("mia"), dict)]
    if not mem or not non:
        return "membership inference was switched off (--no-mia)"
    names = list(dict.fromkeys([*MIA_ATTACKS.names(), *(k for m in mem + non for k in m)]))
    out = {}
    for name in names:
        sign = 1.0 if name not in MIA_ATTACKS or MIA_ATTACKS.get(name).higher_is_member else -1.0
        auc = roc_auc([sign * m[name] for m in mem if m.get(name) is not None],
                      [sign * m[name] for m in non if m.get(name) is not None])
        if not math.isnan(auc):
            out[name] = auc
    return out or "no attack produced finite scores"


@summary("mia_auc", label="MIA AUC (min-k)", show=Shown(
    "mia_auc", "MIA AUC", "0.5",
    "membership-inference ROC-AUC (Min-K%), forget (members) vs holdout (non-members); 0.5: cannot tell them apart",
    "evals/<name>/summary.json: mia_auc.value", order=70, short="MIA\nAUC", sweep=True))
def mia_auc_entry(ev: dict[str, Any], splits: dict[str, Any], retain: dict[str, Any] | None) -> dict[str, Any]:
    """Membership-inference ROC-AUC, forget (members) vs holdout (non-members), oriented so members looking more likely gives > 0.5; value = Min-K%, by_attack = every attack."""
    desc = describe(mia_auc_entry)
    aucs = attack_aucs(ev)
    if isinstance(aucs, str):
        return missing(aucs, desc)
    out = {"value": aucs.get(HEADLINE_ATTACK), "reason": None, "description": desc, "attack": HEADLINE_ATTACK,
           "by_attack": aucs}
    if out["value"] is None:
        out["reason"] = "Min-K% gave no finite scores (see `unavailable`)"
    return out


def privleak_values(mine: dict[str, float], reference: dict[str, float]) -> dict[str, float]:
    """PrivLeak per attack scored by both."""
    return {name: privleak(mine[name], reference[name]) for name in mine if name in reference}


@summary("privleak", label="PrivLeak (min-k)", show=Shown(
    "privleak", "PrivLeak", "0",
    "((1 - AUC) - (1 - AUC_retain)) / (1 - AUC_retain) * 100, Min-K% AUC (MUSE, open-unlearning); 0: leaks as much "
    "as the retain model, negative: still leaks, positive: over-unlearned",
    "evals/<name>/summary.json: privleak.value; if computed against the default reference AUC 0.5 (no retain "
    "model), recomputed against the retain row as forget quality is", order=80, short="PrivLeak", kind="tofu",
    sweep=True))
def privleak_entry(ev: dict[str, Any], splits: dict[str, Any], retain: dict[str, Any] | None) -> dict[str, Any]:
    """PrivLeak (MUSE, open-unlearning) = ((1 - AUC) - (1 - AUC_ref)) / (1 - AUC_ref) * 100, AUC the Min-K% MIA AUC of forget vs holdout, AUC_ref the retain model's (0.5 without one, as MUSE and open-unlearning); near 0 is best, negative = still leaks."""
    desc = describe(privleak_entry)
    mine = attack_aucs(ev)
    if isinstance(mine, str):
        return missing(mine, desc)
    if retain is None:
        ref: dict[str, float] = {name: REFERENCE_AUC for name in mine}
        source = (f"default {REFERENCE_AUC} (no retain model, as open-unlearning's ref_value; give --retain-eval or "
                  "--retain-model for the retain model's AUC)")
    else:
        theirs = attack_aucs(retain)
        if isinstance(theirs, str):
            return missing(f"retain model's evaluation: {theirs}", desc)
        ref, source = theirs, "retain model"
    both = privleak_values(mine, ref)
    if not both:
        return missing("no attack scored by both models", desc)
    value = both.get(HEADLINE_ATTACK)
    reason = None if value is not None else "no Min-K% AUC from both models"
    return {"value": value, "reason": reason, "description": desc, "attack": HEADLINE_ATTACK, "by_attack": both,
            "reference_auc": ref.get(HEADLINE_ATTACK), "reference": source,
            **({"retain_auc": ref} if retain is not None else {})}
