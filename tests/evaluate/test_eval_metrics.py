"""Pure metric functions against values worked out by hand (no model)."""

from __future__ import annotations

import math
import random
import zlib

import pytest

from meow.evaluate import extraction, fluency, mia, tofu
from meow.evaluate.aggregate import split_summary
from meow.evaluate.base import METRICS, SUMMARIES


def test_probability_and_option_probability():
    assert tofu.probability(math.log(2)) == pytest.approx(0.5)
    # P(true) = 1/2, perturbed 1/4, 1/4, 1/8 -> 0.5 / (0.5 + 0.625) = 4/9
    assert tofu.option_probability(math.log(2), [math.log(4), math.log(4), math.log(8)]) == pytest.approx(4 / 9)


def test_truth_ratio_by_hand():
    # P(paraphrase) = e^-1; perturbed mean NLLs 2 and 3 -> P_pert = e^-2.5 (geometric mean of e^-2, e^-3)
    r = tofu.truth_ratio(1.0, [2.0, 3.0])
    assert r == pytest.approx(0.0820849986 / 0.3678794412)
    assert r == pytest.approx(math.sqrt(math.exp(-2) * math.exp(-3)) / math.exp(-1))
    # forget: mean(min(R, 1/R)): 0.5, 0.5, 1 -> 2/3; elsewhere mean(max(0, 1 - R)): 0.5, 0, 0.75 -> 5/12
    # (the aggregates take log R, so they stay finite where R overflows)
    assert tofu.truth_ratio_forget([math.log(x) for x in (0.5, 2.0, 1.0)]) == pytest.approx(2 / 3)
    assert tofu.truth_ratio_kept([math.log(x) for x in (0.5, 2.0, 0.25)]) == pytest.approx(5 / 12)


def test_truth_ratio_aggregate_depends_on_split():
    recs = [{"truth_ratio": 0.5}, {"truth_ratio": 2.0}, {"truth_ratio": 0.25}, {}]
    assert split_summary(recs, "forget")["truth_ratio"]["value"] == pytest.approx((0.5 + 0.5 + 0.25) / 3)
    assert split_summary(recs, "retain")["truth_ratio"]["value"] == pytest.approx((0.5 + 0 + 0.75) / 3)
    assert split_summary(recs, "retain")["truth_ratio"]["n"] == 3


def test_rouge_l_recall_by_hand():
    # LCS of "the cat sat on the mat" and "the cat on a mat" = the cat on mat: 4 of 6 answer words
    assert tofu.rouge_l_recall("the cat on a mat", "The cat sat on the mat") == pytest.approx(4 / 6)
    # stemming: writes/wrote differ, novels -> novel matches: LCS = he novel, 2 of 3
    assert tofu.rouge_l_recall("he wrote a novel", "He writes novels") == pytest.approx(2 / 3)
    assert tofu.rouge_l_recall("", "anything at all") == 0.0


def test_key_fact_normalised_match():
    gen = "Her debut novel was 'The  Silent River,' published in 1998."
    assert tofu.states_fact(gen, "the silent river")
    assert tofu.states_fact(gen, "Silent River")
    assert tofu.states_fact(gen, "1998")
    assert not tofu.states_fact(gen, "199")  # whole words only
    assert not tofu.states_fact(gen, "silent riverbank")
    assert not tofu.states_fact(gen, "The Loud River")
    assert tofu.states_fact("Born in São Paulo, Brazil.", "são paulo")
    assert tofu.normalise_words("  Hello,   WORLD!  (x) 1,234 ") == ["hello", "world", "x", "1,234"]


def test_harmonic_mean_and_model_utility():
    assert tofu.harmonic_mean([1.0, 0.5, 0.25]) == pytest.approx(3 / 7)
    assert tofu.harmonic_mean([1.0, 0.0, 0.5]) == 0.0
    values = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
    splits = {s: {} for s in tofu.UTILITY_SPLITS}
    it = iter(values)
    for s in tofu.UTILITY_SPLITS:
        for m in tofu.UTILITY_METRICS:
            splits[s][m] = {"value": next(it)}
    entry = tofu.model_utility_entry({}, splits, None)
    assert entry["value"] == pytest.approx(9 / sum(1 / v for v in values))
    assert entry["reason"] is None and len(entry["components"]) == 9
    del splits["world_facts"]["rouge_l_recall"]
    entry = tofu.model_utility_entry({}, splits, None)
    assert entry["value"] is None and "world_facts/rouge_l_recall" in entry["reason"]


def _ev(forget_ratios, questions=None):
    qs = questions or [f"q{i}" for i in range(len(forget_ratios))]
    return {"splits": {"forget": {"records": [{"question": q, "truth_ratio": r} for q, r in zip(qs, forget_ratios)]}}}


def test_forget_quality_ks_by_hand():
    # fully separated samples of 3 and 3: D = 1, exact two-sided p = 2 / C(6, 3) = 0.1
    fq = tofu.forget_quality_entry(_ev([1.0, 2.0, 3.0]), {}, _ev([4.0, 5.0, 6.0]))
    assert fq["value"] == pytest.approx(0.1)
    assert fq["ks_statistic"] == pytest.approx(1.0)
    assert fq["n"] == 3 and fq["n_retain"] == 3


def test_forget_quality_matches_scipy_and_tofus_inverted_ratio():
    from scipy.stats import ks_2samp

    rng = random.Random(0)
    a = [rng.lognormvariate(0, 1) for _ in range(40)]
    b = [rng.lognormvariate(0.5, 1) for _ in range(40)]
    fq = tofu.forget_quality_entry(_ev(a), {}, _ev(b))
    assert fq["value"] == pytest.approx(ks_2samp(a, b).pvalue)
    # TOFU's code tests exp(NLL_pert - NLL_para) = 1/R; a monotone map of both samples leaves KS unchanged
    assert fq["value"] == pytest.approx(ks_2samp([1 / x for x in a], [1 / x for x in b]).pvalue)


def test_forget_quality_missing_is_null_with_reason():
    fq = tofu.forget_quality_entry(_ev([1.0, 2.0]), {}, None)
    assert fq["value"] is None and fq["reason"].startswith("no retain model")
    fq = tofu.forget_quality_entry(_ev([1.0, 2.0]), {}, {"splits": {}})
    assert fq["value"] is None and "retain model" in fq["reason"]
    fq = tofu.forget_quality_entry(_ev([1.0, 2.0], ["a", "b"]), {}, _ev([1.0, 3.0], ["a", "c"]))
    assert fq["value"] is not None and "different forget questions" in fq["warning"]


def test_roc_auc_by_hand():
    # pairs (3,1)=1 (3,3)=0.5 (4,1)=1 (4,3)=1 -> 3.5 / 4
    assert mia.roc_auc([3, 4], [1, 3]) == pytest.approx(0.875)
    assert mia.roc_auc([1, 2], [3, 4]) == 0.0
    assert mia.roc_auc([5, 5], [5, 5]) == 0.5
    assert mia.roc_auc([1, float("nan")], [0]) == 1.0


def test_roc_auc_matches_pairwise_count():
    rng = random.Random(1)
    pos = [rng.randint(0, 20) for _ in range(50)]
    neg = [rng.randint(0, 20) for _ in range(60)]
    pairs = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    assert mia.roc_auc(pos, neg) == pytest.approx(pairs / (50 * 60))


def test_min_k_and_min_k_pp_by_hand():
    lp = [-1.0, -5.0, -2.0, -0.5, -3.0]
    assert mia.min_k(lp, 0.4) == pytest.approx(-4.0)  # floor(5 * 0.4) = 2 lowest: -5, -3
    assert mia.min_k(lp, 0.2) == pytest.approx(-5.0)
    assert mia.min_k(lp, 0.1) == pytest.approx(-5.0)  # at least one token
    assert mia.min_k(lp, 1.0) == pytest.approx(-2.3)
    # z = (-1 + 1.5) / 0.5 = 1, (-2 + 1) / 2 = -0.5
    assert mia.min_k_pp([-1.0, -2.0], [-1.5, -1.0], [0.5, 2.0], 0.5) == pytest.approx(-0.5)
    assert mia.min_k_pp([-1.0, -2.0], [-1.5, -1.0], [0.5, 2.0], 1.0) == pytest.approx(0.25)
    assert math.isnan(mia.min_k([], 0.2))


def _privleak_by_hand(members, nonmembers, members_r, nonmembers_r):
    """MUSE eval.py: AUC_muse = sklearn auc of roc_curve(y = [0]*forget + [1]*holdout, -score), score NLL-like; then
    (AUC_muse - AUC_muse_retain) / AUC_muse_retain * 100. Written out with pair counts, no sklearn."""
    def auc_muse(forget, holdout):  # P(-holdout > -forget) + 0.5 P(tie): forget LESS likely -> high
        pairs = [(1.0 if -h > -f else 0.5 if h == f else 0.0) for f in forget for h in holdout]
        return sum(pairs) / len(pairs)

    u, r = auc_muse(members, nonmembers), auc_muse(members_r, nonmembers_r)
    return (u - r) / r * 100


def test_zlib_and_privleak():
    text = "the same words the same words the same words"
    assert mia.zlib_ratio(2.0, text) == pytest.approx(2.0 / len(zlib.compress(text.encode())))
    # PrivLeak = ((1 - AUC) - (1 - AUC_r)) / (1 - AUC_r) * 100: 0.6 vs 0.5 -> (0.4 - 0.5) / 0.5 * 100 = -20
    assert mia.privleak(0.6, 0.5) == pytest.approx(-20.0)
    assert mia.privleak(0.5, 0.5) == 0.0
    assert mia.privleak(1.0, 0.5) == pytest.approx(-100.0)  # a model that leaks everything
    assert mia.privleak(0.25, 0.5) == pytest.approx(50.0)  # over-unlearned: members look less likely
    assert mia.privleak(1.0, 1.0) == 0.0  # open-unlearning's + 1e-10 in the denominator: no 0/0
    # against MUSE's own orientation (AUC of forget looking LESS likely), on loss-like scores
    forget, holdout = [0.1, 0.2, 0.5, 0.9], [0.3, 0.2, 0.8]
    forget_r, holdout_r = [0.4, 0.6, 0.2, 0.7], [0.5, 0.3, 0.6]
    mine = mia.privleak(mia.roc_auc([-x for x in forget], [-x for x in holdout]),
                        mia.roc_auc([-x for x in forget_r], [-x for x in holdout_r]))
    assert mine == pytest.approx(_privleak_by_hand(forget, holdout, forget_r, holdout_r), rel=1e-9)


def _mia_ev(forget_losses, holdout_losses):
    def recs(losses):
        return {"records": [{"question": str(i), "mia": {"loss": x, "zlib": x, "min_k": -x, "min_k_pp": -x}}
                            for i, x in enumerate(losses)]}

    return {"splits": {"forget": recs(forget_losses), "holdout": recs(holdout_losses)}}


def test_mia_auc_orientation_and_privleak_entry():
    # members have LOWER loss: member scores -0.1, -0.2 vs -0.3, -0.2 -> (1 + 1 + 1 + 0.5) / 4
    ev = _mia_ev([0.1, 0.2], [0.3, 0.2])
    entry = mia.mia_auc_entry(ev, {}, None)
    assert entry["by_attack"]["loss"] == pytest.approx(0.875)
    assert entry["value"] == pytest.approx(0.875)  # min_k = -loss here: higher is member, same ordering
    retain = _mia_ev([0.3, 0.2], [0.1, 0.2])  # AUC 0.125
    pl = mia.privleak_entry(ev, {}, retain)
    assert pl["value"] == pytest.approx(((1 - 0.875) - (1 - 0.125)) / (1 - 0.125) * 100)
    assert pl["reference"] == "retain model" and pl["reference_auc"] == pytest.approx(0.125)
    # no retain model: MUSE's and open-unlearning's default reference AUC 0.5, and the summary says so
    default = mia.privleak_entry(ev, {}, None)
    assert default["value"] == pytest.approx((0.125 - 0.5) / 0.5 * 100)
    assert default["reference_auc"] == 0.5 and default["reference"].startswith("default 0.5 (no retain model")
    no_holdout = {"splits": {"forget": ev["splits"]["forget"]}}
    assert "holdout" in mia.mia_auc_entry(no_holdout, {}, None)["reason"]
    assert mia.privleak_entry(ev, {}, no_holdout)["reason"].startswith("retain model's evaluation")


def test_extraction_strength_and_exact_memorisation_by_hand():
    assert extraction.extraction_k([True, False, True, True]) == 2
    assert extraction.extraction_strength([True, False, True, True]) == pytest.approx(0.5)
    assert extraction.extraction_strength([True, True, True]) == 1.0
    assert extraction.extraction_strength([True, True, False]) == 0.0
    assert extraction.extraction_strength([False, True, True, True, True]) == pytest.approx(0.8)
    assert extraction.exact_memorisation([True, False, True, True]) == pytest.approx(0.75)
    assert math.isnan(extraction.extraction_strength([]))


def test_fluency_by_hand():
    assert fluency.words("The cat, the CAT.") == ["the", "cat", ",", "the", "cat", "."]
    # trigrams abc bca cab abc: 3 unique of 4
    assert fluency.rep_n(list("abcabc"), 3) == pytest.approx(0.25)
    assert fluency.rep_n(list("abcd"), 3) == 0.0
    assert fluency.rep_n(["a", "b"], 3) is None
    # N = 4, V = 3: 3^-0.165 = 0.83413, 4^0.83413 = 3.17866
    # float64 vs a value worked out by hand to 5 decimals: the hand rounding (<= 5e-6) is the error; abs 1e-4
    assert fluency.brunet_index(list("abac")) == pytest.approx(3.17866, abs=1e-4)
    # N = 4, V = 3, V1 = 2 (b, c): 100 ln 4 / (1 - 2/3 + 0.1) = 138.6294 / 0.43333 = 319.914
    assert fluency.honore_statistic(list("abac")) == pytest.approx(319.914, abs=1e-3)  # hand value to 3 decimals
    assert fluency.brunet_index([]) == fluency.EMPTY_BRUNET
    assert fluency.honore_statistic(["a"]) == 0.0
    # PPL = BI = HS = 3: parts 1/4, 1/4, 3/4 -> 3 / (4 + 4 + 4/3) = 9/28
    assert fluency.linguistic_score(3.0, 3.0, 3.0) == pytest.approx(9 / 28)
    assert fluency.linguistic_score(3.0, 3.0, 0.0) == 0.0


def test_fluency_ls_aggregate_uses_split_means():
    recs = [{"generation": "x", "generation_ppl": 2.0, "brunet_index": 2.0, "honore_statistic": 2.0},
            {"generation": "y", "generation_ppl": 4.0, "brunet_index": 4.0, "honore_statistic": 4.0}]
    out = split_summary(recs, "forget")
    assert out["fluency_ls"]["value"] == pytest.approx(fluency.linguistic_score(3.0, 3.0, 3.0))
    assert out["fluency_ls"]["n"] == 2
    assert out["generation_ppl"]["value"] == pytest.approx(3.0)


def test_registries_hold_every_metric_with_a_description():
    expected = {"probability", "rouge_l_recall", "truth_ratio", "fact_hit", "exact_memorisation",
                "extraction_strength", "mia", "rep3", "brunet_index", "honore_statistic", "generation_ppl",
                "fluency_ls"}
    assert expected <= set(METRICS.names())
    assert {"forget_quality", "model_utility", "mia_auc", "privleak"} <= set(SUMMARIES.names())
    assert set(mia.MIA_ATTACKS.names()) == {"loss", "zlib", "min_k", "min_k_pp", "gradnorm", "reference"}
    for name in METRICS.names():
        assert METRICS.get(name).description, name
