"""Tests for analysis.objectives: verdicts on quality objectives.

The rule under test is the product default of the domain reference (§10, item 2;
ISO 9001:2015 clause 6.2.2 e): met if the lower 95% bound ≥ target, not met if the
upper bound < target, otherwise inconclusive; an office may store a point-estimate
rule instead. The interval used in the examples is a published one: the Wilson
interval for 81/263, 0.2553 to 0.3662 (Newcombe 1998, *Statistics in Medicine*
17:857–872, Table I).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.objectives import evaluate_objective
from analysis.results import Estimate, Interval, Note

NEWCOMBE = Estimate(
    value=81 / 263,
    interval=Interval(0.2553, 0.3662),
    n=263,
    method="Wilson score interval",
)


@pytest.mark.parametrize(
    ("target", "code"),
    [(0.25, "met"), (0.2553, "met"), (0.30, "inconclusive"), (0.3662, "inconclusive"),
     (0.37, "not_met")],
)  # fmt: skip
def test_at_least_rule(target: float, code: str) -> None:
    verdict = evaluate_objective(NEWCOMBE, target)
    assert verdict.code == code
    assert verdict.rule == "confidence_interval" and verdict.direction == "at_least"


@pytest.mark.parametrize(
    ("target", "code"),
    [(0.40, "met"), (0.3662, "met"), (0.30, "inconclusive"), (0.2553, "inconclusive"),
     (0.25, "not_met")],
)  # fmt: skip
def test_at_most_rule(target: float, code: str) -> None:
    # E.g. "share of dissatisfied residents at most X".
    assert evaluate_objective(NEWCOMBE, target, direction="at_most").code == code


def test_point_estimate_rule_is_never_inconclusive() -> None:
    verdict = evaluate_objective(NEWCOMBE, 0.30, rule="point_estimate")
    assert verdict.code == "met"  # 0.308 ≥ 0.30
    assert [n.code for n in verdict.notes] == ["interval_contains_target"]
    assert "point-estimate rule" in verdict.sentence
    assert evaluate_objective(NEWCOMBE, 0.31, rule="point_estimate").code == "not_met"
    assert evaluate_objective(NEWCOMBE, 0.31, "at_most", "point_estimate").code == "met"
    # Without an interval the point-estimate rule still works.
    bare = Estimate(value=0.9, interval=None, n=12, method="share")
    assert evaluate_objective(bare, 0.85, rule="point_estimate").code == "met"


def test_sentences_and_parameters() -> None:
    met = evaluate_objective(NEWCOMBE, 0.25)
    assert met.sentence == (
        "Objective met: the lower 95% confidence bound (0.2553) is at or above the target "
        "of at least 0.25; estimate 0.308."
    )
    assert met.parameters == {
        "estimate": 81 / 263,
        "lower": 0.2553,
        "upper": 0.3662,
        "level": 0.95,
        "target": 0.25,
        "direction": "at_least",
        "rule": "confidence_interval",
        "n": 263,
    }
    assert evaluate_objective(NEWCOMBE, 0.37).sentence.startswith(
        "Objective not met: the whole 95% confidence interval 0.2553 to 0.3662 lies below"
    )
    assert evaluate_objective(NEWCOMBE, 0.3).sentence.startswith(
        "Inconclusive: the 95% confidence interval 0.2553 to 0.3662 contains the target"
    )
    assert "Wilson" in met.method


def test_estimate_notes_are_carried_over() -> None:
    small = Estimate(
        value=4.2,
        interval=Interval(3.9, 4.5),
        n=12,
        method="mean",
        notes=(Note("small_n", "n = 12 is below 30"),),
    )
    verdict = evaluate_objective(small, 3.8)
    assert verdict.code == "met"
    assert [n.code for n in verdict.notes] == ["small_n"]


def test_bad_input() -> None:
    bare = Estimate(value=0.9, interval=None, n=12, method="share")
    with pytest.raises(ValueError, match="needs an estimate with a finite interval"):
        evaluate_objective(bare, 0.85)
    nan_interval = Estimate(0.5, Interval(math.nan, math.nan), 1, "mean")
    with pytest.raises(ValueError, match="finite interval"):
        evaluate_objective(nan_interval, 0.4)
    with pytest.raises(ValueError, match="target"):
        evaluate_objective(NEWCOMBE, math.inf)
    with pytest.raises(ValueError, match="direction"):
        evaluate_objective(NEWCOMBE, 0.3, direction="above")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a finite number"):
        evaluate_objective(Estimate(math.nan, None, 0, "none"), 0.3, rule="point_estimate")


ORDER = {"met": 0, "inconclusive": 1, "not_met": 2}


@settings(max_examples=100, deadline=None)
@given(
    st.floats(-100, 100),
    st.floats(0, 50),
    st.floats(0, 50),
    st.floats(-200, 200),
    st.floats(-200, 200),
)
def test_verdicts_are_monotone_and_mirror_symmetric(
    value: float, below: float, above: float, t1: float, t2: float
) -> None:
    estimate = Estimate(value, Interval(value - below, value + above), 100, "mean")
    low_target, high_target = sorted((t1, t2))
    # Raising an "at least" target can only make the verdict worse.
    first = evaluate_objective(estimate, low_target).code
    second = evaluate_objective(estimate, high_target).code
    assert ORDER[first] <= ORDER[second]
    # "x ≥ T" on an estimate is "−x ≤ −T" on the mirrored estimate.
    mirrored = Estimate(-value, Interval(-(value + above), -(value - below)), 100, "mean")
    assert evaluate_objective(mirrored, -t1, "at_most").code == evaluate_objective(estimate, t1).code
    # The interval rule never contradicts the point-estimate rule.
    interval_code = evaluate_objective(estimate, t1).code
    point_code = evaluate_objective(estimate, t1, rule="point_estimate").code
    assert interval_code in ("inconclusive", point_code)
