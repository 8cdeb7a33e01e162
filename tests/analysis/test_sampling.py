"""Tests for analysis.sampling against published values and analytic identities.

References used below:
* Krejcie & Morgan (1970), *Educational and Psychological Measurement* 30:607–610,
  Table 1 (sample size s for population size N).
* Cochran (1977) *Sampling Techniques*: n₀ = 384.16 → 385 for ±5% at 95%, and the
  finite-population examples of Israel (1992) *Determining Sample Size*, University of
  Florida IFAS PEOD-6 (N = 2000 → 323) and of the Statistics How To worked example
  (N = 1000 → 278).
* Newcombe (1998), *Statistics in Medicine* 17:857–872, Table I, Wilson score
  intervals for 81/263, 15/148, 0/20 and 1/29.
* Deming & Stephan (1940) and Bishop, Fienberg & Holland (1975, §3.6): raking a
  two-way table keeps its odds ratios, which for a 2×2 table gives the solution in
  closed form.
* Kish (1965, 1992): deff = n·Σw²/(Σw)² = 1 + CV²(w).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint  # type: ignore[import-untyped]

from analysis.sampling import (
    kish_design_effect,
    margin_of_error,
    post_stratification_weights,
    rake,
    sample_size,
    weighted_mean,
    weighted_proportion,
)

# Krejcie & Morgan (1970), Table 1: N -> s.
KREJCIE_MORGAN_TABLE = {
    10: 10, 15: 14, 20: 19, 25: 24, 30: 28, 35: 32, 40: 36, 45: 40, 50: 44, 55: 48,
    60: 52, 65: 56, 70: 59, 75: 63, 80: 66, 85: 70, 90: 73, 95: 76, 100: 80, 110: 86,
    120: 92, 130: 97, 140: 103, 150: 108, 160: 113, 170: 118, 180: 123, 190: 127,
    200: 132, 210: 136, 220: 140, 230: 144, 240: 148, 250: 152, 260: 155, 270: 159,
    280: 162, 290: 165, 300: 169, 320: 175, 340: 181, 360: 186, 380: 191, 400: 196,
    420: 201, 440: 205, 460: 210, 480: 214, 500: 217, 550: 226, 600: 234, 650: 242,
    700: 248, 750: 254, 800: 260, 850: 265, 900: 269, 950: 274, 1000: 278, 1100: 285,
    1200: 291, 1300: 297, 1400: 302, 1500: 306, 1600: 310, 1700: 313, 1800: 317,
    1900: 320, 2000: 322, 2200: 327, 2400: 331, 2600: 335, 2800: 338, 3000: 341,
    3500: 346, 4000: 351, 4500: 354, 5000: 357, 6000: 361, 7000: 364, 8000: 367,
    9000: 368, 10000: 370, 15000: 375, 20000: 377, 30000: 379, 40000: 380, 50000: 381,
    75000: 382, 1000000: 384,
}  # fmt: skip


# --- margin of error and sample size ------------------------------------------------


def test_margin_of_error_textbook_values() -> None:
    # e = 1.96·√(0.25/n): ±4.9% for n = 400, ±3.1% for n = 1000 (the familiar poll margins).
    assert margin_of_error(400) == pytest.approx(1.959964 * math.sqrt(0.25 / 400), rel=1e-6)
    assert round(100 * margin_of_error(400), 1) == 4.9
    assert round(100 * margin_of_error(1000), 1) == 3.1
    # With the finite population correction √((N − n)/(N − 1)).
    assert margin_of_error(400, population=1000) == pytest.approx(
        margin_of_error(400) * math.sqrt(600 / 999), rel=1e-12
    )
    assert margin_of_error(50, population=50) == 0.0


def test_cochran_sample_sizes() -> None:
    # n₀ = 1.96²·0.25/0.05² = 384.16 -> 385 answers.
    plan = sample_size(0.05)
    assert plan.n0 == pytest.approx(384.146, abs=1e-3)
    assert plan.completes == 385
    # Israel (1992): n = 385/(1 + 384/2000) = 323; Statistics How To: N = 1000 -> 278.
    assert sample_size(0.05, population=2000).completes == 323
    assert sample_size(0.05, population=1000).completes == 278
    # ±3% needs 1068 (1.96²·0.25/0.03² = 1067.07).
    assert sample_size(0.03).completes == 1068


def test_krejcie_morgan_table() -> None:
    for population, s in KREJCIE_MORGAN_TABLE.items():
        plan = sample_size(0.05, population=population, method="krejcie_morgan")
        assert plan.completes == s, population


def test_response_rate_and_design_effect() -> None:
    # 278 answers from N = 1000, a design effect of 1.3 -> ⌈361.4⌉ = 362 answers, and at
    # a 40% response rate ⌈362/0.4⌉ = 905 invitations.
    plan = sample_size(0.05, population=1000, design_effect=1.3, response_rate=0.4)
    assert (plan.completes, plan.invitations) == (362, 905)
    assert "design effect 1.3" in plan.method and "response rate 40%" in plan.method
    # Asking too much of a small office turns into a census, with a note.
    small = sample_size(0.02, population=120, response_rate=0.5, design_effect=1.5)
    assert small.completes == 120
    assert {n.code for n in small.notes} == {"census", "response_rate_too_low"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"margin": 0}, "margin"),
        ({"p": 1.0}, "p must"),
        ({"response_rate": 0}, "response_rate"),
        ({"design_effect": 0.5}, "design_effect"),
        ({"method": "krejcie_morgan"}, "population size"),
        ({"population": 0}, "population size"),
    ],
)
def test_sample_size_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample_size(**kwargs)  # type: ignore[arg-type]


# --- design effect and weighted estimates --------------------------------------------


def test_kish_design_effect() -> None:
    # Weights 1, 1, 2, 2: deff = 4·10/36 = 1.111…, n_eff = 36/10 = 3.6.
    d = kish_design_effect([1, 1, 2, 2])
    assert d.deff == pytest.approx(10 / 9)
    assert d.n_eff == pytest.approx(3.6)
    assert d.n == 4
    # A count table gives the same result as the expanded rows.
    assert kish_design_effect([1, 2], counts=[2, 2]) == d


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.05, 20), min_size=1, max_size=50))
def test_kish_equals_one_plus_squared_cv(weights: list[float]) -> None:
    w = np.array(weights)
    cv2 = w.var() / w.mean() ** 2
    d = kish_design_effect(w)
    assert d.deff == pytest.approx(1 + cv2, rel=1e-9)
    assert d.n_eff == pytest.approx(len(w) / d.deff, rel=1e-9)


@pytest.mark.parametrize(
    ("x", "n", "lower", "upper"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
     (1, 29, 0.0061, 0.1718)],
)  # fmt: skip
def test_weighted_proportion_equal_weights_is_wilson(x: int, n: int, lower: float, upper: float) -> None:
    # Newcombe (1998) Table I, method 3 (Wilson score, no continuity correction).
    estimate = weighted_proportion([1] * x + [0] * (n - x), np.ones(n))
    assert estimate.interval is not None
    assert estimate.interval.lower == pytest.approx(lower, abs=5e-5)
    assert estimate.interval.upper == pytest.approx(upper, abs=5e-5)
    assert estimate.value == pytest.approx(x / n)
    ref_low, ref_high = proportion_confint(x, n, method="wilson")
    assert estimate.interval.lower == pytest.approx(ref_low, abs=1e-12)
    assert estimate.interval.upper == pytest.approx(ref_high, abs=1e-12)


def test_weighted_proportion_uses_effective_n() -> None:
    # Weights 1 and 3 on 100 answers each: n_eff = 400²/1000 = 160; the interval is the
    # Wilson interval of p̂_w = (1·30 + 3·60)/400 = 0.525 with n = 160.
    y = [1] * 30 + [0] * 70 + [1] * 60 + [0] * 40
    w = [1.0] * 100 + [3.0] * 100
    estimate = weighted_proportion(y, w)
    assert estimate.value == pytest.approx(0.525)
    z = stats.norm.ppf(0.975)
    n_eff = 160
    centre = (0.525 + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z * math.sqrt(0.525 * 0.475 / n_eff + z * z / (4 * n_eff**2)) / (1 + z * z / n_eff)
    assert estimate.interval is not None
    assert estimate.interval.lower == pytest.approx(centre - half, rel=1e-12)
    assert estimate.interval.upper == pytest.approx(centre + half, rel=1e-12)
    assert "design_effect" in [n.code for n in estimate.notes]
    # The same answers as a count table.
    table = weighted_proportion([1, 0, 1, 0], [1.0, 1.0, 3.0, 3.0], counts=[30, 70, 60, 40])
    assert table.interval == estimate.interval and table.n == 200


def test_weighted_mean_equal_weights_is_t_interval() -> None:
    values = np.array([4, 5, 3, 5, 4, 2, 5, 4, 4, 3, 5, 5], dtype=float)
    estimate = weighted_mean(values, np.ones(len(values)))
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert estimate.value == pytest.approx(values.mean())
    assert estimate.interval is not None
    assert estimate.interval.lower == pytest.approx(low, rel=1e-12)
    assert estimate.interval.upper == pytest.approx(high, rel=1e-12)
    assert [n.code for n in estimate.notes] == ["small_n"]


def test_weighted_estimates_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="0/1"):
        weighted_proportion([0, 2], [1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        weighted_mean([1, 2], [1, -1])
    with pytest.raises(ValueError, match="same length"):
        weighted_mean([1, 2, 3], [1, 1])


# --- post-stratification -------------------------------------------------------------


def test_post_stratification_weights() -> None:
    # 40% women in the sample, 50% in the population: weights 0.5/0.4 = 1.25 for women
    # and 0.5/0.6 = 0.833 for men.
    result = post_stratification_weights({"K": 40, "M": 60}, {"K": 5000, "M": 5000})
    assert result.weights["K"] == pytest.approx(1.25)
    assert result.weights["M"] == pytest.approx(5 / 6)
    # The weighted sample reproduces the population shares; the weights average 1.
    assert 40 * result.weights["K"] + 60 * result.weights["M"] == pytest.approx(100)
    expanded = [1.25] * 40 + [5 / 6] * 60
    assert result.design_effect == kish_design_effect(expanded)


def test_post_stratification_empty_cell_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"no respondents.*collapse"):
        post_stratification_weights({"18-34": 10, "35+": 20}, {"18-34": 30, "35+": 50, "75+": 5})
    with pytest.raises(ValueError, match="no population count"):
        post_stratification_weights({"18-34": 10, "x": 1}, {"18-34": 30})


# --- raking --------------------------------------------------------------------------


def _two_by_two_solution(table: np.ndarray, rows: float, cols: float) -> float:
    """Cell (1,1) share of the 2×2 table with margins (rows, cols) and the odds ratio of
    ``table`` (Bishop, Fienberg & Holland 1975): t(1 − r − c + t) = OR·(r − t)(c − t)."""
    odds = table[0, 0] * table[1, 1] / (table[0, 1] * table[1, 0])
    a = 1 - odds
    b = 1 - rows - cols + odds * (rows + cols)
    c = -odds * rows * cols
    if abs(a) < 1e-15:
        return -c / b
    roots = [(-b + s * math.sqrt(b * b - 4 * a * c)) / (2 * a) for s in (1, -1)]
    return next(t for t in roots if max(0, rows + cols - 1) <= t <= min(rows, cols))


def _cells(table: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    rows, cols, counts = [], [], []
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            rows.append(i)
            cols.append(j)
            counts.append(int(table[i, j]))
    return rows, cols, counts


def test_raking_two_by_two_matches_closed_form() -> None:
    # Sample: sex × age band; population margins 52% women, 35% aged 60+.
    table = np.array([[30, 10], [45, 15]], dtype=float) + np.array([[0, 5], [0, 0]])
    rows, cols, counts = _cells(table)
    result = rake(
        {"sex": rows, "age": cols},
        {"sex": {0: 52, 1: 48}, "age": {0: 65, 1: 35}},
        counts=counts,
        tolerance=1e-12,
    )
    assert result.converged
    fitted = (np.array(counts) * result.weights).reshape(2, 2) / sum(counts)
    expected = _two_by_two_solution(table, 0.52, 0.65)
    assert fitted[0, 0] == pytest.approx(expected, abs=1e-10)
    assert fitted.sum(axis=1) == pytest.approx([0.52, 0.48], abs=1e-10)
    assert fitted.sum(axis=0) == pytest.approx([0.65, 0.35], abs=1e-10)
    # Per-respondent weights average 1.
    assert np.dot(counts, result.weights) == pytest.approx(sum(counts))


def test_raking_one_variable_is_post_stratification() -> None:
    codes = ["K"] * 40 + ["M"] * 60
    result = rake({"sex": codes}, {"sex": {"K": 0.5, "M": 0.5}})
    assert result.iterations == 1
    assert result.weights[:40] == pytest.approx(np.full(40, 1.25))
    assert result.weights[40:] == pytest.approx(np.full(60, 5 / 6))


def test_raking_with_trimming_respects_bounds_and_margins() -> None:
    # Both margins ask to weight up the small cell (old men): raking alone gives it a
    # weight of 2.47. Trimming to [0.3, 2.4] and re-raking keeps margins and bounds.
    table = np.array([[100, 100], [100, 20]], dtype=float)
    rows, cols, counts = _cells(table)
    targets = {"sex": {0: 0.5, 1: 0.5}, "age": {0: 0.5, 1: 0.5}}
    untrimmed = rake({"sex": rows, "age": cols}, targets, counts=counts)
    assert max(untrimmed.weights) == pytest.approx(2.472, abs=1e-3)
    result = rake({"sex": rows, "age": cols}, targets, counts=counts, bounds=(0.3, 2.4))
    assert result.trimmed and result.converged
    assert max(result.weights) <= 2.4 * (1 + 1e-4) and min(result.weights) >= 0.3
    mass = np.array(counts) * result.weights
    assert mass.reshape(2, 2).sum(axis=1) / mass.sum() == pytest.approx([0.5, 0.5], abs=1e-6)
    assert mass.reshape(2, 2).sum(axis=0) / mass.sum() == pytest.approx([0.5, 0.5], abs=1e-6)
    assert [n.code for n in result.notes] == ["trimmed"]
    # Bounds that no weights can meet: the margins leave w₁₁ = 1.6 − x, w₁₂ = w₂₁ = x,
    # w₂₂ = 8 − 5x, and w₁₁ ≥ 0.5 needs x ≤ 1.1 while w₂₂ ≤ 2 needs x ≥ 1.2. The margins
    # win and a note says the trimming could not be completed.
    infeasible = rake({"sex": rows, "age": cols}, targets, counts=counts, bounds=(0.5, 2.0))
    assert infeasible.converged
    assert "trimming_incomplete" in [n.code for n in infeasible.notes]


def test_raking_errors_and_non_convergence() -> None:
    with pytest.raises(ValueError, match="no respondents"):
        rake({"age": ["a", "a", "b"]}, {"age": {"a": 0.5, "b": 0.3, "c": 0.2}})
    with pytest.raises(ValueError, match="has no target"):
        rake({"age": ["a", "d"]}, {"age": {"a": 0.5, "b": 0.5}})
    with pytest.raises(ValueError, match="same variables"):
        rake({"age": ["a"]}, {"sex": {"a": 1}})
    # Structural zeros that make the margins unreachable: stop after max_iterations.
    result = rake(
        {"x": [0, 1], "y": [0, 1]},
        {"x": {0: 0.5, 1: 0.5}, "y": {0: 0.9, 1: 0.1}},
        max_iterations=25,
    )
    assert not result.converged
    assert result.iterations == 25
    assert "not_converged" in [n.code for n in result.notes]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 60), min_size=6, max_size=6),
    st.lists(st.floats(0.1, 1.0), min_size=2, max_size=2),
    st.lists(st.floats(0.1, 1.0), min_size=3, max_size=3),
)
def test_raking_hits_margins_and_keeps_odds_ratios(
    cell_counts: list[int], row_target: list[float], col_target: list[float]
) -> None:
    table = np.array(cell_counts, dtype=float).reshape(2, 3)
    rows, cols, counts = _cells(table)
    r = np.array(row_target) / sum(row_target)
    c = np.array(col_target) / sum(col_target)
    result = rake(
        {"r": rows, "c": cols},
        {"r": dict(enumerate(r)), "c": dict(enumerate(c))},
        counts=counts,
        tolerance=1e-10,
        max_iterations=5000,
    )
    assert result.converged
    fitted = (np.array(counts) * result.weights).reshape(2, 3)
    shares = fitted / fitted.sum()
    assert shares.sum(axis=1) == pytest.approx(r, abs=1e-9)
    assert shares.sum(axis=0) == pytest.approx(c, abs=1e-9)
    # Every 2×2 odds ratio of the table is unchanged (raking multiplies rows and columns).
    for j in range(1, 3):
        before = table[0, 0] * table[1, j] / (table[0, j] * table[1, 0])
        after = fitted[0, 0] * fitted[1, j] / (fitted[0, j] * fitted[1, 0])
        assert after == pytest.approx(before, rel=1e-8)
    # Row order does not matter.
    order = np.arange(6)[::-1]
    reversed_result = rake(
        {"r": [rows[i] for i in order], "c": [cols[i] for i in order]},
        {"r": dict(enumerate(r)), "c": dict(enumerate(c))},
        counts=[counts[i] for i in order],
        tolerance=1e-10,
        max_iterations=5000,
    )
    assert reversed_result.weights[::-1] == pytest.approx(result.weights, rel=1e-7)
