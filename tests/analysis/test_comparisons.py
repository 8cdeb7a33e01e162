"""Tests for analysis.comparisons against R reference outputs and row-based implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from analysis.comparisons import (
    adjust_pvalues,
    chi_square_independence,
    cohen_h,
    difference_interval,
    dunn,
    dunn_table,
    kruskal_wallis,
    kruskal_wallis_table,
    mann_whitney,
    mann_whitney_table,
    two_proportions,
)
from analysis.counts import table_from_groups

# --- Mann-Whitney --------------------------------------------------------------

# R help page of wilcox.test (Hollander & Wolfe 1973, p. 69: permeability constants)
R_X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
R_Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def test_mann_whitney_matches_r_wilcox_test() -> None:
    # R: wilcox.test(x, y, alternative = "g") gives W = 35, p-value = 0.1272;
    # the two-sided values below are R's, as recorded in scipy's test suite
    # (scipy/stats/tests/test_hypotests.py::TestMannWhitneyU::test_gh_9184).
    exact = mann_whitney(R_X, R_Y)
    assert exact.u == 35
    assert exact.test.p_value == pytest.approx(0.2544122544123, abs=1e-12)
    assert exact.test.method.endswith("exact distribution")
    normal = mann_whitney(R_X, R_Y, method="asymptotic")
    assert normal.test.p_value == pytest.approx(0.244623605127, abs=1e-11)
    plain = mann_whitney(R_X, R_Y, method="asymptotic", correction=False)
    assert plain.test.p_value == pytest.approx(0.2206713619198, abs=1e-11)
    # effects: rank-biserial 2U/(n1 n2) - 1 and CL = U/(n1 n2)
    assert exact.rank_biserial == pytest.approx(2 * 35 / 50 - 1)
    assert exact.common_language == pytest.approx(35 / 50)
    assert exact.test.effect is not None and exact.test.effect.value == exact.rank_biserial


def test_mann_whitney_tie_correction_matches_r() -> None:
    # R: wilcox.test(x, y, exact = FALSE) with x = 1:4 and y = 1:5 (and perturbed y),
    # values from scipy's test suite (TestMannWhitneyU::test_tie_correct).
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y0 = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    dy = np.array([0.0, 1.0, 0.0, 1.0, 0.0]) * 0.01
    dy2 = np.array([0.0, 0.0, 1.0, 0.0, 0.0]) * 0.01
    ys = [y0 - 0.01, y0 - dy, y0 - dy2, y0, y0 + dy2, y0 + dy, y0 + 0.01]
    u_expected = [10, 9, 8.5, 8, 7.5, 7, 6]
    p_expected = [1, 0.9017048037317, 0.804080657472, 0.7086240584439,
                  0.6197963884941, 0.5368784563079, 0.3912672792826]  # fmt: skip
    for y, u, p in zip(ys, u_expected, p_expected, strict=True):
        result = mann_whitney(x, y, method="asymptotic")
        assert result.u == pytest.approx(u)
        assert result.test.p_value == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize(
    ("x", "y", "u", "p"),
    [
        # R wilcox.test(x, y, exact = FALSE) with ties, from scipy's test suite
        # (TestMannWhitneyU::cases_11355, infinities replaced by a large value).
        ([1.0, 2, 3, 4], [3, 6, 7, 8, 1e9, 3, 2, 1, 4, 4, 5], 10.0, 0.1297704873477),
        ([1.0, 2, 3, 4], [3, 6, 7, 8, 1e9, 1e9, 2, 1, 4, 4, 5], 8.5, 0.08735617507695),
        ([1, 2, 1e9, 4], [3, 6, 7, 8, 1e9, 3, 2, 1, 4, 4, 5], 17.5, 0.5988856695752),
    ],
)
def test_mann_whitney_with_ties_matches_r(x: list[float], y: list[float], u: float, p: float) -> None:
    result = mann_whitney(x, y)
    assert result.u == pytest.approx(u)
    assert result.test.p_value == pytest.approx(p, abs=1e-12)


def test_mann_whitney_frequency_table_is_exact_and_scales() -> None:
    # Five-point ratings of two wydziały as counts per code (rows = codes 1..5).
    table = np.array([[3, 8], [5, 10], [12, 15], [30, 20], [20, 7]])
    rows = table_from_groups([np.repeat(np.arange(1, 6), table[:, 0]), np.repeat(np.arange(1, 6), table[:, 1])])[1]
    assert np.array_equal(rows, table)
    by_table = mann_whitney_table(table)
    by_rows = mann_whitney(np.repeat(np.arange(1, 6), table[:, 0]), np.repeat(np.arange(1, 6), table[:, 1]))
    assert by_table == by_rows
    reference = stats.mannwhitneyu(
        np.repeat(np.arange(1, 6), table[:, 0]),
        np.repeat(np.arange(1, 6), table[:, 1]),
        method="asymptotic",
    )
    assert by_table.u == pytest.approx(reference.statistic)
    assert by_table.test.p_value == pytest.approx(reference.pvalue, rel=1e-10)
    # a million times more answers: effects are functions of the shares only
    big = mann_whitney_table(table * 1_000_000)
    assert big.rank_biserial == pytest.approx(by_table.rank_biserial, rel=1e-9)
    assert big.common_language == pytest.approx(by_table.common_language, rel=1e-9)
    assert big.test.p_value < 1e-300 or big.test.p_value == 0.0


def test_mann_whitney_validation_and_degenerate() -> None:
    with pytest.raises(ValueError, match="two group columns"):
        mann_whitney_table([[1, 2, 3]])
    with pytest.raises(ValueError, match="at least one answer"):
        mann_whitney_table([[0, 1], [0, 2]])
    with pytest.raises(ValueError, match="negative"):
        mann_whitney_table([[-1, 1], [2, 2]])
    with pytest.raises(ValueError, match="ties"):
        mann_whitney([1, 1, 2], [2, 3], method="exact")
    same = mann_whitney_table([[5, 7]])
    assert same.test.p_value == 1.0
    assert any(note.code == "no_variation" for note in same.test.notes)


# --- Kruskal-Wallis and Dunn ------------------------------------------------------


def test_kruskal_wallis_matches_hollander_wolfe() -> None:
    # R help of kruskal.test: Hollander & Wolfe (1973, p. 116), mucociliary efficiency;
    # Kruskal-Wallis chi-squared = 0.7714, df = 2, p-value = 0.68
    # (H = 0.771429, P = 0.6800 in Sawyer's worked example, math.wustl.edu).
    normal = [2.9, 3.0, 2.5, 2.6, 3.2]
    obstructive = [3.8, 2.7, 4.0, 2.4]
    asbestosis = [2.8, 3.4, 3.7, 2.2, 2.0]
    result = kruskal_wallis([normal, obstructive, asbestosis])
    assert result.test.statistic == pytest.approx(0.771429, abs=1e-6)
    assert result.test.df == 2
    assert result.test.p_value == pytest.approx(0.6800, abs=5e-5)
    assert result.mean_ranks == pytest.approx((7.2, 9.0, 6.6))
    assert result.epsilon_squared == pytest.approx(0.771429 / 13, abs=1e-6)
    assert result.group_sizes == (5, 4, 5)


# seaborn "exercise" data: pulse by kind of exercise (30 per group).
PULSE_REST = [85, 85, 88, 90, 92, 93, 97, 97, 94, 80, 82, 83, 91, 92, 91,
              83, 83, 84, 87, 88, 90, 92, 94, 95, 97, 99, 96, 100, 97, 100]  # fmt: skip
PULSE_WALKING = [86, 86, 84, 93, 103, 104, 90, 92, 93, 95, 96, 100, 89, 96, 95,
                 84, 86, 89, 103, 109, 90, 92, 96, 101, 97, 98, 100, 102, 104, 103]  # fmt: skip
PULSE_RUNNING = [93, 98, 110, 98, 104, 112, 98, 105, 99, 87, 132, 120, 94, 110, 116,
                 95, 126, 143, 100, 126, 140, 103, 124, 140, 94, 135, 130, 99, 111,
                 150]  # fmt: skip


def test_dunn_holm_matches_r() -> None:
    # scikit-posthocs tests/test_posthocs.py::test_posthoc_dunn, R reference values
    # (PMCMR, Dunn with tie correction, Holm): rest-walking 4.390066e-02,
    # rest-running 9.570998e-09, walking-running 1.873208e-04.
    result = dunn([PULSE_REST, PULSE_WALKING, PULSE_RUNNING], adjust="holm")
    adjusted = {(c.first, c.second): c.p_adjusted for c in result.comparisons}
    assert adjusted[(0, 1)] == pytest.approx(4.390066e-02, rel=1e-6)
    assert adjusted[(0, 2)] == pytest.approx(9.570998e-09, rel=1e-6)
    assert adjusted[(1, 2)] == pytest.approx(1.873208e-04, rel=1e-6)
    assert result.adjustment == "holm"
    bh = dunn([PULSE_REST, PULSE_WALKING, PULSE_RUNNING], adjust="bh")
    raw = [c.p_value for c in bh.comparisons]
    assert [c.p_adjusted for c in bh.comparisons] == pytest.approx(adjust_pvalues(raw, "bh"))


# --- chi-square and Fisher -----------------------------------------------------------


def test_chi_square_matches_r_chisq_test() -> None:
    # R help of chisq.test: Agresti (2007, p. 39) party identification by gender,
    # X-squared = 30.07, df = 2, p-value = 2.954e-07.
    result = chi_square_independence([[762, 327, 468], [484, 239, 477]])
    assert result.test.statistic == pytest.approx(30.07, abs=5e-3)
    assert result.test.df == 2
    assert result.test.p_value == pytest.approx(2.954e-07, rel=5e-4)
    # Cramer's V = sqrt(chi2 / (n (min(r, c) - 1))), n = 2757
    assert result.cramers_v == pytest.approx(math.sqrt(result.test.statistic / 2757))
    assert not any(note.code == "low_expected" for note in result.test.notes)


def test_fisher_exact_for_small_two_by_two() -> None:
    # R help of fisher.test: TeaTasting, matrix(c(3, 1, 1, 3)) -> p-value = 0.4857
    result = chi_square_independence([[3, 1], [1, 3]])
    assert result.test.method.startswith("Fisher")
    assert result.test.p_value == pytest.approx(0.4857, abs=5e-5)
    assert result.min_expected == pytest.approx(2.0)


def test_yates_correction_matches_scipy_and_low_expected_note() -> None:
    table = np.array([[20, 15], [10, 25]])
    result = chi_square_independence(table)
    reference = stats.chi2_contingency(table, correction=True)
    assert result.test.statistic == pytest.approx(reference.statistic)
    assert result.test.p_value == pytest.approx(reference.pvalue)
    sparse = chi_square_independence([[1, 0, 8], [0, 2, 9], [3, 1, 10]])
    assert any(note.code == "low_expected" for note in sparse.test.notes)
    empty = chi_square_independence([[5, 0, 3], [4, 0, 6], [0, 0, 0]])
    assert empty.dropped_rows == 1 and empty.dropped_columns == 1
    degenerate = chi_square_independence([[0, 0], [30, 40]])
    assert degenerate.test.p_value == 1.0
    with pytest.raises(ValueError, match="2x2"):
        chi_square_independence([[1, 2, 3], [4, 5, 6]], method="fisher")


# --- two proportions ------------------------------------------------------------------


def test_difference_intervals_match_published_values() -> None:
    # Fagerland, Lydersen & Laake (2015), Stat Methods Med Res 24(2), 7/34 vs 1/34:
    # Newcombe hybrid score 0.019 to 0.34 (statsmodels test_confint_2indep);
    # R PropCIs::wald2ci(7, 34, 1, 34, 0.95, adjust = "AC") = 0.01161167, 0.32172166.
    newcombe = difference_interval(7, 34, 1, 34)
    assert newcombe.lower == pytest.approx(0.019, abs=5e-4)
    assert newcombe.upper == pytest.approx(0.340, abs=5e-4)
    ac = difference_interval(7, 34, 1, 34, method="agresti-caffo")
    assert (ac.lower, ac.upper) == pytest.approx((0.01161167, 0.32172166), abs=1e-8)


def test_two_proportions_test_and_cohen_h() -> None:
    result = two_proportions(56, 70, 48, 80)
    # pooled z: p = 104/150; z = (0.8 - 0.6)/sqrt(p(1 - p)(1/70 + 1/80))
    pooled = 104 / 150
    z = 0.2 / math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 80))
    assert result.test.statistic == pytest.approx(z)
    # Cohen (1988): h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p2))
    assert result.cohen_h == pytest.approx(2 * math.asin(math.sqrt(0.8)) - 2 * math.asin(math.sqrt(0.6)))
    assert cohen_h(0.5, 0.5) == 0
    with pytest.raises(ValueError):
        two_proportions(5, 4, 1, 2)
    same = two_proportions(0, 10, 0, 12)
    assert same.test.p_value == 1.0


# --- p-value adjustment ------------------------------------------------------------------

# R multtest::mt.rawp2adjp on statsmodels' pval0, as stored in
# statsmodels/stats/tests/test_multi.py (res_multtest1: rawp, Bonferroni, Holm, ..., BH).
RAW = [5.2365677720800003e-05, 2.8140506198000000e-04, 1.4987731079600001e-02,
       2.0273268879800001e-02, 1.7709695272300000e-01, 6.4219392379499995e-01,
       6.8084594763299999e-01, 7.1626938238000004e-01, 8.3854136755300002e-01,
       9.6783382430900000e-01]  # fmt: skip
HOLM = [5.2365677720800005e-04, 2.5326455578199999e-03, 1.1990184863680001e-01,
        1.4191288215860001e-01, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # fmt: skip
BH = [5.2365677720800005e-04, 1.4070253098999999e-03, 4.9959103598666670e-02,
      5.0683172199499998e-02, 3.5419390544599999e-01, 8.9533672797500008e-01,
      8.9533672797500008e-01, 8.9533672797500008e-01, 9.3171263061444454e-01,
      9.6783382430900000e-01]  # fmt: skip
BONFERRONI = [5.2365677720800005e-04, 2.8140506197999998e-03, 1.4987731079600000e-01,
              2.0273268879799999e-01, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # fmt: skip


def test_adjust_pvalues_matches_r() -> None:
    assert adjust_pvalues(RAW, "holm") == pytest.approx(HOLM, rel=1e-12)
    assert adjust_pvalues(RAW, "bh") == pytest.approx(BH, rel=1e-12)
    assert adjust_pvalues(RAW, "bonferroni") == pytest.approx(BONFERRONI, rel=1e-12)
    # the input order is kept
    shuffled = [RAW[i] for i in (3, 0, 9, 5)]
    assert adjust_pvalues(shuffled, "none") == tuple(shuffled)
    assert adjust_pvalues([], "holm") == ()
    with pytest.raises(ValueError):
        adjust_pvalues([0.2, 1.5])
    with pytest.raises(ValueError):
        adjust_pvalues([0.2, float("nan")])


@settings(max_examples=30, deadline=None)  # statsmodels' Holm takes ~30 ms per call
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_adjust_pvalues_agrees_with_statsmodels(p: list[float]) -> None:
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")):
        expected = multipletests(p, method=theirs)[1]
        assert adjust_pvalues(p, ours) == pytest.approx(tuple(expected), abs=1e-12)  # type: ignore[arg-type]


# --- property tests: counts agree with rows ------------------------------------------------

two_group_tables = hnp.arrays(np.int64, st.tuples(st.integers(1, 6), st.just(2)), elements=st.integers(0, 15)).filter(
    lambda t: t[:, 0].sum() > 0 and t[:, 1].sum() > 0
)


def _rows(table: np.ndarray, column: int) -> np.ndarray:
    return np.repeat(np.arange(table.shape[0], dtype=float), table[:, column])


@settings(max_examples=100, deadline=None)
@given(two_group_tables)
def test_mann_whitney_counts_agree_with_scipy_rows(table: np.ndarray) -> None:
    x, y = _rows(table, 0), _rows(table, 1)
    ours = mann_whitney_table(table, method="asymptotic")
    assert ours.u == pytest.approx(stats.mannwhitneyu(x, y).statistic)
    if np.unique(np.concatenate([x, y])).size > 1:
        reference = stats.mannwhitneyu(x, y, method="asymptotic")
        assert ours.test.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-12)
    assert mann_whitney(x, y, method="asymptotic") == ours
    # row order does not matter
    assert mann_whitney(x[::-1], np.sort(y)[::-1], method="asymptotic") == ours
    assert -1 <= ours.rank_biserial <= 1 and 0 <= ours.common_language <= 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=1, max_size=12, unique=True), st.data())
def test_mann_whitney_exact_agrees_with_scipy(values: list[float], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(values)))
    x, y = values[:k], values[k:]
    if not x or not y:
        return
    ours = mann_whitney(x, y)
    reference = stats.mannwhitneyu(x, y, method="exact")
    assert ours.test.p_value == pytest.approx(reference.pvalue, rel=1e-10)


multi_group_tables = hnp.arrays(
    np.int64, st.tuples(st.integers(2, 6), st.integers(2, 5)), elements=st.integers(0, 12)
).filter(lambda t: bool(np.all(t.sum(axis=0) > 0)) and int((t.sum(axis=1) > 0).sum()) > 1)


@settings(max_examples=100, deadline=None)
@given(multi_group_tables)
def test_kruskal_and_dunn_counts_agree_with_rows(table: np.ndarray) -> None:
    groups = [_rows(table, g) for g in range(table.shape[1])]
    ours = kruskal_wallis_table(table)
    reference = stats.kruskal(*groups)
    assert ours.test.statistic == pytest.approx(reference.statistic, rel=1e-9, abs=1e-12)
    # scipy returns NaN when rounding makes H slightly negative; H is then 0 and p = 1
    expected_p = stats.chi2.sf(max(reference.statistic, 0.0), table.shape[1] - 1)
    assert ours.test.p_value == pytest.approx(expected_p, rel=1e-9, abs=1e-12)
    assert kruskal_wallis(groups) == ours
    assert dunn(groups) == dunn_table(table)
    for comparison in dunn_table(table).comparisons:
        assert comparison.p_value <= comparison.p_adjusted <= 1


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.int64, st.tuples(st.integers(2, 5), st.integers(2, 5)), elements=st.integers(1, 40)))
def test_chi_square_agrees_with_scipy(table: np.ndarray) -> None:
    ours = chi_square_independence(table, method="chi-square")
    reference = stats.chi2_contingency(table)
    assert ours.test.statistic == pytest.approx(reference.statistic)
    assert ours.test.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-15)
    v = stats.contingency.association(table, method="cramer")
    assert ours.cramers_v == pytest.approx(v)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 150), st.integers(1, 150), st.data())
def test_two_proportions_agree_with_statsmodels(n1: int, n2: int, data: st.DataObject) -> None:
    x1, x2 = data.draw(st.integers(0, n1)), data.draw(st.integers(0, n2))
    result = two_proportions(x1, n1, x2, n2)
    if 0 < x1 + x2 < n1 + n2:
        z, p = proportions_ztest([x1, x2], [n1, n2])
        assert result.test.statistic == pytest.approx(z)
        assert result.test.p_value == pytest.approx(p)
    for ours, theirs in (("newcombe", "newcomb"), ("agresti-caffo", "agresti-caffo")):
        low, upp = confint_proportions_2indep(x1, n1, x2, n2, method=theirs, compare="diff")
        ci = difference_interval(x1, n1, x2, n2, method=ours)  # type: ignore[arg-type]
        assert ci.lower == pytest.approx(max(-1.0, low), abs=1e-9)
        assert ci.upper == pytest.approx(min(1.0, upp), abs=1e-9)
    assert result.difference.interval is not None
    assert result.difference.interval.contains(result.difference.value)
