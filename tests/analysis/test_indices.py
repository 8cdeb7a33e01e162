"""Tests for analysis.indices: CSI, ACSI-style index, NPS/eNPS and the smiley index."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analysis.indices import (
    acsi_from_means,
    acsi_from_respondents,
    csi_from_means,
    csi_from_respondents,
    enps,
    happy_index,
    normalise_weights,
    nps,
    nps_difference,
    nps_from_groups,
    respondent_scores,
)
from analysis.items import Scale

Z975 = 1.959963984540054  # R: qnorm(0.975)


# --- NPS -------------------------------------------------------------------


def test_nps_wald_matches_published_variance() -> None:
    # whuber, "How can I calculate margin of error in a NPS result?", Cross Validated
    # (stats.stackexchange.com): with 1/2 promoters, 1/3 passives and
    # 1/6 detractors the NPS is 1/3 and the variance of one answer is 5/9, so
    # SE = sqrt(5/9 / n).
    result = nps_from_groups(300, 200, 100, method="wald")
    assert result.score.value == pytest.approx(100 / 3)
    se = 100 * math.sqrt(5 / 9 / 600)
    assert result.score.interval is not None
    assert result.score.interval.lower == pytest.approx(100 / 3 - Z975 * se)
    assert result.score.interval.upper == pytest.approx(100 / 3 + Z975 * se)


def test_nps_rule_of_thumb_width() -> None:
    # Engelhardt (cybaea.net, 2016-01-14): at p = d = 1/3 the full 95% width is
    # about 320/sqrt(n) points; with n = 900 that is 10.67.
    result = nps_from_groups(300, 300, 300, method="wald")
    assert result.score.interval is not None
    assert result.score.interval.width == pytest.approx(320 / 30, rel=2e-3)


def test_nps_adjusted_wald_definition() -> None:
    # Rocks (2016), The American Statistician 70(4), adjusted Wald: add 3/4 to
    # promoters and detractors and 3 to n, then use the Wald formula.
    # 60 promoters, 25 passives, 15 detractors (n = 100):
    p, d, n = 60.75 / 103, 15.75 / 103, 103
    se = math.sqrt((p + d - (p - d) ** 2) / n)
    result = nps_from_groups(60, 25, 15)
    assert result.score.value == pytest.approx(45.0)
    assert result.score.interval is not None
    assert result.score.interval.lower == pytest.approx(100 * (p - d - Z975 * se))
    assert result.score.interval.upper == pytest.approx(100 * (p - d + Z975 * se))
    assert result.score.method.startswith("NPS, adjusted-wald")


def test_nps_from_counts_categories() -> None:
    counts = {0: 2, 4: 3, 6: 5, 7: 4, 8: 6, 9: 10, 10: 15, 11: 7}
    result = nps(counts, not_applicable=[11])
    assert (result.promoters, result.passives, result.detractors) == (25, 10, 10)
    assert result.n_not_applicable == 7
    assert result.score.value == pytest.approx(100 * 15 / 45)
    assert result.share_promoters == pytest.approx(25 / 45)
    assert result.share_detractors == pytest.approx(10 / 45)
    with pytest.raises(ValueError, match="not on the scale"):
        nps({11: 1, 10: 2})
    with pytest.raises(ValueError, match="no substantive"):
        nps_from_groups(0, 0, 0)
    with pytest.raises(ValueError):
        nps_from_groups(-1, 2, 3)


def test_enps_with_finite_population_correction() -> None:
    # variance times (N - n)/(N - 1) (Cochran 1977); a census has no sampling error
    counts = {10: 6, 8: 3, 2: 1}
    plain = enps(counts, method="wald")
    corrected = enps(counts, method="wald", population=20)
    census = enps(counts, method="wald", population=10)
    assert plain.label == "eNPS" and plain.score.method.startswith("eNPS")
    assert plain.score.interval is not None and corrected.score.interval is not None
    ratio = corrected.score.interval.width / plain.score.interval.width
    assert ratio == pytest.approx(math.sqrt(10 / 19))
    assert census.score.interval is not None and census.score.interval.width == 0
    assert any(note.code == "small_n" for note in plain.score.notes)


def test_nps_difference_standard_error() -> None:
    # Domain reference §9.5 / MeasuringU (Lewis & Sauro, "How to statistically
    # compare two Net Promoter Scores"): SE_diff = sqrt(SE1^2 + SE2^2), z = diff / SE_diff.
    a = nps_from_groups(80, 40, 30, method="wald")
    b = nps_from_groups(50, 50, 50, method="wald")
    var_a = (80 / 150 + 30 / 150 - (50 / 150) ** 2) / 150
    var_b = (50 / 150 + 50 / 150 - 0.0) / 150
    se = math.sqrt(var_a + var_b)
    diff = nps_difference(a, b, method="wald")
    assert diff.difference.value == pytest.approx(100 * 50 / 150)
    assert diff.test.statistic == pytest.approx((50 / 150) / se)
    assert diff.test.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(diff.test.statistic / math.sqrt(2)))))
    assert diff.difference.interval is not None
    assert diff.difference.interval.lower == pytest.approx(100 * (50 / 150 - Z975 * se))
    # adjusted form: both groups get 3/4 promoters, 3/4 detractors, n + 3
    adjusted = nps_difference(a, b)
    pa, da = 80.75 / 153, 30.75 / 153
    pb, db = 50.75 / 153, 50.75 / 153
    se_adj = math.sqrt((pa + da - (pa - da) ** 2) / 153 + (pb + db - (pb - db) ** 2) / 153)
    assert adjusted.test.statistic == pytest.approx(((pa - da) - (pb - db)) / se_adj)


@st.composite
def nps_groups(draw: st.DrawFn) -> tuple[int, int, int]:
    p, q, d = draw(st.integers(0, 60)), draw(st.integers(0, 60)), draw(st.integers(0, 60))
    if p + q + d == 0:
        q = 1
    return p, q, d


@settings(max_examples=80, deadline=None)
@given(nps_groups())
def test_nps_wald_equals_trinomial_mean_rows(groups: tuple[int, int, int]) -> None:
    # Rocks (2016) / MeasuringU: the NPS is the mean of +1/0/-1 scores; the Wald
    # variance is the (ddof = 0) variance of those scores over n.
    p, q, d = groups
    rows = np.repeat([1.0, 0.0, -1.0], [p, q, d])
    result = nps_from_groups(p, q, d, method="wald")
    assert result.score.value == pytest.approx(100 * rows.mean())
    assert result.score.interval is not None
    half = min(100.0, result.score.interval.upper) - result.score.value
    expected = 100 * Z975 * rows.std() / math.sqrt(rows.size)
    if result.score.interval.upper < 100 and result.score.interval.lower > -100:
        assert half == pytest.approx(expected, abs=1e-9)
    assert result.score.interval.contains(result.score.value)
    # counts on the 0-10 scale give the same result as the category counts
    table = {10: p, 7: q, 3: d}
    assert nps(table, method="wald").score == result.score


@settings(max_examples=80, deadline=None)
@given(nps_groups())
def test_nps_adjusted_interval_properties(groups: tuple[int, int, int]) -> None:
    p, q, d = groups
    result = nps_from_groups(p, q, d)
    assert result.score.interval is not None
    assert -100 <= result.score.interval.lower <= result.score.interval.upper <= 100
    if result.n >= 5:
        assert result.score.interval.contains(result.score.value)
    else:
        inside = result.score.interval.contains(result.score.value)
        assert inside or any(n.code == "estimate_outside_interval" for n in result.score.notes)


# --- CSI and ACSI ----------------------------------------------------------


def test_normalise_weights() -> None:
    assert normalise_weights([4.5, 3.0, 1.5]) == pytest.approx((0.5, 1 / 3, 1 / 6))
    with pytest.raises(ValueError, match="negative"):
        normalise_weights([0.3, -0.1])
    with pytest.raises(ValueError, match="positive"):
        normalise_weights([0, 0])
    with pytest.raises(ValueError):
        normalise_weights([])


def test_csi_from_means_formula() -> None:
    # Domain reference §9.3: CSI = sum w_i S_i, w_i = I_i / sum I_j;
    # CSI_100 = (CSI - 1)/4 * 100 on a 1-5 scale.
    means = [4.2, 3.6, 3.0]
    importance = [4.8, 4.0, 3.2]
    weights = [4.8 / 12, 4.0 / 12, 3.2 / 12]
    csi = sum(w * m for w, m in zip(weights, means, strict=True))
    result = csi_from_means(means, importance, Scale.likert(5), n=120)
    assert result.index.value == pytest.approx(csi)
    assert result.index_0_100.value == pytest.approx((csi - 1) / 4 * 100)
    assert result.index.interval is None and result.index.n == 120
    assert result.weights == pytest.approx(tuple(weights))
    with pytest.raises(ValueError, match="same length"):
        csi_from_means([4.0], importance, Scale.likert(5))
    with pytest.raises(ValueError, match="between"):
        csi_from_means([6.0, 3.0, 2.0], importance, Scale.likert(5))


def test_csi_respondent_renormalises_over_answered_items() -> None:
    # respondent 1 skipped item 3 ("nie dotyczy"): weights 0.25/0.5 renormalised to 1/3, 2/3
    ratings = np.array([[5, 4, np.nan], [3, 3, 3], [1, np.nan, np.nan], [np.nan] * 3])
    scores, dropped = respondent_scores(ratings, [1, 2, 1])
    assert scores == pytest.approx([(5 * 0.25 + 4 * 0.5) / 0.75, 3.0, 1.0])
    assert dropped == 1
    result = csi_from_respondents(ratings, [1, 2, 1], Scale.likert(5))
    assert result.index.value == pytest.approx(np.mean(scores))
    assert result.n_excluded == 1 and result.index.n == 3
    # t-interval of the respondent scores (Domain §9.1), clipped to the 1-5 range
    assert result.index.interval is not None
    assert result.index.interval.lower == 1.0 and result.index.interval.upper == 5.0
    assert result.index_0_100.value == pytest.approx((np.mean(scores) - 1) * 25)
    with pytest.raises(ValueError, match="no respondent"):
        csi_from_respondents(np.full((2, 3), np.nan), [1, 1, 1], Scale.likert(5))
    with pytest.raises(ValueError, match="between"):
        csi_from_respondents([[7, 1, 1]], [1, 1, 1], Scale.likert(5))


def test_csi_respondent_t_interval() -> None:
    # per-respondent CSI with equal weights on complete data = row means;
    # t-interval x̄ ± t(0.975, n-1) s / sqrt(n), t(0.975, 5) = 2.570582 (R: qt(0.975, 5))
    ratings = np.array([[4, 5], [3, 4], [5, 5], [2, 3], [4, 4], [3, 5]], dtype=float)
    rows = ratings.mean(axis=1)
    result = csi_from_respondents(ratings, [1, 1], Scale.likert(5))
    half = 2.570582 * rows.std(ddof=1) / math.sqrt(6)
    assert result.index.value == pytest.approx(rows.mean())
    assert result.index.interval is not None
    assert result.index.interval.upper == pytest.approx(rows.mean() + half, rel=1e-6)


def test_acsi_equal_weights_matches_published_formula() -> None:
    # Fornell et al. (1996), J. Marketing 60(4); equal-weight ACSI on three 1-10
    # items: (X1 + X2 + X3 - 3) / 27 * 100.
    means = [8.1, 7.4, 6.9]
    expected = (sum(means) - 3) / 27 * 100
    assert acsi_from_means(means).value == pytest.approx(expected)
    # weighted form: sum W_i (X_i - 1) / 9 * 100 with sum W = 1
    weights = [0.5, 0.3, 0.2]
    weighted = sum(w * (m - 1) for w, m in zip(weights, means, strict=True)) / 9 * 100
    assert acsi_from_means(means, weights).value == pytest.approx(weighted)


def test_acsi_from_respondents() -> None:
    ratings = np.array([[8, 7, 9], [10, 9, 9], [6, 5, 7], [9, 8, np.nan]])
    est = acsi_from_respondents(ratings)
    per_person = [(np.nanmean(r) - 1) / 9 * 100 for r in ratings]
    assert est.value == pytest.approx(np.mean(per_person))
    assert est.interval is not None and est.interval.contains(est.value)


# The aggregate and respondent-level forms coincide on complete data, because
# the mean of weighted sums is the weighted sum of means.
complete_ratings = hnp.arrays(np.float64, st.tuples(st.integers(2, 25), st.integers(2, 5)), elements=st.integers(1, 5))


@settings(max_examples=60, deadline=None)
@given(complete_ratings, st.data())
def test_csi_forms_agree_on_complete_data(ratings: np.ndarray, data: st.DataObject) -> None:
    importance = data.draw(st.lists(st.floats(0.1, 5.0), min_size=ratings.shape[1], max_size=ratings.shape[1]))
    scale = Scale.likert(5)
    by_rows = csi_from_respondents(ratings, importance, scale)
    by_means = csi_from_means(ratings.mean(axis=0), importance, scale)
    assert by_rows.index.value == pytest.approx(by_means.index.value)
    assert by_rows.index_0_100.value == pytest.approx(by_means.index_0_100.value)
    assert by_rows.index.interval is not None
    assert by_rows.index.interval.lower - 1e-9 <= by_rows.index.value
    assert by_rows.index.value <= by_rows.index.interval.upper + 1e-9
    # respondent order does not matter
    shuffled = ratings[np.random.default_rng(0).permutation(ratings.shape[0])]
    assert csi_from_respondents(shuffled, importance, scale).index.value == pytest.approx(by_rows.index.value)


# --- smiley index ------------------------------------------------------------


def test_happy_index_equal_spacing() -> None:
    # Domain reference §9.4: equally spaced weights 0/33.3/66.7/100 on four faces
    counts = {1: 5, 2: 10, 3: 25, 4: 60}
    weights = {1: 0.0, 2: 100 / 3, 3: 200 / 3, 4: 100.0}
    expected = sum(weights[k] * c for k, c in counts.items()) / 100
    est = happy_index(counts, 4)
    assert est.value == pytest.approx(expected)
    assert est.interval is not None and est.interval.contains(est.value)
    five = happy_index({1: 1, 2: 1, 3: 1, 4: 1, 5: 1}, 5)
    assert five.value == pytest.approx(50.0)
    three = happy_index({1: 2, 3: 2, 0: 9}, 3, not_applicable=[0])
    assert three.value == pytest.approx(50.0) and three.n == 4
