"""Membership inference, forget (members) vs holdout (non-members), and MUSE's PrivLeak (METHOD.md section 5).

Each attack gives every answer a score from its teacher-forced token log-probs (the split's one `score` call,
with stats=True for Min-K%++). Records keep the attack's natural value under `mia` (e.g. the loss itself);
the AUC orients it so that members looking MORE likely than non-members gives AUC > 0.5 (0.5 = chance).
Adding an attack is one function and one `@mia_attack(name, higher_is_member=...)`.
"""

from __future__ import annotations

import bisect
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from meow.evaluate.base import FORGET, HOLDOUT, MIA_SPLITS, Scored, describe, finite, metric, missing, summary
from meow.registry import Registry

if TYPE_CHECKING:
    from meow.modeling import TokenScores

HEADLINE_ATTACK = "min_k"  # MUSE computes PrivLeak with Min-K% Prob
SIGMA_EPS = 1e-6  # Min-K%++ divides by the std of log p over the vocabulary; a one-hot distribution has 0


@dataclass(frozen=True)
class Attack:
    name: str
    fn: Callable[[TokenScores, str, float], float]  # (answer scores, answer text, k) -> value
    higher_is_member: bool
    description: str


MIA_ATTACKS: Registry[Attack] = Registry("MIA attack")


def mia_attack(name: str, *, higher_is_member: bool) -> Callable[[Callable], Callable]:
    def wrap(fn: Callable) -> Callable:
        MIA_ATTACKS.register(name)(Attack(name, fn, higher_is_member, describe(fn)))
        return fn

    return wrap


# ---------------------------------------------------------------- pure functions

def lowest_k(values: Sequence[float], k: float) -> float:
    """Mean of the lowest max(1, floor(k*T)) values; NaN if there are none."""
    if not len(values):
        return float("nan")
    n = max(1, int(len(values) * k))
    return sum(sorted(values)[:n]) / n


def min_k(logprobs: Sequence[float], k: float = 0.2) -> float:
    """Min-K% (Shi et al., 2024): mean of the lowest k share of the token log-probs."""
    return lowest_k(logprobs, k)


def min_k_pp(logprobs: Sequence[float], mu: Sequence[float], sigma: Sequence[float], k: float = 0.2) -> float:
    """Min-K%++ (Zhang et al., 2024): per token z_t = (log p(x_t) - mu_t) / sigma_t, mu_t and sigma_t the mean and
    std of log p(z) for z ~ p(. | x_<t); the mean of the lowest k share of z_t.
    """
    z = [(lp - m) / max(s, SIGMA_EPS) for lp, m, s in zip(logprobs, mu, sigma)]
    return lowest_k(z, k)


def zlib_ratio(nll: float, text: str) -> float:
    """zlib score (Carlini et al., 2021): mean token NLL / length in bytes of the zlib-compressed UTF-8 text."""
    return nll / len(zlib.compress(text.encode("utf-8")))


def roc_auc(members: Sequence[float], nonmembers: Sequence[float]) -> float:
    """ROC-AUC = P(s_member > s_nonmember) + 0.5 P(s_member = s_nonmember) (Mann-Whitney U / (n1 n0)); NaNs dropped."""
    pos, neg = finite(members), sorted(finite(nonmembers))
    if not pos or not neg:
        return float("nan")
    wins = sum(bisect.bisect_left(neg, p) + 0.5 * (bisect.bisect_right(neg, p) - bisect.bisect_left(neg, p))
               for p in pos)
    return wins / (len(pos) * len(neg))


def privleak(auc: float, auc_retain: float) -> float:
    """PrivLeak (MUSE) = (AUC_unlearned - AUC_retain) / AUC_retain; 0 = leaks as much as the retain model."""
    return (auc - auc_retain) / auc_retain


# ---------------------------------------------------------------- attacks

@mia_attack("loss", higher_is_member=False)
def _loss(s: TokenScores, text: str, k: float) -> float:
    """LOSS: mean token NLL of the answer (members lower)."""
    return s.mean_nll


@mia_attack("zlib", higher_is_member=False)
def _zlib(s: TokenScores, text: str, k: float) -> float:
    """zlib: mean token NLL / zlib-compressed length of the answer (members lower)."""
    return zlib_ratio(s.mean_nll, text)


@mia_attack("min_k", higher_is_member=True)
def _min_k(s: TokenScores, text: str, k: float) -> float:
    """Min-K%: mean of the lowest k share of token log-probs (members higher)."""
    return min_k(s.answer_only().logprobs.tolist(), k)  # open-unlearning drops the EOS label here


@mia_attack("min_k_pp", higher_is_member=True)
def _min_k_pp(s: TokenScores, text: str, k: float) -> float:
    """Min-K%++: mean of the lowest k share of (log p - mu) / sigma (members higher)."""
    if s.mu is None or s.sigma is None:
        return float("nan")
    s = s.answer_only()  # open-unlearning's tokenwise_(vocab_)logprobs drop the EOS label
    return min_k_pp(s.logprobs.tolist(), s.mu.tolist(), s.sigma.tolist(), k)


@metric("mia", group="mia", splits=MIA_SPLITS, aggregate=lambda records, split: None)
def _mia(q: Scored) -> dict[str, float]:
    """Membership-inference scores of the answer, one per attack."""
    return {name: MIA_ATTACKS.get(name).fn(q.answer, q.record["answer"], q.min_k) for name in MIA_ATTACKS.names()}


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
    out = {}
    for name in MIA_ATTACKS.names():
        sign = 1.0 if MIA_ATTACKS.get(name).higher_is_member else -1.0
        auc = roc_auc([sign * m[name] for m in mem if name in m], [sign * m[name] for m in non if name in m])
        if not math.isnan(auc):
            out[name] = auc
    return out or "no attack produced scores"


@summary("mia_auc", label="MIA AUC (min-k)")
def mia_auc_entry(ev: dict[str, Any], splits: dict[str, Any], retain: dict[str, Any] | None) -> dict[str, Any]:
    """Membership-inference ROC-AUC, forget (members) vs holdout (non-members), oriented so members looking more likely gives > 0.5; value = Min-K%, by_attack = every attack."""
    desc = describe(mia_auc_entry)
    aucs = attack_aucs(ev)
    if isinstance(aucs, str):
        return missing(aucs, desc)
    return {"value": aucs.get(HEADLINE_ATTACK), "reason": None, "description": desc, "attack": HEADLINE_ATTACK,
            "by_attack": aucs}


@summary("privleak", label="PrivLeak (min-k)")
def privleak_entry(ev: dict[str, Any], splits: dict[str, Any], retain: dict[str, Any] | None) -> dict[str, Any]:
    """PrivLeak (MUSE) = (AUC - AUC_retain) / AUC_retain, AUC_retain the retain model's MIA AUC on the same splits; value = Min-K%, by_attack = every attack; near 0 is best."""
    desc = describe(privleak_entry)
    if retain is None:
        return missing("no retain model: give --retain-eval DIR or --retain-model DIR", desc)
    mine, theirs = attack_aucs(ev), attack_aucs(retain)
    if isinstance(mine, str):
        return missing(mine, desc)
    if isinstance(theirs, str):
        return missing(f"retain model's evaluation: {theirs}", desc)
    both = {a: privleak(mine[a], theirs[a]) for a in mine if a in theirs and theirs[a] > 0}
    if not both:
        return missing("no attack scored by both models", desc)
    return {"value": both.get(HEADLINE_ATTACK), "reason": None, "description": desc, "attack": HEADLINE_ATTACK,
            "by_attack": both, "retain_auc": theirs}
