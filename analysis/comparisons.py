"""Group comparisons: rank tests, contingency tables, two proportions, p-value adjustment.

Every rank method works on a **frequency table** — ``table[k, g]`` is the number
of answers in ordered category ``k`` (e.g. scale code 1 … 5) from group ``g``
(wydział, channel, period). Midranks are computed analytically from the
category totals (:func:`analysis.counts.midranks`), so the cost depends on the
number of categories, not on the number of answers; tables of millions of
answers cost the same as tables of ten. Functions taking raw arrays build the
same table first, so row-based and count-based calls agree exactly.

* Mann–Whitney U (Wilcoxon rank-sum) with the tie-corrected normal
  approximation and continuity correction, or the exact distribution for small
  samples without ties — the conventions of R ``wilcox.test``. U is that of the
  first group (R's W). Effects: rank-biserial r = 2U/(n₁n₂) − 1 and the common
  language effect CL = U/(n₁n₂) = P(X > Y) + ½P(X = Y).
* Kruskal–Wallis H with tie correction (R ``kruskal.test``); effect
  ε² = H/(n − 1) (Tomczak & Tomczak 2014) and η²_H = (H − k + 1)/(n − k).
* Dunn (1964) pairwise z-tests on mean ranks with tie-corrected variance and
  Holm or Benjamini–Hochberg adjustment.
* χ² test of independence (Yates' correction on 2×2, as R ``chisq.test``), or
  Fisher's exact test for a 2×2 table with an expected count below 5;
  Cramér's V from the uncorrected χ².
* Two proportions (top-box this period vs last): pooled z-test, Newcombe
  (hybrid score) or Agresti–Caffo interval for the difference, Cohen's h.
* Holm (1979) and Benjamini–Hochberg (1995) p-value adjustment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from analysis.counts import (
    as_table,
    mann_whitney_null_counts,
    midranks,
    table_from_groups,
    tie_term,
)
from analysis.items import proportion_interval
from analysis.probability import normal_quantile, normal_two_sided_p
from analysis.results import CONFIDENCE, Estimate, Interval, Note, TestResult, small_n_note

Adjustment = Literal["holm", "bh", "bonferroni", "none"]
RankMethod = Literal["auto", "exact", "asymptotic"]
DifferenceMethod = Literal["newcombe", "agresti-caffo"]
ChiSquareMethod = Literal["auto", "chi-square", "fisher"]

EXACT_LIMIT = 50
"""Like R, the exact Mann–Whitney distribution is used below 50 per group without ties."""


# --- p-value adjustment ------------------------------------------------------


def adjust_pvalues(
    p_values: Sequence[float] | ArrayLike, method: Adjustment = "holm"
) -> tuple[float, ...]:
    """Adjust a family of p-values for multiple testing; results keep the input order.

    * ``"holm"`` (Holm 1979, step-down): sort p₍₁₎ ≤ … ≤ p₍ₘ₎;
      p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1) p₍ⱼ₎). Controls the family-wise error.
    * ``"bh"`` (Benjamini & Hochberg 1995, step-up):
      p̃₍ᵢ₎ = min_{j ≥ i} min(1, m p₍ⱼ₎ / j). Controls the false discovery rate.
    * ``"bonferroni"``: min(1, m p); ``"none"``: unchanged.

    Same definitions as R ``p.adjust``.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("p-values must be a one-dimensional sequence")
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must be numbers between 0 and 1")
    m = p.size
    if m == 0:
        return ()
    if method == "none":
        return tuple(float(v) for v in p)
    if method == "bonferroni":
        return tuple(float(v) for v in np.minimum(1.0, m * p))
    order = np.argsort(p, kind="stable")
    sorted_p = p[order]
    ranks = np.arange(1, m + 1)
    if method == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - ranks + 1) * sorted_p))
    elif method == "bh":
        adjusted = np.minimum.accumulate(np.minimum(1.0, m * sorted_p / ranks)[::-1])[::-1]
    else:
        raise ValueError(f"unknown adjustment method {method!r}")
    result = np.empty(m)
    result[order] = adjusted
    return tuple(float(v) for v in result)


# --- Mann–Whitney --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MannWhitneyResult:
    """Mann–Whitney U test of group 1 against group 2.

    ``test.statistic`` is U₁ (R's W); ``test.effect`` the rank-biserial correlation,
    positive when group 1 tends to answer higher.
    """

    test: TestResult
    u: float
    rank_biserial: float
    common_language: float
    mean_ranks: tuple[float, float]
    n1: int
    n2: int


def _two_group_table(table: ArrayLike) -> NDArray[np.float64]:
    t = as_table(table)
    if t.shape[1] != 2:
        raise ValueError("a Mann-Whitney table needs exactly two group columns")
    return t


def mann_whitney_table(
    table: ArrayLike, *, method: RankMethod = "auto", correction: bool = True
) -> MannWhitneyResult:
    """Mann–Whitney U from an ordered frequency table ``table[category, group]`` (2 groups).

    R₁ = Σₖ table[k, 0]·rₖ with midranks rₖ; U₁ = R₁ − n₁(n₁ + 1)/2.
    Normal approximation: z = (U₁ − n₁n₂/2 ∓ ½)/σ with
    σ² = n₁n₂/12 · [(n + 1) − Σ(t³ − t)/(n(n − 1))] (ties) and the ½
    continuity correction when ``correction``. ``"auto"`` uses the exact
    distribution when both groups are below 50 and there are no ties.
    Two-sided p-value.
    """
    t = _two_group_table(table)
    n1, n2 = float(t[:, 0].sum()), float(t[:, 1].sum())
    if n1 == 0 or n2 == 0:
        raise ValueError("both groups need at least one answer")
    totals = t.sum(axis=1)
    n = n1 + n2
    ranks = midranks(totals)
    rank_sum_1 = float(np.dot(t[:, 0], ranks))
    rank_sum_2 = float(np.dot(t[:, 1], ranks))
    u1 = rank_sum_1 - n1 * (n1 + 1) / 2
    ties = tie_term(totals)
    has_ties = ties > 0
    if method == "auto":
        method = (
            "exact" if (n1 < EXACT_LIMIT and n2 < EXACT_LIMIT and not has_ties) else "asymptotic"
        )
    notes: list[Note] = list(small_n_note(int(min(n1, n2))))
    if method == "exact":
        if has_ties:
            raise ValueError("the exact Mann-Whitney distribution is not available with ties")
        counts = mann_whitney_null_counts(int(n1), int(n2))
        total = sum(counts)
        u_int = round(u1)
        lower = sum(counts[: u_int + 1]) / total
        upper = sum(counts[u_int:]) / total
        p_value = min(1.0, 2 * min(lower, upper))
        name = "Mann-Whitney U, exact distribution"
    elif method == "asymptotic":
        variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
        shift = u1 - n1 * n2 / 2
        if variance <= 0:
            p_value = 1.0
            notes.append(Note("no_variation", "all answers are identical; nothing to compare"))
        else:
            cc = 0.5 * math.copysign(1.0, shift) if (correction and shift != 0) else 0.0
            z = (shift - cc) / math.sqrt(variance)
            p_value = min(1.0, normal_two_sided_p(z))
        name = "Mann-Whitney U, normal approximation with tie correction"
        if correction:
            name += " and continuity correction"
    else:
        raise ValueError(f"unknown method {method!r}")
    rank_biserial = 2 * u1 / (n1 * n2) - 1
    effect = Estimate(
        rank_biserial, None, int(n), "rank-biserial correlation 2U/(n1 n2) - 1", tuple(notes)
    )
    test = TestResult(u1, p_value, int(n), name, effect=effect, notes=tuple(notes))
    return MannWhitneyResult(
        test=test,
        u=u1,
        rank_biserial=rank_biserial,
        common_language=u1 / (n1 * n2),
        mean_ranks=(rank_sum_1 / n1, rank_sum_2 / n2),
        n1=int(n1),
        n2=int(n2),
    )


def mann_whitney(
    x: ArrayLike, y: ArrayLike, *, method: RankMethod = "auto", correction: bool = True
) -> MannWhitneyResult:
    """Mann–Whitney U of raw observations x (group 1) against y (group 2).

    The observations are cross-tabulated first, then :func:`mann_whitney_table`.
    """
    _, table = table_from_groups([x, y])
    return mann_whitney_table(table, method=method, correction=correction)


# --- Kruskal–Wallis and Dunn --------------------------------------------------


@dataclass(frozen=True, slots=True)
class KruskalResult:
    """Kruskal–Wallis H test; ``test.effect`` is ε² = H/(n − 1)."""

    test: TestResult
    epsilon_squared: float
    eta_squared: float
    mean_ranks: tuple[float, ...]
    group_sizes: tuple[int, ...]


def _rank_table(table: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
    """Validated table, its group sizes, total n and tie term; groups must be non-empty."""
    t = as_table(table)
    if t.shape[1] < 2:
        raise ValueError("at least two groups are required")
    sizes = t.sum(axis=0)
    if np.any(sizes == 0):
        raise ValueError("every group needs at least one answer")
    return t, sizes, float(sizes.sum()), tie_term(t.sum(axis=1))


def kruskal_wallis_table(table: ArrayLike) -> KruskalResult:
    """Kruskal–Wallis H from an ordered frequency table ``table[category, group]``.

    H = [12/(n(n + 1)) · Σ_g R_g²/n_g − 3(n + 1)] / [1 − Σ(t³ − t)/(n³ − n)],
    df = G − 1, p from χ²_df. Effects ε² = H/(n − 1) and η²_H = (H − G + 1)/(n − G).
    """
    t, sizes, n, ties = _rank_table(table)
    groups = t.shape[1]
    ranks = midranks(t.sum(axis=1))
    rank_sums = ranks @ t
    notes: list[Note] = list(small_n_note(int(sizes.min())))
    correction = 1 - ties / (n**3 - n) if n > 1 else 0.0
    if correction <= 0:
        h, p_value = 0.0, 1.0
        notes.append(Note("no_variation", "all answers are identical; nothing to compare"))
    else:
        h_raw = 12 / (n * (n + 1)) * float(np.sum(rank_sums**2 / sizes)) - 3 * (n + 1)
        h = max(h_raw / correction, 0.0)
        p_value = float(stats.chi2.sf(h, groups - 1))
    epsilon = h / (n - 1) if n > 1 else math.nan
    eta = (h - groups + 1) / (n - groups) if n > groups else math.nan
    effect = Estimate(epsilon, None, int(n), "epsilon squared H/(n - 1)", tuple(notes))
    test = TestResult(
        h,
        p_value,
        int(n),
        "Kruskal-Wallis H with tie correction",
        df=float(groups - 1),
        effect=effect,
        notes=tuple(notes),
    )
    return KruskalResult(
        test,
        epsilon,
        eta,
        tuple(float(v) for v in rank_sums / sizes),
        tuple(int(v) for v in sizes),
    )


def kruskal_wallis(groups: Sequence[ArrayLike]) -> KruskalResult:
    """Kruskal–Wallis H of raw observations, one array per group."""
    _, table = table_from_groups(groups)
    return kruskal_wallis_table(table)


@dataclass(frozen=True, slots=True)
class PairwiseComparison:
    """One pair of groups in a post-hoc test (indices into the group list)."""

    first: int
    second: int
    mean_rank_difference: float
    z: float
    p_value: float
    p_adjusted: float


@dataclass(frozen=True, slots=True)
class DunnResult:
    """All pairwise Dunn comparisons with adjusted p-values."""

    comparisons: tuple[PairwiseComparison, ...]
    adjustment: str
    method: str
    notes: tuple[Note, ...] = field(default=())


def dunn_table(table: ArrayLike, *, adjust: Adjustment = "holm") -> DunnResult:
    """Dunn (1964) pairwise tests after Kruskal–Wallis, from a frequency table.

    zᵢⱼ = (R̄ᵢ − R̄ⱼ) / √([n(n + 1)/12 − Σ(t³ − t)/(12(n − 1))] · (1/nᵢ + 1/nⱼ)),
    two-sided p = 2(1 − Φ(|z|)), then adjusted over the G(G − 1)/2 pairs
    (Holm by default, ``"bh"`` for Benjamini–Hochberg).
    """
    t, sizes, n, ties = _rank_table(table)
    ranks = midranks(t.sum(axis=1))
    mean_ranks = (ranks @ t) / sizes
    base = n * (n + 1) / 12 - ties / (12 * (n - 1)) if n > 1 else 0.0
    pairs = list(combinations(range(t.shape[1]), 2))
    raw: list[tuple[int, int, float, float, float]] = []
    notes: list[Note] = []
    for i, j in pairs:
        diff = float(mean_ranks[i] - mean_ranks[j])
        variance = base * (1 / sizes[i] + 1 / sizes[j])
        if variance <= 0:
            z, p = 0.0, 1.0
        else:
            z = diff / math.sqrt(variance)
            p = normal_two_sided_p(z)
        raw.append((i, j, diff, z, p))
    if base <= 0:
        notes.append(Note("no_variation", "all answers are identical; nothing to compare"))
    adjusted = adjust_pvalues([r[4] for r in raw], adjust)
    comparisons = tuple(
        PairwiseComparison(i, j, d, z, p, a)
        for (i, j, d, z, p), a in zip(raw, adjusted, strict=True)
    )
    return DunnResult(
        comparisons, adjust, "Dunn (1964) z-test on mean ranks with tie correction", tuple(notes)
    )


def dunn(groups: Sequence[ArrayLike], *, adjust: Adjustment = "holm") -> DunnResult:
    """Dunn pairwise tests of raw observations, one array per group."""
    _, table = table_from_groups(groups)
    return dunn_table(table, adjust=adjust)


# --- contingency tables ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChiSquareResult:
    """Test of independence for a table; ``test.effect`` is Cramér's V."""

    test: TestResult
    cramers_v: float
    expected: tuple[tuple[float, ...], ...]
    min_expected: float
    dropped_rows: int
    dropped_columns: int


def chi_square_independence(
    table: ArrayLike, *, method: ChiSquareMethod = "auto", correction: bool = True
) -> ChiSquareResult:
    """χ² test of independence, or Fisher's exact test for small 2×2 tables.

    Expected counts Eᵢⱼ = rowᵢ·colⱼ/n; χ² = Σ(O − E)²/E with
    df = (r − 1)(c − 1); on 2×2 tables Yates' correction (|O − E| − ½)² when
    ``correction`` (as R ``chisq.test``). Cramér's V = √(χ²/(n·(min(r, c) − 1)))
    uses the uncorrected χ². Rows and columns with no answers are dropped
    first. ``"auto"`` switches to Fisher's exact test on a 2×2 table when an
    expected count is below 5; larger tables with more than 20% of expected
    counts below 5 (or any below 1) get a ``low_expected`` note (Cochran 1954):
    merge categories or use T2B instead.
    """
    raw = as_table(table)
    rows_kept = raw.sum(axis=1) > 0
    cols_kept = raw.sum(axis=0) > 0
    t = raw[rows_kept][:, cols_kept]
    dropped_rows = int((~rows_kept).sum())
    dropped_cols = int((~cols_kept).sum())
    n = float(t.sum())
    if n == 0:
        raise ValueError("the table holds no answers")
    notes: list[Note] = list(small_n_note(int(n)))
    if dropped_rows or dropped_cols:
        notes.append(Note("empty_dropped", "empty rows or columns were left out"))
    if t.shape[0] < 2 or t.shape[1] < 2:
        notes.append(Note("degenerate", "fewer than two non-empty rows or columns; no test"))
        effect = Estimate(0.0, None, int(n), "Cramer's V", tuple(notes))
        test = TestResult(0.0, 1.0, int(n), "no test (degenerate table)", 0.0, effect, tuple(notes))
        expected_t = tuple(tuple(float(v) for v in row) for row in t)
        return ChiSquareResult(test, 0.0, expected_t, math.nan, dropped_rows, dropped_cols)
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    min_expected = float(expected.min())
    r, c = t.shape
    df = (r - 1) * (c - 1)
    chi2_plain = float(np.sum((t - expected) ** 2 / expected))
    cramers_v = math.sqrt(chi2_plain / (n * (min(r, c) - 1)))
    small_share = float(np.mean(expected < 5))
    is_2x2 = (r, c) == (2, 2)
    if method == "auto":
        method = "fisher" if (is_2x2 and min_expected < 5) else "chi-square"
    if method == "fisher":
        if not is_2x2:
            raise ValueError("Fisher's exact test is available for 2x2 tables only")
        result = stats.fisher_exact(t.astype(np.int64))
        statistic, p_value = chi2_plain, float(result.pvalue)
        name = "Fisher's exact test (two-sided)"
    elif method == "chi-square":
        if is_2x2 and correction:
            yates = np.minimum(0.5, np.abs(t - expected))
            statistic = float(np.sum((np.abs(t - expected) - yates) ** 2 / expected))
            name = "Pearson chi-square with Yates' continuity correction"
        else:
            statistic = chi2_plain
            name = "Pearson chi-square"
        p_value = float(stats.chi2.sf(statistic, df))
        if small_share > 0.2 or min_expected < 1:
            notes.append(
                Note(
                    "low_expected",
                    f"{small_share:.0%} of expected counts are below 5 (minimum "
                    f"{min_expected:.2f}); merge categories or compare top-box shares",
                )
            )
    else:
        raise ValueError(f"unknown method {method!r}")
    effect = Estimate(cramers_v, None, int(n), "Cramer's V (uncorrected chi-square)", tuple(notes))
    test = TestResult(statistic, p_value, int(n), name, float(df), effect, tuple(notes))
    return ChiSquareResult(
        test,
        cramers_v,
        tuple(tuple(float(v) for v in row) for row in expected),
        min_expected,
        dropped_rows,
        dropped_cols,
    )


# --- two proportions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProportionComparison:
    """p₁ − p₂ with its interval, the pooled z-test and Cohen's h."""

    difference: Estimate
    test: TestResult
    cohen_h: float
    p1: float
    p2: float


def cohen_h(p1: float, p2: float) -> float:
    """Cohen's h = 2·asin√p₁ − 2·asin√p₂ (0.2 small, 0.5 medium, 0.8 large; Cohen 1988)."""
    for p in (p1, p2):
        if not 0 <= p <= 1:
            raise ValueError("proportions must lie between 0 and 1")
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))


def difference_interval(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    method: DifferenceMethod = "newcombe",
    level: float = CONFIDENCE,
) -> Interval:
    """Interval for p₁ − p₂ of two independent proportions.

    * ``"newcombe"`` (Newcombe 1998, method 10, hybrid score): with Wilson limits
      (l₁, u₁), (l₂, u₂) and d = p₁ − p₂:
      [d − √((p₁ − l₁)² + (u₂ − p₂)²), d + √((u₁ − p₁)² + (p₂ − l₂)²)].
    * ``"agresti-caffo"`` (Agresti & Caffo 2000): add one success and one failure
      to each group, then the Wald interval of the adjusted difference.
    """
    _check_counts(x1, n1)
    _check_counts(x2, n2)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    if method == "newcombe":
        w1 = proportion_interval(x1, n1, level=level)
        w2 = proportion_interval(x2, n2, level=level)
        lower = d - math.sqrt((p1 - w1.lower) ** 2 + (w2.upper - p2) ** 2)
        upper = d + math.sqrt((w1.upper - p1) ** 2 + (p2 - w2.lower) ** 2)
    elif method == "agresti-caffo":
        a1, a2 = (x1 + 1) / (n1 + 2), (x2 + 1) / (n2 + 2)
        se = math.sqrt(a1 * (1 - a1) / (n1 + 2) + a2 * (1 - a2) / (n2 + 2))
        z = normal_quantile(0.5 + level / 2)
        lower, upper = a1 - a2 - z * se, a1 - a2 + z * se
    else:
        raise ValueError(f"unknown interval method {method!r}")
    return Interval(max(-1.0, lower), min(1.0, upper), level)


def _check_counts(x: int, n: int) -> None:
    if n <= 0 or x < 0 or x > n or x != int(x) or n != int(n):
        raise ValueError(f"need whole numbers 0 <= successes <= n and n > 0, got {x}/{n}")


def two_proportions(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    method: DifferenceMethod = "newcombe",
    level: float = CONFIDENCE,
) -> ProportionComparison:
    """Compare two independent proportions (e.g. T2B this period vs last).

    Pooled z-test z = (p̂₁ − p̂₂)/√(p̄(1 − p̄)(1/n₁ + 1/n₂)), p̄ = (x₁ + x₂)/(n₁ + n₂),
    two-sided p; the difference gets a Newcombe (default) or Agresti–Caffo
    interval; the effect size is Cohen's h.
    """
    _check_counts(x1, n1)
    _check_counts(x2, n2)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        z, p_value = 0.0, 1.0
    else:
        z = (p1 - p2) / se
        p_value = normal_two_sided_p(z)
    notes = small_n_note(min(n1, n2))
    interval = difference_interval(x1, n1, x2, n2, method=method, level=level)
    name = "Newcombe hybrid score" if method == "newcombe" else "Agresti-Caffo"
    difference = Estimate(
        p1 - p2, interval, n1 + n2, f"difference of proportions, {name} interval", notes
    )
    h = cohen_h(p1, p2)
    effect = Estimate(h, None, n1 + n2, "Cohen's h", notes)
    test = TestResult(
        z, p_value, n1 + n2, "two-proportion z-test (pooled)", effect=effect, notes=notes
    )
    return ProportionComparison(difference, test, h, p1, p2)
