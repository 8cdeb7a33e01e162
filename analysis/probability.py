"""Quantiles and tail probabilities of the normal and Student t distributions.

Every interval in the library needs a critical value such as z₀.₉₇₅ or
t₀.₉₇₅,ₙ₋₁, and many tests a two-sided normal p-value. A management review
computes thousands of them, and a ``scipy.stats`` distribution call costs far
more than the arithmetic of the interval around it (argument broadcasting and
checks on every call). Hence:

* quantiles are cached per (probability, degrees of freedom). The cached value
  is exactly what ``scipy.stats`` returns for the same arguments — nothing is
  approximated or interpolated, whatever the degrees of freedom — so a result
  does not depend on whether a value came from the cache;
* the normal tail probability is evaluated with ``scipy.special.ndtr``, the
  function that ``scipy.stats.norm.sf`` itself evaluates (sf(x) = Φ(−x)), so
  the p-values are the same numbers without the per-call overhead.
"""

from __future__ import annotations

from functools import lru_cache

from scipy import special, stats


@lru_cache(maxsize=256)
def normal_quantile(probability: float) -> float:
    """Standard normal quantile Φ⁻¹(probability), e.g. 1.959964… for 0.975."""
    return float(stats.norm.ppf(probability))


@lru_cache(maxsize=8192)
def t_quantile(probability: float, df: float) -> float:
    """Student t quantile with ``df`` degrees of freedom, e.g. 2.262… for (0.975, 9)."""
    return float(stats.t.ppf(probability, df))


def normal_two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic, 2·(1 − Φ(|z|)) = 2·Φ(−|z|)."""
    return float(2 * special.ndtr(-abs(z)))
