"""Tests for analysis.trends: period-over-period change, Mann-Kendall, Sen's slope, OLS."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.counts import counts_from_values
from analysis.items import Scale
from analysis.trends import (
    change_in_distribution,
    change_in_mean,
    change_in_proportion,
    change_in_top_box,
    mann_kendall,
    ols_trend,
    sens_slope,
)

nan = math.nan

# pyMannKendall tests/data/Monthly Rainfall.csv, column "Bogra" (mm, 1981-2010,
# 12 months a year; 7 missing months). Reference results from pyMannKendall's
# tests/test_pymannkendall.py::test_original_test.
BOGRA = [
    32,
    20,
    25,
    189,
    240,
    193,
    379,
    278,
    301,
    0,
    0,
    82,  # 1981
    0,
    4,
    nan,
    nan,
    121,
    234,
    360,
    262,
    120,
    30,
    11,
    1,  # 1982
    7,
    3,
    31,
    31,
    355,
    102,
    248,
    274,
    308,
    nan,
    5,
    26,  # 1983
    11,
    16,
    6,
    48,
    388,
    539,
    431,
    272,
    404,
    186,
    0,
    2,  # 1984
    0,
    4,
    1,
    54,
    272,
    459,
    235,
    164,
    365,
    135,
    2,
    nan,  # 1985
    nan,
    4,
    0,
    128,
    210,
    163,
    446,
    225,
    462,
    467,
    19,
    13,  # 1986
    0,
    3,
    17,
    132,
    178,
    338,
    525,
    623,
    145,
    31,
    19,
    3,  # 1987
    0,
    29,
    25,
    87,
    259,
    756,
    486,
    180,
    292,
    43,
    92,
    1,  # 1988
    0,
    16,
    2,
    0,
    130,
    253,
    594,
    111,
    273,
    30,
    0,
    4,  # 1989
    0,
    27,
    24,
    41,
    292,
    378,
    499,
    265,
    320,
    227,
    4,
    0,  # 1990
    4,
    14,
    8,
    48,
    416,
    240,
    404,
    207,
    733,
    105,
    0,
    112,  # 1991
    0,
    14,
    0,
    30,
    140,
    202,
    289,
    159,
    424,
    106,
    3,
    0,  # 1992
    65,
    3,
    14,
    58,
    268,
    466,
    432,
    266,
    240,
    95,
    1,
    0,  # 1993
    10,
    26,
    4,
    114,
    94,
    289,
    173,
    208,
    263,
    156,
    5,
    0,  # 1994
    16,
    16,
    14,
    0,
    111,
    475,
    534,
    432,
    471,
    117,
    70,
    1,  # 1995
    3,
    28,
    7,
    401,
    184,
    283,
    338,
    171,
    335,
    176,
    0,
    0,  # 1996
    10,
    11,
    9,
    140,
    102,
    208,
    298,
    245,
    220,
    29,
    2,
    27,  # 1997
    10,
    13,
    26,
    84,
    143,
    367,
    749,
    563,
    283,
    353,
    10,
    0,  # 1998
    0,
    0,
    0,
    9,
    246,
    265,
    343,
    429,
    168,
    133,
    17,
    0,  # 1999
    18,
    35,
    76,
    158,
    272,
    250,
    190,
    289,
    466,
    84,
    0,
    0,  # 2000
    0,
    0,
    0,
    22,
    217,
    299,
    185,
    115,
    344,
    203,
    8,
    nan,  # 2001
    nan,
    0,
    5,
    284,
    123,
    254,
    476,
    496,
    326,
    27,
    20,
    0,  # 2002
    4,
    53,
    72,
    113,
    214,
    364,
    219,
    220,
    156,
    264,
    0,
    13,  # 2003
    0,
    0,
    45,
    90,
    137,
    638,
    529,
    261,
    206,
    251,
    0,
    0,  # 2004
    5,
    9,
    58,
    72,
    138,
    130,
    471,
    328,
    356,
    523,
    0,
    1,  # 2005
    0,
    0,
    12,
    143,
    193,
    184,
    192,
    138,
    174,
    69,
    1,
    0,  # 2006
    0,
    18,
    25,
    28,
    92,
    732,
    320,
    256,
    302,
    131,
    15,
    0,  # 2007
    27,
    0,
    22,
    20,
    213,
    393,
    474,
    374,
    109,
    159,
    0,
    0,  # 2008
    0,
    3,
    3,
    49,
    205,
    128,
    194,
    570,
    169,
    89,
    0,
    0,  # 2009
    0,
    0,
    0,
    26,
    185,
    286,
    92,
    225,
    244,
    190,
    3,
    20,  # 2010
]

# NIST StRD linear regression, Norris data (certified values):
# https://www.itl.nist.gov/div898/strd/lls/data/Norris.shtml
NORRIS_Y = [0.1, 338.8, 118.1, 888.0, 9.2, 228.1, 668.5, 998.5, 449.1, 778.9,
            559.2, 0.3, 0.1, 778.1, 668.8, 339.3, 448.9, 10.8, 557.7, 228.3,
            998.0, 888.8, 119.6, 0.3, 0.6, 557.6, 339.3, 888.0, 998.5, 778.9,
            10.2, 117.6, 228.9, 668.4, 449.2, 0.2]  # fmt: skip
NORRIS_X = [0.2, 337.4, 118.2, 884.6, 10.1, 226.5, 666.3, 996.3, 448.6, 777.0,
            558.2, 0.4, 0.6, 775.5, 666.9, 338.0, 447.5, 11.6, 556.0, 228.1,
            995.8, 887.6, 120.2, 0.3, 0.3, 556.8, 339.1, 887.2, 999.0, 779.0,
            11.1, 118.3, 229.2, 669.1, 448.9, 0.5]  # fmt: skip

# R datasets::sleep (Cushny & Peebles), used in the R help of t.test.
SLEEP_GROUP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


# --- period over period ---------------------------------------------------------


def test_change_in_mean_matches_r_welch_t_test() -> None:
    # R: t.test(extra ~ group, data = sleep)
    #    t = -1.8608, df = 17.776, p-value = 0.07939
    #    95 percent confidence interval: -3.3654832  0.2054832
    change = change_in_mean(counts_from_values(SLEEP_GROUP_2), counts_from_values(SLEEP_GROUP_1))
    assert change.difference.value == pytest.approx(0.75 - 2.33)
    assert change.test.statistic == pytest.approx(-1.8608, abs=5e-5)
    assert change.test.df == pytest.approx(17.776, abs=5e-4)
    assert change.test.p_value == pytest.approx(0.07939, abs=5e-6)
    assert change.difference.interval is not None
    assert change.difference.interval.lower == pytest.approx(-3.3654832, abs=1e-7)
    assert change.difference.interval.upper == pytest.approx(0.2054832, abs=1e-7)
    assert change.previous.value == pytest.approx(2.33) and change.current.value == pytest.approx(0.75)
    with pytest.raises(ValueError, match="two substantive answers"):
        change_in_mean({4: 1}, {4: 5, 5: 2})


def test_change_in_proportion_is_current_minus_previous() -> None:
    # Fagerland et al. (2015): 7/34 vs 1/34, Newcombe hybrid score 0.019 to 0.34
    change = change_in_proportion(1, 34, 7, 34)
    assert change.difference.value == pytest.approx(6 / 34)
    assert change.difference.interval is not None
    assert change.difference.interval.lower == pytest.approx(0.019, abs=5e-4)
    assert change.difference.interval.upper == pytest.approx(0.340, abs=5e-4)
    assert change.previous.value == pytest.approx(1 / 34) and change.current.value == pytest.approx(7 / 34)
    assert change.test.effect is not None and change.test.effect.value > 0  # Cohen's h


def test_change_in_top_box_and_distribution() -> None:
    scale = Scale.likert(5)
    previous = {1: 10, 2: 10, 3: 20, 4: 40, 5: 20, 9: 5}
    current = {1: 5, 2: 5, 3: 15, 4: 45, 5: 30, 9: 8}
    change = change_in_top_box(previous, current, scale, not_applicable=[9])
    assert change.previous.value == pytest.approx(0.60)
    assert change.current.value == pytest.approx(0.75)
    assert change.difference.value == pytest.approx(0.15)
    moved = change_in_distribution(previous, current, scale, not_applicable=[9])
    assert moved.rank_biserial > 0 and moved.n1 == 100 and moved.n2 == 100
    with pytest.raises(ValueError, match="both periods"):
        change_in_top_box({9: 3}, current, scale, not_applicable=[9])


# --- Mann-Kendall -------------------------------------------------------------------


def test_mann_kendall_matches_pymannkendall() -> None:
    # pyMannKendall original_test on the Bogra column: s = -1959,
    # var_s = 4889800.333333333, z = -0.8854562842589916, p = 0.37591058740506833,
    # Tau = -0.03153167653875869 (missing months removed).
    result = mann_kendall(BOGRA)
    assert result.s == -1959
    assert result.variance == pytest.approx(4889800.333333333, rel=1e-12)
    assert result.z == pytest.approx(-0.8854562842589916, rel=1e-12)
    assert result.test.p_value == pytest.approx(0.37591058740506833, rel=1e-10)
    assert result.tau == pytest.approx(-0.03153167653875869, rel=1e-12)
    assert not result.exact
    assert any(note.code == "missing_dropped" for note in result.notes)


def test_mann_kendall_matches_worked_example_by_hand() -> None:
    # Little, "A Mann-Kendall Example (By Hand)", College of the Holy Cross:
    # S = 54, V = (14)(13)(33)/18 - (2)(1)(9)/18, Z = (S - 1)/sqrt(V) = 2.9058,
    # one-sided p = .0018.
    series = [12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7]
    result = mann_kendall(series)
    assert result.s == 54
    assert result.variance == pytest.approx(14 * 13 * 33 / 18 - 2 * 1 * 9 / 18)
    assert result.z == pytest.approx(2.9058, abs=5e-5)
    assert result.test.p_value / 2 == pytest.approx(0.0018, abs=5e-5)
    assert result.tau == pytest.approx(54 / 91)
    assert not any(note.code == "low_power" for note in result.notes)


def test_mann_kendall_exact_small_series() -> None:
    # Kendall (1975) / Gilbert (1987) Table A18: P(S >= 6 | n = 4) = 0.042 (= 1/24),
    # P(S >= 10 | n = 5) = 0.0083 (= 1/120); two-sided p doubles these. Domain
    # reference §9.12: four perfectly ordered periods cannot reach p < 0.05.
    four = mann_kendall([3.1, 3.4, 3.6, 3.9])
    assert four.exact and four.s == 6
    assert four.test.p_value == pytest.approx(2 / 24)
    assert any(note.code == "low_power" for note in four.notes)
    five = mann_kendall([5, 4, 3, 2, 1])
    assert five.s == -10 and five.test.p_value == pytest.approx(2 / 120)
    # with ties the exact table does not apply
    tied = mann_kendall([3.5, 3.5, 3.7, 3.9, 4.0])
    assert not tied.exact
    assert any(note.code == "exact_unavailable" for note in tied.notes)
    with pytest.raises(ValueError, match="ties"):
        mann_kendall([1, 1, 2], exact=True)
    with pytest.raises(ValueError, match="three periods"):
        mann_kendall([1, 2])


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 10), st.randoms())
def test_exact_mann_kendall_agrees_with_scipy_kendall_tau(n: int, rnd: object) -> None:
    # Without ties, Mann-Kendall is Kendall's tau against time; scipy's exact
    # Kendall distribution is an independent implementation.
    values = list(range(n))
    rnd.shuffle(values)  # type: ignore[attr-defined]
    ours = mann_kendall(values)
    reference = stats.kendalltau(np.arange(n), values, method="exact")
    assert ours.tau == pytest.approx(reference.statistic)
    assert ours.test.p_value == pytest.approx(reference.pvalue, rel=1e-10)


def test_exact_distribution_is_a_distribution() -> None:
    # summing the exact p-values of S >= s over all orderings of n = 6 items
    # reproduces the permutation distribution
    n = 6
    s_values = []
    for perm in itertools.permutations(range(n)):
        s_values.append(mann_kendall(list(perm)).s)
    s_array = np.array(s_values)
    for s in (1, 5, 9, 15):
        share = np.mean(np.abs(s_array) >= s)
        values = next(p for p in itertools.permutations(range(n)) if mann_kendall(list(p)).s == s)
        assert mann_kendall(list(values)).test.p_value == pytest.approx(share)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=3, max_size=25))
def test_mann_kendall_properties(series: list[int]) -> None:
    result = mann_kendall(series)
    # rank-based: a monotone transformation does not change S; reversing time flips it
    assert mann_kendall([math.exp(v) for v in series]).s == result.s
    assert mann_kendall(series[::-1]).s == -result.s
    assert -1 <= result.tau <= 1 and 0 <= result.test.p_value <= 1
    if len(series) < 8:
        assert any(note.code == "low_power" for note in result.notes)


# --- Sen's slope and OLS -------------------------------------------------------------


def test_sens_slope_matches_sen_1968() -> None:
    # Sen (1968), JASA 63:1379-1389, example also used in scipy's test suite
    # (test_mstats_basic.py::test_theilslopes): slope 4, 93% interval [3.71, 4.38].
    est = sens_slope([9, 15, 19, 20, 45, 55, 78], [1, 2, 3, 4, 10, 12, 18], level=0.93)
    assert est.value == pytest.approx(4.0)
    assert est.interval is not None
    assert est.interval.lower == pytest.approx(3.71, abs=5e-3)
    assert est.interval.upper == pytest.approx(4.38, abs=5e-3)
    assert any(note.code == "low_power" for note in est.notes)


def test_sens_slope_matches_pymannkendall() -> None:
    # pyMannKendall (test_original_test) reports slope = -0.0064516129032258064 for
    # the Bogra series with missing months removed and the rest re-indexed.
    compressed = [v for v in BOGRA if not math.isnan(v)]
    assert sens_slope(compressed).value == pytest.approx(-0.0064516129032258064, rel=1e-12)
    # with the original positions kept, missing months are dropped and noted
    assert any(note.code == "missing_dropped" for note in sens_slope(BOGRA).notes)


def test_ols_trend_matches_nist_norris() -> None:
    # NIST StRD Norris certified values: B1 = 1.00211681802045 (sd 0.429796848199937E-03),
    # B0 = -0.262323073774029, R-squared = 0.999993745883712, residual df = 34.
    trend = ols_trend(NORRIS_Y, NORRIS_X)
    assert trend.slope.value == pytest.approx(1.00211681802045, rel=1e-10)
    assert trend.intercept == pytest.approx(-0.262323073774029, rel=1e-8)
    assert trend.r_squared == pytest.approx(0.999993745883712, rel=1e-10)
    assert trend.test.df == 34
    assert trend.test.statistic == pytest.approx(1.00211681802045 / 0.429796848199937e-03, rel=1e-8)
    half = stats.t.ppf(0.975, 34) * 0.429796848199937e-03
    assert trend.slope.interval is not None
    assert trend.slope.interval.width == pytest.approx(2 * half, rel=1e-8)


def test_ols_trend_hac_zero_lags_is_white() -> None:
    # Newey-West with 0 lags is White's (HC0) estimator:
    # Var(b) = Σ (t - t̄)² e² / (Σ (t - t̄)²)² (White 1980).
    y = np.array([3.1, 3.4, 3.2, 3.8, 3.6, 4.1, 3.9, 4.4, 4.2, 4.6])
    t = np.arange(10.0)
    b, a = np.polyfit(t, y, 1)
    e = y - (a + b * t)
    sxx = np.sum((t - t.mean()) ** 2)
    se = math.sqrt(np.sum((t - t.mean()) ** 2 * e**2) / sxx**2)
    trend = ols_trend(y, hac_lags=0)
    assert trend.slope.value == pytest.approx(b)
    assert trend.test.statistic == pytest.approx(b / se)
    assert trend.slope.method.startswith("OLS slope on time, Newey-West")
    with pytest.raises(ValueError, match="three periods"):
        ols_trend([1.0, 2.0])
    with pytest.raises(ValueError, match="equal"):
        ols_trend([1.0, 2.0, 3.0], [1, 1, 1])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(1, 5), min_size=3, max_size=20))
def test_trend_intervals_contain_estimates(series: list[float]) -> None:
    sen = sens_slope(series)
    assert sen.interval is not None
    assert sen.interval.lower - 1e-12 <= sen.value <= sen.interval.upper + 1e-12
    ols = ols_trend(series)
    assert ols.slope.interval is not None
    assert ols.slope.interval.lower - 1e-9 <= ols.slope.value <= ols.slope.interval.upper + 1e-9


def test_degenerate_series() -> None:
    flat = ols_trend([4.0, 4.0, 4.0, 4.0])
    assert flat.slope.value == 0 and flat.test.p_value == 1.0
    assert any(note.code == "perfect_fit" for note in flat.notes)
    line = ols_trend([1.0, 2.0, 3.0, 4.0])
    assert line.slope.value == pytest.approx(1.0) and line.test.p_value == 0.0
    assert mann_kendall([4.0, 4.0, 4.0, 4.0]).test.p_value == 1.0
    with pytest.raises(ValueError, match="same length"):
        sens_slope([1.0, 2.0, 3.0], [1.0, 2.0])
