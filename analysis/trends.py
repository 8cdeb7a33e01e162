"""Change between periods and trends over many periods (przegląd zarządzania, ISO 9001 9.3.2 c).

Yearly or quarterly surveys give few points, so the primary statement is the
**change from the previous period** with an interval and a test:

* :func:`change_in_proportion` / :func:`change_in_top_box` — difference of two
  shares (e.g. T2B now minus T2B last year) with a Newcombe interval, pooled
  z-test and Cohen's h (via :mod:`analysis.comparisons`);
* :func:`change_in_mean` — difference of two means with Welch's t-test and
  interval, from count tables;
* :func:`change_in_distribution` — Mann–Whitney comparison of the two answer
  distributions (current period as group 1).

Over many periods, descriptive trend measures:

* :func:`mann_kendall` — S = Σ_{i<j} sign(xⱼ − xᵢ), tie-corrected
  Var(S) = [n(n − 1)(2n + 5) − Σ t(t − 1)(2t + 5)]/18, Z with continuity
  correction, Kendall's τ = S/(n(n − 1)/2); for n ≤ 10 without ties the exact
  null distribution of S is used (Kendall 1975; Gilbert 1987, Table A18);
* :func:`sens_slope` — median of pairwise slopes with Sen's (1968) interval
  (``scipy.stats.theilslopes``);
* :func:`ols_trend` — least-squares slope on time (statsmodels), optionally with
  Newey–West (HAC) standard errors for autocorrelated series.

Every trend result carries a ``low_power`` note below 8 periods: with 4 points
even a perfectly monotone series cannot reach two-sided p < 0.05.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm  # type: ignore[import-untyped]
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from analysis.comparisons import (
    DifferenceMethod,
    MannWhitneyResult,
    mann_whitney_table,
    two_proportions,
)
from analysis.counts import CountTable, inversion_counts
from analysis.items import Scale, counts_on_scale, proportion, split_not_applicable
from analysis.probability import normal_two_sided_p, t_quantile
from analysis.results import CONFIDENCE, Estimate, Interval, Note, TestResult, small_n_note

MIN_TREND_PERIODS = 8
"""Below this many periods a trend test has little power (domain policy §9.12)."""

EXACT_MK_LIMIT = 10
"""Largest series for which the exact Mann–Kendall distribution is used (Gilbert 1987)."""


def _low_power(n: int) -> tuple[Note, ...]:
    if n < MIN_TREND_PERIODS:
        return (
            Note(
                "low_power",
                f"only {n} periods; a trend test needs at least {MIN_TREND_PERIODS} to be "
                "informative, so compare with the previous period instead",
            ),
        )
    return ()


# --- period over period ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """Current period minus previous period, with its interval and test."""

    previous: Estimate
    current: Estimate
    difference: Estimate
    test: TestResult


def change_in_proportion(
    x_previous: int,
    n_previous: int,
    x_current: int,
    n_current: int,
    *,
    method: DifferenceMethod = "newcombe",
    level: float = CONFIDENCE,
) -> Change:
    """Change of a share: p_current − p_previous, Newcombe interval, pooled z-test, Cohen's h."""
    comparison = two_proportions(
        x_current, n_current, x_previous, n_previous, method=method, level=level
    )
    return Change(
        previous=proportion(x_previous, n_previous, level=level),
        current=proportion(x_current, n_current, level=level),
        difference=comparison.difference,
        test=comparison.test,
    )


def change_in_top_box(
    previous: CountTable,
    current: CountTable,
    scale: Scale,
    *,
    not_applicable: Iterable[float] = (),
    method: DifferenceMethod = "newcombe",
    level: float = CONFIDENCE,
) -> Change:
    """Change of the top-box share between two count tables of the same item."""
    na = tuple(not_applicable)
    before, _ = counts_on_scale(previous, scale, na)
    after, _ = counts_on_scale(current, scale, na)
    n_before, n_after = sum(before.values()), sum(after.values())
    if n_before == 0 or n_after == 0:
        raise ValueError("both periods need substantive answers")
    x_before = sum(before[c] for c in scale.top_box)
    x_after = sum(after[c] for c in scale.top_box)
    return change_in_proportion(x_before, n_before, x_after, n_after, method=method, level=level)


def _table_moments(table: dict[float, int]) -> tuple[int, float, float]:
    n = sum(table.values())
    if n < 2:
        raise ValueError("each period needs at least two substantive answers")
    mean = sum(v * c for v, c in table.items()) / n
    variance = sum(c * (v - mean) ** 2 for v, c in table.items()) / (n - 1)
    return n, mean, variance


def change_in_mean(
    previous: CountTable,
    current: CountTable,
    *,
    not_applicable: Iterable[float] = (),
    level: float = CONFIDENCE,
) -> Change:
    """Change of a mean, current − previous, with Welch's t-test and interval.

    SE = √(s₁²/n₁ + s₂²/n₂); Welch–Satterthwaite
    df = SE⁴ / [(s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1)];
    CI = d ± t_{1−α/2, df}·SE; two-sided p from t = d/SE (Welch 1947).
    """
    if not 0 < level < 1:
        raise ValueError("confidence level must lie strictly between 0 and 1")
    na = tuple(not_applicable)
    before, _ = split_not_applicable(previous, na)
    after, _ = split_not_applicable(current, na)
    n1, m1, v1 = _table_moments(after)
    n0, m0, v0 = _table_moments(before)
    d = m1 - m0
    a1, a0 = v1 / n1, v0 / n0
    se = math.sqrt(a1 + a0)
    notes = small_n_note(min(n0, n1))
    if se == 0:
        df, t, p_value, half = float(n0 + n1 - 2), 0.0, 1.0, 0.0
    else:
        df = se**4 / (a1**2 / (n1 - 1) + a0**2 / (n0 - 1))
        t = d / se
        p_value = float(2 * stats.t.sf(abs(t), df))
        half = t_quantile(0.5 + level / 2, df) * se
    name = "difference of means (current - previous), Welch interval"
    difference = Estimate(d, Interval(d - half, d + half, level), n0 + n1, name, notes)
    test = TestResult(t, p_value, n0 + n1, "Welch two-sample t-test", df, difference, notes)
    previous_estimate = _mean_estimate(n0, m0, v0, level)
    current_estimate = _mean_estimate(n1, m1, v1, level)
    return Change(previous_estimate, current_estimate, difference, test)


def _mean_estimate(n: int, mean: float, variance: float, level: float) -> Estimate:
    half = t_quantile(0.5 + level / 2, n - 1) * math.sqrt(variance / n)
    return Estimate(
        mean, Interval(mean - half, mean + half, level), n, "t-interval", small_n_note(n)
    )


def change_in_distribution(
    previous: CountTable,
    current: CountTable,
    scale: Scale,
    *,
    not_applicable: Iterable[float] = (),
) -> MannWhitneyResult:
    """Mann–Whitney comparison of two periods' answers (current period = group 1).

    A positive rank-biserial correlation means answers moved up the scale.
    """
    na = tuple(not_applicable)
    before, _ = counts_on_scale(previous, scale, na)
    after, _ = counts_on_scale(current, scale, na)
    table = np.array([[after[c], before[c]] for c in scale.codes], dtype=np.float64)
    return mann_whitney_table(table)


# --- trends over many periods ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MannKendallResult:
    """Mann–Kendall trend test; ``test.statistic`` is S and ``test.effect`` Kendall's τ."""

    test: TestResult
    s: int
    variance: float
    z: float
    tau: float
    exact: bool
    notes: tuple[Note, ...] = field(default=())


def _series(
    values: ArrayLike, times: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Finite values with their times (positions 0, 1, … by default); missing periods dropped."""
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError("a series must be one-dimensional")
    x = (
        np.arange(y.size, dtype=np.float64)
        if times is None
        else np.asarray(times, dtype=np.float64)
    )
    if x.shape != y.shape:
        raise ValueError("times and values must have the same length")
    if not np.all(np.isfinite(x)):
        raise ValueError("times must be finite")
    keep = np.isfinite(y)
    return y[keep], x[keep], int((~keep).sum())


def mann_kendall(
    values: Sequence[float] | ArrayLike, *, exact: bool | None = None
) -> MannKendallResult:
    """Mann–Kendall test for a monotonic trend in a series ordered in time.

    S = Σ_{i<j} sign(xⱼ − xᵢ); Var(S) = [n(n − 1)(2n + 5) − Σ t(t − 1)(2t + 5)]/18;
    Z = (S − 1)/√Var for S > 0, 0 for S = 0, (S + 1)/√Var for S < 0;
    two-sided p = 2(1 − Φ(|Z|)); τ = S/(n(n − 1)/2).
    By default (``exact=None``) the exact distribution of S is used when
    n ≤ 10 and there are no ties (Gilbert 1987, Table A18); with ties the
    normal approximation is used and an ``exact_unavailable`` note says so.
    Missing periods (NaN) are dropped.
    """
    y, _, missing = _series(values, None)
    n = y.size
    if n < 3:
        raise ValueError("the Mann-Kendall test needs at least three periods")
    diffs = np.sign(y[None, :] - y[:, None])
    s = int(np.triu(diffs, 1).sum())
    _, tie_sizes = np.unique(y, return_counts=True)
    t = tie_sizes.astype(np.float64)
    variance = (n * (n - 1) * (2 * n + 5) - float(np.sum(t * (t - 1) * (2 * t + 5)))) / 18
    has_ties = bool(np.any(tie_sizes > 1))
    notes: list[Note] = list(_low_power(n))
    if missing:
        notes.append(Note("missing_dropped", f"{missing} missing periods were left out"))
    if variance > 0:
        z = (s - math.copysign(1, s)) / math.sqrt(variance) if s != 0 else 0.0
    else:
        z = 0.0
    use_exact = (n <= EXACT_MK_LIMIT and not has_ties) if exact is None else exact
    if use_exact:
        if has_ties:
            raise ValueError("the exact Mann-Kendall distribution is not available with ties")
        p_value = _exact_mk_p(s, n)
        method = "Mann-Kendall, exact distribution of S"
    else:
        p_value = normal_two_sided_p(z) if variance > 0 else 1.0
        method = "Mann-Kendall, normal approximation with tie-corrected variance"
        if n <= EXACT_MK_LIMIT and has_ties:
            notes.append(
                Note(
                    "exact_unavailable",
                    "ties in a short series: the exact distribution does not apply, "
                    "the normal approximation is rough",
                )
            )
    tau = s / (n * (n - 1) / 2)
    effect = Estimate(tau, None, n, "Kendall's tau (S / (n(n-1)/2))", tuple(notes))
    test = TestResult(float(s), p_value, n, method, effect=effect, notes=tuple(notes))
    return MannKendallResult(test, s, variance, z, tau, use_exact, tuple(notes))


def _exact_mk_p(s: int, n: int) -> float:
    """Two-sided exact p-value P(|S| ≥ |s|) without ties.

    S = n(n − 1)/2 − 2·I with I the number of inversions, whose distribution
    is given by the Mahonian numbers; S is symmetric around 0.
    """
    counts = inversion_counts(n)
    total = sum(counts)
    pairs = n * (n - 1) // 2
    # S >= |s|  <=>  I <= (pairs - |s|) / 2
    limit = (pairs - abs(s)) // 2
    upper_tail = sum(counts[: limit + 1]) / total
    return min(1.0, 2 * upper_tail)


def sens_slope(
    values: Sequence[float] | ArrayLike,
    times: Sequence[float] | ArrayLike | None = None,
    *,
    level: float = CONFIDENCE,
) -> Estimate:
    """Sen's slope: median of (yⱼ − yᵢ)/(tⱼ − tᵢ) over i < j, with Sen's (1968) interval.

    Times default to the positions 0, 1, 2, …; missing periods (NaN) are
    dropped but keep their original times. Computed by ``scipy.stats.theilslopes``.
    """
    if not 0 < level < 1:
        raise ValueError("confidence level must lie strictly between 0 and 1")
    y, x, missing = _series(values, times)
    n = y.size
    if n < 3:
        raise ValueError("Sen's slope needs at least three periods")
    if np.unique(x).size < 2:
        raise ValueError("times must not all be equal")
    result = stats.theilslopes(y, x, level)
    notes: list[Note] = list(_low_power(n))
    if missing:
        notes.append(Note("missing_dropped", f"{missing} missing periods were left out"))
    interval = Interval(float(result.low_slope), float(result.high_slope), level)
    return Estimate(
        float(result.slope), interval, n, "Sen's slope with Sen (1968) interval", tuple(notes)
    )


@dataclass(frozen=True, slots=True)
class OlsTrend:
    """Least-squares trend y = a + b·t; ``slope.interval`` and ``test`` use t(n − 2)."""

    slope: Estimate
    intercept: float
    test: TestResult
    r_squared: float
    notes: tuple[Note, ...] = field(default=())


def ols_trend(
    values: Sequence[float] | ArrayLike,
    times: Sequence[float] | ArrayLike | None = None,
    *,
    level: float = CONFIDENCE,
    hac_lags: int | None = None,
) -> OlsTrend:
    """Ordinary least squares slope of the series on time (statsmodels ``OLS``).

    b = Σ(t − t̄)(y − ȳ)/Σ(t − t̄)², SE from the residual variance with n − 2
    degrees of freedom; the test of b = 0 and the interval use Student's t.
    With ``hac_lags`` the standard error is Newey–West (HAC, Bartlett kernel,
    that many lags), still referred to t(n − 2). Missing periods are dropped.
    """
    if not 0 < level < 1:
        raise ValueError("confidence level must lie strictly between 0 and 1")
    y, x, missing = _series(values, times)
    n = y.size
    if n < 3:
        raise ValueError("a least-squares trend needs at least three periods")
    if np.unique(x).size < 2:
        raise ValueError("times must not all be equal")
    design = sm.add_constant(x, has_constant="add")
    model = sm.OLS(y, design)
    if hac_lags is None:
        fit = model.fit()
        name = "OLS slope on time"
    else:
        if hac_lags < 0:
            raise ValueError("hac_lags must not be negative")
        fit = model.fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags}, use_t=True)
        name = f"OLS slope on time, Newey-West HAC standard error ({hac_lags} lags)"
    slope = float(fit.params[1])
    intercept = float(fit.params[0])
    notes: list[Note] = list(_low_power(n))
    if missing:
        notes.append(Note("missing_dropped", f"{missing} missing periods were left out"))
    tss = float(np.sum((y - y.mean()) ** 2))
    if float(fit.ssr) <= 1e-24 * max(tss, 1.0):
        # an exact line (or a constant series) has no residual variance to test against
        notes.append(Note("perfect_fit", "the points lie exactly on a line; no sampling error"))
        if tss == 0:
            slope, intercept = 0.0, float(y.mean())
        estimate = Estimate(slope, Interval(slope, slope, level), n, name, tuple(notes))
        p_exact = 1.0 if slope == 0 else 0.0
        statistic = 0.0 if slope == 0 else math.copysign(math.inf, slope)
        test = TestResult(
            statistic,
            p_exact,
            n,
            name + ", t-test of zero slope",
            float(n - 2),
            estimate,
            tuple(notes),
        )
        r_squared = 1.0 if tss > 0 else math.nan
        return OlsTrend(estimate, intercept, test, r_squared, tuple(notes))
    low, high = (float(v) for v in fit.conf_int(alpha=1 - level)[1])
    estimate = Estimate(slope, Interval(low, high, level), n, name, tuple(notes))
    test = TestResult(
        float(fit.tvalues[1]),
        float(fit.pvalues[1]),
        n,
        name + ", t-test of zero slope",
        float(n - 2),
        estimate,
        tuple(notes),
    )
    return OlsTrend(estimate, intercept, test, float(fit.rsquared), tuple(notes))
