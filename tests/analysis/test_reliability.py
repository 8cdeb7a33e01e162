"""Tests for analysis.reliability: Cronbach's alpha, Feldt interval, item analysis, omega."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analysis.reliability import (
    complete_cases,
    cronbach_alpha,
    feldt_interval,
    omega_from_correlation,
    omega_total,
    one_factor_minres,
)

# Denis, D. J. (2021), Applied Univariate, Bivariate, and Multivariate Statistics,
# 2nd ed., Wiley, ch. 2 (Cronbach's alpha in SPSS): five items, ten subjects.
DENIS = np.array(
    [
        [10, 12, 15, 11, 12],
        [12, 18, 12, 12, 1],
        [8, 16, 14, 14, 4],
        [6, 8, 16, 8, 6],
        [4, 7, 8, 7, 5],
        [6, 6, 3, 7, 3],
        [3, 4, 6, 5, 8],
        [7, 3, 7, 9, 9],
        [8, 9, 4, 10, 10],
        [9, 5, 6, 11, 12],
    ],
    dtype=float,
)

# pingouin/datasets/cronbach_alpha.csv (long format Subj x Items Q1..Q10, reshaped
# to 15 respondents x 10 items). pingouin/tests/test_reliability.py checks it
# against R psych::alpha: alpha = 0.592, Feldt 95% CI [0.195, 0.840].
PINGOUIN = np.array(
    [
        [3, 2, 4, 1, 4, 5, 1, 4, 3, 2],
        [5, 4, 6, 3, 5, 1, 2, 5, 5, 5],
        [7, 3, 5, 5, 6, 4, 3, 3, 6, 5],
        [2, 4, 3, 3, 2, 2, 2, 6, 6, 3],
        [6, 5, 6, 5, 4, 4, 4, 6, 7, 5],
        [1, 2, 3, 4, 2, 5, 2, 3, 5, 2],
        [4, 3, 5, 3, 5, 2, 1, 2, 4, 3],
        [2, 4, 4, 3, 7, 2, 2, 4, 6, 5],
        [6, 5, 5, 5, 1, 6, 5, 2, 3, 2],
        [5, 4, 6, 4, 3, 5, 3, 1, 7, 2],
        [4, 3, 5, 2, 5, 3, 2, 3, 4, 1],
        [4, 2, 3, 2, 5, 3, 4, 2, 3, 4],
        [5, 5, 6, 2, 3, 3, 2, 4, 4, 5],
        [6, 5, 5, 4, 2, 2, 1, 4, 6, 5],
        [4, 3, 5, 5, 3, 1, 3, 2, 3, 4],
    ],
    dtype=float,
)


def test_alpha_matches_spss_output_in_denis() -> None:
    # Denis (2021): Cronbach's alpha 0.633, based on standardized items 0.691;
    # Item-Total Statistics: corrected item-total correlation and alpha if deleted.
    result = cronbach_alpha(DENIS)
    assert result.alpha.value == pytest.approx(0.633, abs=5e-4)
    assert result.standardized_alpha == pytest.approx(0.691, abs=5e-4)
    item_rest = [0.712, 0.558, 0.512, 0.796, -0.228]
    if_deleted = [0.478, 0.476, 0.507, 0.445, 0.824]
    means = [7.3, 8.8, 9.1, 9.4, 7.0]
    sds = [2.71006, 5.05085, 4.74810, 2.71621, 3.80058]
    for item, r, a, m, s in zip(result.items, item_rest, if_deleted, means, sds, strict=True):
        assert item.item_rest_correlation == pytest.approx(r, abs=5e-4)
        assert item.alpha_if_deleted == pytest.approx(a, abs=5e-4)
        assert item.mean == pytest.approx(m)
        assert item.sd == pytest.approx(s, abs=5e-6)
    assert any(note.code == "low_reliability" for note in result.notes)
    # after dropping item 5: alpha 0.824, standardized 0.863 (same source)
    reduced = cronbach_alpha(DENIS[:, :4])
    assert reduced.alpha.value == pytest.approx(0.824, abs=5e-4)
    assert reduced.standardized_alpha == pytest.approx(0.863, abs=5e-4)
    assert not any(note.code == "low_reliability" for note in reduced.notes)


def test_alpha_and_feldt_interval_match_psych_via_pingouin() -> None:
    # pingouin test_cronbach_alpha (compared with R psych): 0.592, CI [0.195, 0.840]
    result = cronbach_alpha(PINGOUIN)
    assert round(result.alpha.value, 3) == 0.592
    assert result.alpha.interval is not None
    assert round(result.alpha.interval.lower, 3) == 0.195
    assert round(result.alpha.interval.upper, 3) == 0.840
    assert result.alpha.n == 15 and result.n_items == 10


def test_feldt_interval_properties() -> None:
    # Feldt (1965) interval (values checked above against R psych via pingouin):
    # it narrows as n grows or the confidence level falls, and contains alpha.
    small, large = feldt_interval(0.8, 30, 6), feldt_interval(0.8, 300, 6)
    assert small.contains(0.8) and large.contains(0.8)
    assert large.width < small.width
    assert feldt_interval(0.8, 30, 6, level=0.9).width < small.width
    with pytest.raises(ValueError):
        feldt_interval(0.8, 1, 6)
    with pytest.raises(ValueError):
        feldt_interval(0.8, 30, 6, level=1.0)


def test_listwise_deletion() -> None:
    with_missing = np.vstack([DENIS, [1, np.nan, 3, 4, 5], [np.nan] * 5])
    rows, dropped = complete_cases(with_missing)
    assert rows.shape == (10, 5) and dropped == 2
    result = cronbach_alpha(with_missing)
    assert result.alpha.value == pytest.approx(cronbach_alpha(DENIS).alpha.value)
    assert result.n_dropped == 2 and result.alpha.n == 10
    assert any(note.code == "listwise" for note in result.notes)
    assert omega_total(with_missing).n_dropped == 2


def test_validation() -> None:
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha(DENIS[:, :1])
    with pytest.raises(ValueError, match="two respondents"):
        cronbach_alpha(DENIS[:1])
    with pytest.raises(ValueError, match="does not vary"):
        cronbach_alpha(np.ones((5, 3)))
    with pytest.raises(ValueError, match="respondents x items"):
        cronbach_alpha([1, 2, 3])
    with pytest.raises(ValueError, match="three items"):
        one_factor_minres(np.eye(2))
    with pytest.raises(ValueError, match="does not vary"):
        omega_total(np.column_stack([DENIS[:, :3], np.ones(10)]))


def test_constant_item_is_flagged() -> None:
    data = np.column_stack([DENIS[:, :3], np.full(10, 4.0)])
    result = cronbach_alpha(data)
    assert math.isnan(result.standardized_alpha)
    assert math.isnan(result.items[3].item_rest_correlation)
    assert any(note.code == "constant_item" for note in result.notes)


# --- omega -------------------------------------------------------------------


def test_one_factor_three_items_closed_form() -> None:
    # With three items the one-factor model is just identified and minres fits it
    # exactly; the classical triad solution (Spearman's one-factor model) is
    # lambda_1^2 = r12 r13 / r23, and cyclically for the other two items.
    corr = np.corrcoef(DENIS[:, [0, 1, 3]], rowvar=False)
    r12, r13, r23 = corr[0, 1], corr[0, 2], corr[1, 2]
    expected = np.sqrt([r12 * r13 / r23, r12 * r23 / r13, r13 * r23 / r12])
    loadings, converged = one_factor_minres(corr)
    assert converged
    assert loadings == pytest.approx(expected, abs=1e-8)
    result = omega_from_correlation(corr)
    uniq = 1 - expected**2
    omega = expected.sum() ** 2 / (expected.sum() ** 2 + uniq.sum())
    assert result.omega.value == pytest.approx(omega, abs=1e-8)


def test_omega_recovers_exact_congeneric_structure() -> None:
    # Invariant (domain reference §8): for R = λλ' + diag(1 - λ²), the fitted
    # loadings are λ and ω = (Σλ)² / ((Σλ)² + Σ(1 - λ²)) (McDonald 1999).
    lam = np.array([0.84, 0.30, 0.56, 0.72, 0.65])
    corr = np.outer(lam, lam)
    np.fill_diagonal(corr, 1.0)
    result = omega_from_correlation(corr)
    assert result.loadings == pytest.approx(tuple(lam), abs=1e-7)
    expected = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert result.omega.value == pytest.approx(expected, abs=1e-8)
    assert result.omega.interval is None
    assert result.uniquenesses == pytest.approx(tuple(1 - lam**2), abs=1e-7)


@pytest.mark.parametrize(("k", "r"), [(3, 0.2), (5, 0.45), (8, 0.3), (10, 0.7)])
def test_omega_equals_standardized_alpha_for_equal_loadings(k: int, r: float) -> None:
    # Domain reference §8/§9.9: ω equals standardised α when all standardised
    # loadings are equal; standardised α = k r / (1 + (k - 1) r).
    corr = np.full((k, k), r)
    np.fill_diagonal(corr, 1.0)
    assert omega_from_correlation(corr).omega.value == pytest.approx(k * r / (1 + (k - 1) * r))


def test_omega_notes() -> None:
    heywood = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, 0.5], [0.9, 0.5, 1.0]])
    result = omega_from_correlation(heywood)  # lambda_1^2 = 0.81 / 0.5 > 1
    assert any(note.code == "heywood" for note in result.notes)
    assert result.uniquenesses[0] == 0.0
    weak = np.full((4, 4), 0.1)
    np.fill_diagonal(weak, 1.0)
    assert any(n.code == "low_reliability" for n in omega_from_correlation(weak).notes)
    denis = omega_total(DENIS)
    assert any(note.code == "negative_loading" for note in denis.notes)


# --- properties ----------------------------------------------------------------

scale_data = hnp.arrays(
    np.float64, st.tuples(st.integers(4, 30), st.integers(3, 6)), elements=st.integers(1, 5)
).filter(lambda x: np.all(np.std(x, axis=0) > 0) and np.std(x.sum(axis=1)) > 0)


@settings(max_examples=60, deadline=None)
@given(scale_data, st.randoms())
def test_alpha_invariances(x: np.ndarray, rnd: object) -> None:
    result = cronbach_alpha(x)
    # respondent order and item location shifts do not change alpha
    order = list(range(x.shape[0]))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    shifted = x[order] + np.arange(x.shape[1])
    assert cronbach_alpha(shifted).alpha.value == pytest.approx(result.alpha.value)
    # the Feldt interval is increasing in alpha and contains it
    assert result.alpha.interval is not None and result.alpha.interval.contains(result.alpha.value)
    # definitions of the item statistics
    total = x.sum(axis=1)
    for item in result.items:
        rest = total - x[:, item.index]
        if np.std(rest) > 0:
            expected = np.corrcoef(x[:, item.index], rest)[0, 1]
            assert item.item_rest_correlation == pytest.approx(expected)
        reduced = np.delete(x, item.index, axis=1)
        if np.std(reduced.sum(axis=1)) > 0:
            assert item.alpha_if_deleted == pytest.approx(cronbach_alpha(reduced).alpha.value)
