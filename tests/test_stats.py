"""Jeffreys intervals against values computed independently of scipy's beta quantiles."""

from __future__ import annotations

import math

import pytest
from scipy import integrate, stats

from offswitch.analysis import jeffreys


def _bisect(f, lo: float = 0.0, hi: float = 1.0) -> float:  # type: ignore[no-untyped-def]
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def test_zero_of_one_matches_closed_form() -> None:
    # Beta(1/2, 3/2) has CDF (2/pi)(asin(sqrt x) + sqrt(x(1-x))): solve CDF = 0.975 by hand.
    def cdf(x: float) -> float:
        return (2 / math.pi) * (math.asin(math.sqrt(x)) + math.sqrt(x * (1 - x)))

    upper = _bisect(lambda x: cdf(x) - 0.975)
    assert jeffreys(0, 1) == (0.0, pytest.approx(upper, abs=1e-9))
    assert upper == pytest.approx(0.8533, abs=1e-4)


@pytest.mark.parametrize("k,n", [(1, 10), (7, 20), (50, 100), (150, 200), (3, 4)])
def test_quantiles_by_numerical_integration(k: int, n: int) -> None:
    a, b = k + 0.5, n - k + 0.5
    norm = math.exp(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))

    def cdf(x: float) -> float:
        f = lambda t: t ** (a - 1) * (1 - t) ** (b - 1)  # noqa: E731
        peak = [k / n] if 0 < k / n < x else None
        val, _ = integrate.quad(f, 0, x, limit=400, points=peak)
        return float(val / norm)

    lo, hi = jeffreys(k, n)
    assert lo == pytest.approx(_bisect(lambda x: cdf(x) - 0.025), abs=1e-6)
    assert hi == pytest.approx(_bisect(lambda x: cdf(x) - 0.975), abs=1e-6)


def test_published_palisade_scale_interval_is_narrow() -> None:
    # ~1000 trials per cell, as in the study: 94.5% is pinned down to a 3-point-wide interval.
    lo, hi = jeffreys(945, 1000)
    assert lo < 0.945 < hi and hi - lo < 0.03


def test_edges_and_errors() -> None:
    assert jeffreys(0, 0) == (0.0, 1.0)
    lo, hi = jeffreys(10, 10)
    assert hi == 1.0 and lo == pytest.approx(stats.beta.ppf(0.025, 10.5, 0.5))
    with pytest.raises(ValueError):
        jeffreys(5, 3)
