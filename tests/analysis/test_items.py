"""Tests for analysis.items against published reference values and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from analysis.counts import counts_from_values
from analysis.items import (
    Scale,
    bottom_box,
    distribution,
    mean_score,
    median_score,
    net_interval,
    net_score,
    proportion,
    proportion_interval,
    rescale_0_100,
    split_not_applicable,
    summarize_item,
    top_box,
)

# R datasets::sleep, group 1 (Cushny & Peebles, as used in the R help of t.test).
SLEEP_GROUP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]


def test_mean_t_interval_matches_r_t_test() -> None:
    # R: t.test(sleep$extra[sleep$group == 1])
    #    mean of x 0.75; 95 percent confidence interval: -0.5297804  2.0297804
    est = mean_score(counts_from_values(SLEEP_GROUP_1))
    assert est.value == pytest.approx(0.75)
    assert est.interval is not None
    assert est.interval.lower == pytest.approx(-0.5297804, abs=1e-7)
    assert est.interval.upper == pytest.approx(2.0297804, abs=1e-7)
    assert est.n == 10
    assert any(note.code == "small_n" for note in est.notes)


def test_mean_finite_population_correction() -> None:
    # Cochran (1977), ch. 2: SE = s/sqrt(n) * sqrt((N - n)/(N - 1)).
    # sleep group 1: s = 1.789010 (R: sd(sleep$extra[1:10])), n = 10, N = 40,
    # t(0.975, 9) = 2.262157 (R: qt(0.975, 9)).
    est = mean_score(counts_from_values(SLEEP_GROUP_1), population=40)
    half = 2.262157 * 1.789010 / math.sqrt(10) * math.sqrt(30 / 39)
    assert est.interval is not None
    assert est.interval.upper - 0.75 == pytest.approx(half, rel=1e-5)
    # a census has no sampling error
    census = mean_score(counts_from_values(SLEEP_GROUP_1), population=10)
    assert census.interval is not None and census.interval.width == pytest.approx(0.0)
    with pytest.raises(ValueError, match="smaller than the sample"):
        mean_score(counts_from_values(SLEEP_GROUP_1), population=5)


# R: binom::binom.confint(x, n, tol = 1e-8), methods "wilson" and "exact";
# values copied from statsmodels/stats/tests/results/results_proportion.py.
BINOM_CONFINT = [
    # x, n, wilson (lower, upper), exact (lower, upper)
    (18, 20, (0.6989663547715128, 0.972133518786232), (0.6830172859809176, 0.9876514728297052)),
    (4, 20, (0.0806576625797981, 0.4160174322518935), (0.05733399705003284, 0.436614002996668)),
    (
        4,
        200,
        (0.00780442641634947, 0.05028708690582643),
        (0.005475565879556443, 0.05041360908989634),
    ),
    (0, 30, (0.0, 0.11351339), (0.0, 0.11570331)),
    (30, 30, (0.8864866, 1.0), (0.8842967, 1.0)),
]


@pytest.mark.parametrize(("x", "n", "wilson", "exact"), BINOM_CONFINT)
def test_proportion_intervals_match_r_binom(
    x: int, n: int, wilson: tuple[float, float], exact: tuple[float, float]
) -> None:
    w = proportion_interval(x, n, method="wilson")
    e = proportion_interval(x, n, method="clopper-pearson")
    assert (w.lower, w.upper) == pytest.approx(wilson, abs=1e-7)
    assert (e.lower, e.upper) == pytest.approx(exact, abs=1e-7)


def test_clopper_pearson_matches_r_binom_test() -> None:
    # R: binom.test(51, 235, 1/6)$conf.int = 0.1660633298083073 0.2752683640289254
    # (statsmodels/stats/tests/test_proportion.py::test_binom_test)
    ci = proportion_interval(51, 235, method="clopper-pearson")
    expected = (0.1660633298083073, 0.2752683640289254)
    assert (ci.lower, ci.upper) == pytest.approx(expected, abs=1e-12)
    # 90% interval, as used for R's one-sided bounds in the same test
    ci90 = proportion_interval(51, 235, method="clopper-pearson", level=0.90)
    assert ci90.lower == pytest.approx(0.1735252778065201, abs=1e-12)
    assert ci90.upper == pytest.approx(0.2659460862574313, abs=1e-12)


def test_wilson_with_population_uses_effective_n() -> None:
    # Domain reference §9.2: Wilson with n* = n(N - 1)/(N - n); cross-checked with
    # statsmodels' Wilson at that (fractional) n and the same share.
    x, n, big_n = 30, 50, 120
    n_eff = n * (big_n - 1) / (big_n - n)
    low, upp = proportion_confint(x / n * n_eff, n_eff, method="wilson")
    ci = proportion_interval(x, n, population=big_n)
    assert (ci.lower, ci.upper) == pytest.approx((low, upp), abs=1e-12)
    census = proportion_interval(x, n, population=n)
    assert census.lower == census.upper == pytest.approx(0.6)


def test_scale_factories() -> None:
    five = Scale.likert(5)
    assert five.codes == (1, 2, 3, 4, 5) and five.top_box == (4, 5) and five.bottom_box == (1, 2)
    four = Scale.likert(4)
    assert four.top_box == (3, 4) and four.bottom_box == (1, 2)
    seven = Scale.likert(7)
    assert seven.top_box == (6, 7)
    assert Scale.smiley(3).top_box == (3,) and Scale.smiley(3).bottom_box == (1,)
    assert Scale.smiley(4).top_box == (3, 4)
    nps_scale = Scale.zero_to_ten()
    assert nps_scale.points == 11 and nps_scale.bottom_box == (0, 1, 2, 3, 4, 5, 6)
    with pytest.raises(ValueError):
        Scale.likert(6)
    with pytest.raises(ValueError):
        Scale.smiley(6)
    with pytest.raises(ValueError, match="overlap"):
        Scale(1, 5, (4, 5), (3, 4))
    with pytest.raises(ValueError, match="outside"):
        Scale(1, 5, (5, 6), (1,))


def test_zero_to_100_transform() -> None:
    # Domain reference §9.4: (x - min)/(max - min) * 100; on 1-5, (x - 1)/4 * 100.
    five = Scale.likert(5)
    assert five.to_0_100(1) == 0 and five.to_0_100(5) == 100 and five.to_0_100(3.5) == 62.5
    assert Scale.zero_to_ten().to_0_100(7) == pytest.approx(70.0)
    # smiley happy index weights 0/33.3/66.7/100 on four faces
    assert [Scale.smiley(4).to_0_100(c) for c in (1, 2, 3, 4)] == pytest.approx([0, 100 / 3, 200 / 3, 100])


def test_not_applicable_excluded_from_every_denominator() -> None:
    counts = {1: 2, 2: 3, 3: 5, 4: 6, 5: 4, 99: 10}
    summary = summarize_item(counts, Scale.likert(5), not_applicable=[99])
    assert summary.n == 20 and summary.n_not_applicable == 10
    assert summary.distribution.shares == pytest.approx((0.1, 0.15, 0.25, 0.3, 0.2))
    assert summary.distribution.share_not_applicable == pytest.approx(1 / 3)
    assert summary.t2b.value == pytest.approx(10 / 20)
    assert summary.b2b.value == pytest.approx(5 / 20)
    assert summary.net.value == pytest.approx(0.25)
    assert summary.mean.value == pytest.approx((2 + 6 + 15 + 24 + 20) / 20)
    assert summary.median == 3.5
    assert summary.score_0_100.value == pytest.approx((summary.mean.value - 1) / 4 * 100)
    # an unknown code that is not declared as not applicable is an error
    with pytest.raises(ValueError, match="not on the scale"):
        summarize_item(counts, Scale.likert(5))


def test_validation_errors() -> None:
    with pytest.raises(ValueError, match="negative"):
        mean_score({1: -1, 2: 3})
    with pytest.raises(ValueError, match="whole"):
        mean_score({1: 1.5})
    with pytest.raises(ValueError, match="no substantive answers"):
        summarize_item({9: 4}, Scale.likert(5), not_applicable=[9])
    with pytest.raises(ValueError, match="no substantive answers"):
        mean_score({})
    with pytest.raises(ValueError):
        proportion_interval(5, 4)
    with pytest.raises(ValueError):
        proportion_interval(1, 4, level=1.2)
    with pytest.raises(ValueError, match="Wilson only"):
        proportion_interval(1, 4, method="clopper-pearson", population=10)


def test_single_answer_has_no_interval() -> None:
    est = mean_score({4: 1})
    assert est.value == 4 and est.interval is None
    assert {note.code for note in est.notes} >= {"no_interval", "small_n"}


def test_zero_to_ten_net_equals_nps() -> None:
    counts = {0: 1, 3: 2, 6: 3, 7: 4, 8: 5, 9: 6, 10: 9}
    est = net_score(counts, Scale.zero_to_ten())
    assert est.value == pytest.approx((15 - 6) / 30)


# --- property tests -------------------------------------------------------

five_point_counts = st.dictionaries(st.sampled_from([1, 2, 3, 4, 5, 9]), st.integers(0, 40), min_size=1).filter(
    lambda d: sum(v for k, v in d.items() if k != 9) >= 2
)


def _expand(counts: dict[int, int], drop: int = 9) -> np.ndarray:
    return np.repeat([k for k in counts if k != drop], [counts[k] for k in counts if k != drop]).astype(float)


@settings(max_examples=80, deadline=None)
@given(five_point_counts)
def test_counts_agree_with_rows(counts: dict[int, int]) -> None:
    rows = _expand(counts)
    scale = Scale.likert(5)
    summary = summarize_item(counts, scale, not_applicable=[9])
    assert summary.n == rows.size
    assert summary.n_not_applicable == counts.get(9, 0)
    assert summary.mean.value == pytest.approx(rows.mean())
    assert summary.median == pytest.approx(float(np.median(rows)))
    assert summary.t2b.value == pytest.approx(np.mean(rows >= 4))
    assert summary.b2b.value == pytest.approx(np.mean(rows <= 2))
    # the row-based frequency table gives the same answer
    again = summarize_item(counts_from_values(rows), scale)
    assert again.mean == summary.mean
    assert again.t2b == summary.t2b


@settings(max_examples=80, deadline=None)
@given(five_point_counts, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_intervals_contain_estimates(counts: dict[int, int], level: float) -> None:
    scale = Scale.likert(5)
    summary = summarize_item(counts, scale, not_applicable=[9], level=level)
    for est in (summary.mean, summary.t2b, summary.b2b, summary.score_0_100):
        assert est.interval is not None
        assert est.interval.lower - 1e-12 <= est.value <= est.interval.upper + 1e-12
        assert est.interval.level == level
    exact = top_box(counts, scale, not_applicable=[9], method="clopper-pearson", level=level)
    assert exact.interval is not None and exact.interval.contains(exact.value)
    assert 0 <= summary.t2b.interval.lower <= summary.t2b.interval.upper <= 1  # type: ignore[union-attr]
    assert -1 <= summary.net.interval.lower <= summary.net.interval.upper <= 1  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None)
@given(five_point_counts, st.randoms())
def test_order_of_table_does_not_matter(counts: dict[int, int], rnd: object) -> None:
    items = list(counts.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    shuffled = dict(items)
    scale = Scale.likert(5)
    assert summarize_item(shuffled, scale, not_applicable=[9]) == summarize_item(counts, scale, not_applicable=[9])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.data())
def test_wilson_matches_statsmodels(n: int, data: st.DataObject) -> None:
    x = data.draw(st.integers(0, n))
    ci = proportion_interval(x, n)
    low, upp = proportion_confint(x, n, method="wilson")
    assert (ci.lower, ci.upper) == pytest.approx((low, upp), abs=1e-10)
    exact = proportion_interval(x, n, method="clopper-pearson")
    low, upp = proportion_confint(x, n, method="beta")
    assert (exact.lower, exact.upper) == pytest.approx((low, upp), abs=1e-10)


def test_helpers_consistent() -> None:
    counts = {1: 1, 2: 1, 3: 2, 4: 3, 5: 3, 0: 2}
    sub, n_na = split_not_applicable(counts, [0])
    assert n_na == 2 and 0 not in sub
    dist = distribution(counts, Scale.likert(5), [0])
    assert sum(dist.counts) == dist.n == 10
    assert median_score(counts, not_applicable=[0]) == 4
    assert bottom_box(counts, Scale.likert(5), not_applicable=[0]).value == pytest.approx(0.2)
    est = proportion(3, 10)
    assert est.value == 0.3 and est.method.startswith("Wilson")
    mean = mean_score(counts, not_applicable=[0])
    assert rescale_0_100(mean, Scale.likert(5)).value == pytest.approx((mean.value - 1) * 25)
    wald = net_interval(5, 2, 10, method="wald")
    # Wald trinomial: (p - d) ± z sqrt((p + d - (p - d)^2)/n), Rocks (2016)
    se = math.sqrt((0.5 + 0.2 - 0.3**2) / 10)
    assert wald.upper == pytest.approx(0.3 + 1.959963985 * se, abs=1e-8)
