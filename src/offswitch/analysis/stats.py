"""Interval estimates for rates, and for mean scores (sandbagging accuracy)."""

from __future__ import annotations

import math

from scipy.stats import beta, fisher_exact, t


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


Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval (the building block of Newcombe's difference interval)."""
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    denom = n + z * z
    center = (k + z * z / 2) / denom
    half = z * math.sqrt(n * p * (1 - p) + z * z / 4) / denom
    return (max(0.0, center - half), min(1.0, center + half))


def newcombe(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    """Difference p1 - p2 of two independent proportions with Newcombe's hybrid score
    interval (1998, method 10): (difference, low, high)."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both groups need at least one trial")
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (d, low, high)


def fisher_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher's exact test on the 2x2 table of successes and failures."""
    _, p = fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="two-sided")
    return float(p)


def holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa for two raters' labels on the same items (None if undefined)."""
    if len(a) != len(b):
        raise ValueError("both raters must label the same items")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    categories = set(a) | set(b)
    expected = sum((a.count(c) / n) * (b.count(c) / n) for c in categories)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else None
    return (observed - expected) / (1 - expected)


def mean_ci(values: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean with a t interval: (mean, low, high); one value gives no interval (nan)."""
    n = len(values)
    if n == 0:
        raise ValueError("need at least one value")
    m = sum(values) / n
    if n == 1:
        return (m, math.nan, math.nan)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    half = float(t.ppf(1 - (1 - level) / 2, n - 1)) * sd / math.sqrt(n)
    return (m, m - half, m + half)


def welch(a: list[float], b: list[float], level: float = 0.95) -> tuple[float, float, float, float]:
    """Difference of means mean(a) - mean(b) with Welch's interval and two-sided p:
    (difference, low, high, p). Fewer than two values in a group: nan interval and p.
    No spread in either group: the interval is the difference itself (p nan)."""
    d = sum(a) / len(a) - sum(b) / len(b)
    if len(a) < 2 or len(b) < 2:
        return (d, math.nan, math.nan, math.nan)
    va, vb = (sum((x - sum(g) / len(g)) ** 2 for x in g) / (len(g) - 1) for g in (a, b))
    se2 = va / len(a) + vb / len(b)
    if se2 == 0:
        return (d, d, d, math.nan)
    df = se2**2 / ((va / len(a)) ** 2 / (len(a) - 1) + (vb / len(b)) ** 2 / (len(b) - 1))
    half = float(t.ppf(1 - (1 - level) / 2, df)) * math.sqrt(se2)
    p = 2 * float(t.sf(abs(d) / math.sqrt(se2), df))
    return (d, d - half, d + half, p)
