"""Tests for analysis.probability: cached quantiles and normal p-values are scipy's own numbers.

Also checks that :func:`analysis.items.summarize_item`, which computes every
statistic from one validated distribution, returns exactly what the separate
public functions return.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.items import (
    ProportionMethod,
    Scale,
    bottom_box,
    clip_to_scale,
    distribution,
    mean_score,
    median_score,
    net_score,
    rescale_0_100,
    summarize_item,
    top_box,
)
from analysis.probability import normal_quantile, normal_two_sided_p, t_quantile


@pytest.mark.parametrize("probability", [0.5, 0.6, 0.9, 0.95, 0.975, 0.995, 1 - 0.05 / 2])
def test_normal_quantile_is_scipy_value(probability: float) -> None:
    expected = float(stats.norm.ppf(probability))
    assert normal_quantile(probability) == expected
    assert normal_quantile(probability) == expected  # and again, from the cache


@pytest.mark.parametrize("probability", [0.95, 0.975, 0.995])
@pytest.mark.parametrize("df", [1, 2, 9, 29, 30, 120, 1_000, 6_123, 250_000, 34.7])
def test_t_quantile_is_scipy_value_for_any_df(probability: float, df: float) -> None:
    # no large-df approximation: the exact quantile whatever the degrees of freedom
    expected = float(stats.t.ppf(probability, df))
    assert t_quantile(probability, df) == expected
    assert t_quantile(probability, df) == expected


def test_t_quantile_reference_values() -> None:
    # Student t table: t_{0.975, 9} = 2.262, t_{0.975, 29} = 2.045
    assert t_quantile(0.975, 9) == pytest.approx(2.2621571627, abs=1e-9)
    assert t_quantile(0.975, 29) == pytest.approx(2.0452296421, abs=1e-9)
    assert normal_quantile(0.975) == pytest.approx(1.9599639845, abs=1e-9)


@pytest.mark.parametrize("z", [0.0, 0.3, -1.2, 1.959963984540054, -4.5, 12.0, 40.0, math.inf])
def test_two_sided_p_is_scipy_value(z: float) -> None:
    assert normal_two_sided_p(z) == float(2 * stats.norm.sf(abs(z)))


def test_two_sided_p_of_nan_is_nan() -> None:
    assert math.isnan(normal_two_sided_p(math.nan))


# --- summarize_item equals its parts -------------------------------------------------

item_counts = st.dictionaries(st.sampled_from([1, 2, 3, 4, 5, 99]), st.integers(0, 3_000)).filter(
    lambda d: sum(v for k, v in d.items() if k != 99) >= 1
)


@settings(max_examples=150, deadline=None)
@given(
    item_counts,
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
    st.one_of(st.none(), st.integers(0, 20_000)),
    st.sampled_from(["wilson", "clopper-pearson"]),
)
def test_summary_equals_separate_statistics(
    counts: dict[int, int], level: float, extra: int | None, method: ProportionMethod
) -> None:
    scale, na = Scale.likert(5), (99,)
    n = sum(v for k, v in counts.items() if k != 99)
    population = None if extra is None or method == "clopper-pearson" else n + extra
    summary = summarize_item(
        counts,
        scale,
        not_applicable=na,
        population=population,
        level=level,
        proportion_method=method,
    )
    assert summary.distribution == distribution(counts, scale, na)
    mean = mean_score(counts, not_applicable=na, population=population, level=level)
    assert summary.mean == clip_to_scale(mean, scale)
    assert summary.score_0_100 == rescale_0_100(clip_to_scale(mean, scale), scale)
    assert summary.median == median_score(counts, not_applicable=na)
    for estimate, box in ((summary.t2b, top_box), (summary.b2b, bottom_box)):
        assert estimate == box(counts, scale, not_applicable=na, method=method, level=level, population=population)
    assert summary.net == net_score(counts, scale, not_applicable=na, level=level, population=population)
