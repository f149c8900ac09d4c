"""Interval estimates for rates."""

from __future__ import annotations

from scipy.stats import beta


def jeffreys(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Jeffreys interval for k successes in n trials (Beta(k+1/2, n-k+1/2) quantiles).

    As is conventional, the lower bound is 0 when k = 0 and the upper bound 1 when k = n.
    With n = 0 there is no information: (0, 1).
    """
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    tail = (1 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(tail, k + 0.5, n - k + 0.5))
    hi = 1.0 if k == n else float(beta.ppf(1 - tail, k + 0.5, n - k + 0.5))
    return (lo, hi)
