"""The tests' numeric tolerances, each derived here; none is fitted to one CPU's SIMD kernels.

A CPU changes results only through the order in which sums are taken (the vector width of torch's kernels,
MKL's blocking, a batch padded to another length), never through the arithmetic of one operation, which IEEE 754
fixes. So every bound below is a bound on reordering a sum:

    two sums of the same n terms in different orders differ by at most 2 * gamma(n) * sum|x_i|,
    gamma(n) = n u / (1 - n u)                                  (Higham, Accuracy and Stability, 2002, eq. 4.4)

with u the unit roundoff: U32 = 2^-24 (float32), U64 = 2^-53 (float64).

- PY: the same float64 formula written another way in plain Python (means, ratios, harmonic means, AUCs of at most
  a few thousand terms): n <= 10^4 gives 2 * gamma(n) <= 2.3e-12 relative to sum|x|, and the values compared are
  of the size of their terms, so rel 1e-9 has a factor 400 to spare. pytest.approx's default (rel 1e-6) is wider
  still and is kept where a test compares such float64 arithmetic.
- logprob_bound(n_vocab, max_logit): one log-probability log softmax(z)_y of float32 logits z computed by two
  kernels (or two batch layouts): the logits themselves come out of the same weights and tokens; their difference
  is bounded by `dot_bound`, and the log-sum-exp over n_vocab terms adds 2 gamma(n_vocab) relative.
- dot_bound(n, scale): one float32 dot product / matmul entry of n terms, sum|x_i y_i| <= scale.
"""

from __future__ import annotations

import math

U32 = 2.0 ** -24
U64 = 2.0 ** -53
PY = 1e-9  # relative; see above


def approx64(expected, rel: float = PY, abs: float = 1e-12):
    """pytest.approx for float64 arithmetic of a few terms checked against Python's (float64) math: PY relative;
    `abs` 1e-12 for an expected 0 reached by cancelling terms of size <= 1e3 (2 gamma(4) x 1e3 ~ 9e-13)."""
    import pytest

    return pytest.approx(expected, rel=rel, abs=abs)


def gamma(n: int, u: float = U32) -> float:
    """Higham's gamma_n = n u / (1 - n u): the relative error bound of a sum of n + 1 terms in any order."""
    assert n * u < 1
    return n * u / (1 - n * u)


def reorder(n: int, scale: float, u: float = U32) -> float:
    """Largest difference of two sums of the same n terms, in different orders, with sum|x_i| <= scale."""
    return 2 * gamma(n, u) * scale


def dot_bound(n: int, scale: float, u: float = U32) -> float:
    """A dot product of n products (each rounded once, then summed): gamma(n + 1) * scale each way, twice."""
    return 2 * gamma(n + 1, u) * scale


def logprob_bound(n_vocab: int, logit_error: float, max_logit: float, u: float = U32) -> float:
    """|difference| of log softmax(z)_y = z_y - m - log sum_i exp(z_i - m) (m = max z) between two computations
    whose logits differ by at most `logit_error` and whose log-softmax runs in the precision of `u`:
    z_y - m moves by 2 logit_error; the sum has n_vocab positive terms, each exp within 2 ulp (4u relative, any
    vector kernel), so in any order it is within gamma(n_vocab) + 4u relative, and its log within that much
    absolute; the final subtraction rounds once (u relative to |log p| <= 2 max_logit + log n_vocab)."""
    return 2 * logit_error + gamma(n_vocab, u) + 4 * u + u * (2 * max_logit + math.log(n_vocab))


# The tiny memorised model of tests/conftest.py (vocabulary 600), evaluated in float64 where a test compares a
# batched value with a one-row reference: its logits agree to float64 rounding (< 1e-12 for |z| < MAX_LOGIT);
# `score` may take the log-softmax in float32 (float32 rounding of the logits, then a float32 log-softmax), so a
# log-prob, and a mean of them (an NLL), is within TINY_LOGP (4.8e-5) of the float64 reference.
MAX_LOGIT = 50.0
TINY_LOGP = logprob_bound(600, MAX_LOGIT * U32, MAX_LOGIT)
