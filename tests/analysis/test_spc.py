"""Tests for analysis.spc against published control-chart results.

References used below:
* R package qcc (Scrucca 2004, R News 4/1), datasets ``orangejuice``,
  ``pistonrings`` and ``viscosity`` from Montgomery, *Introduction to
  Statistical Quality Control*; the printed qcc results are quoted from the qcc
  documentation and from the qcc comparison tests of the ``mistat`` package
  (Kenett, Zacks & Gedeck 2022), which list the R output.
* Pyzdek, *The Handbook for Quality Management* (2nd ed., 2013), Table 9.6
  (bruised peaches, p-chart with varying subgroup sizes).
* Tippett (1925) / Montgomery Appendix VI for the constants d₂, d₃.
* Laney (2002), *Quality Engineering* 14(4):531–537, for the p′ chart.
* NIST/SEMATECH e-Handbook §6.3.2 for the Western Electric rules.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from analysis.spc import (
    CONSTANTS,
    WESTERN_ELECTRIC_RULES,
    laney_p_chart,
    p_chart,
    run_rules,
    xbar_r_chart,
    xmr_chart,
)

# Montgomery (1991) pp. 152–155; qcc dataset ``orangejuice``, 30 trial samples of n = 50.
ORANGEJUICE_D = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22,
                 8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]  # fmt: skip

# qcc dataset ``pistonrings``: inside diameter of piston rings, 25 trial subgroups of 5
# (Montgomery Table 6.3).
PISTONRINGS = [
    [74.030, 74.002, 74.019, 73.992, 74.008],
    [73.995, 73.992, 74.001, 74.011, 74.004],
    [73.988, 74.024, 74.021, 74.005, 74.002],
    [74.002, 73.996, 73.993, 74.015, 74.009],
    [73.992, 74.007, 74.015, 73.989, 74.014],
    [74.009, 73.994, 73.997, 73.985, 73.993],
    [73.995, 74.006, 73.994, 74.000, 74.005],
    [73.985, 74.003, 73.993, 74.015, 73.988],
    [74.008, 73.995, 74.009, 74.005, 74.004],
    [73.998, 74.000, 73.990, 74.007, 73.995],
    [73.994, 73.998, 73.994, 73.995, 73.990],
    [74.004, 74.000, 74.007, 74.000, 73.996],
    [73.983, 74.002, 73.998, 73.997, 74.012],
    [74.006, 73.967, 73.994, 74.000, 73.984],
    [74.012, 74.014, 73.998, 73.999, 74.007],
    [74.000, 73.984, 74.005, 73.998, 73.996],
    [73.994, 74.012, 73.986, 74.005, 74.007],
    [74.006, 74.010, 74.018, 74.003, 74.000],
    [73.984, 74.002, 74.003, 74.005, 73.997],
    [74.000, 74.010, 74.013, 74.020, 74.003],
    [73.988, 74.001, 74.009, 74.005, 73.996],
    [74.004, 73.999, 73.990, 74.006, 74.009],
    [74.010, 73.989, 73.990, 74.009, 74.014],
    [74.015, 74.008, 73.993, 74.000, 74.010],
    [73.982, 73.984, 73.995, 74.017, 74.013],
]

# Aircraft primer paint viscosity, Montgomery p. 242 (qcc documentation, type "xbar.one").
VISCOSITY = [33.75, 33.05, 34, 33.81, 33.46, 34.02, 33.68, 33.27,
             33.49, 33.20, 33.62, 33.00, 33.54, 33.12, 33.84]  # fmt: skip

# Water content of antifreeze, Wetherill & Brown (1991) p. 120 (qcc ``antifreeze``).
ANTIFREEZE = [2.23, 2.53, 2.62, 2.63, 2.58, 2.44, 2.49, 2.34, 2.95, 2.54, 2.60, 2.45,
              2.17, 2.58, 2.57, 2.44, 2.38, 2.23, 2.23, 2.54, 2.66, 2.84, 2.81, 2.39,
              2.56, 2.70, 3.00, 2.81, 2.77, 2.89, 2.54, 2.98, 2.35, 2.53]  # fmt: skip


# --- p-chart -------------------------------------------------------------------------


def test_p_chart_orangejuice_matches_qcc() -> None:
    # qcc(D[trial], sizes = size[trial], type = "p"):
    # Center 0.2313333, LCL 0.05242755, UCL 0.4102391; samples 15 and 23 beyond the UCL.
    chart = p_chart(ORANGEJUICE_D, 50)
    assert chart.center == pytest.approx(0.2313333, abs=1e-7)
    assert chart.lower[0] == pytest.approx(0.05242755, abs=1e-8)
    assert chart.upper[0] == pytest.approx(0.4102391, abs=1e-7)
    assert [(s.index, s.rule, s.direction) for s in chart.signals] == [
        (14, "beyond_limits", "above"),
        (22, "beyond_limits", "above"),
    ]
    assert chart.signals[0].label == "15"
    assert chart.signals[0].limit == pytest.approx(0.4102391, abs=1e-7)
    assert "above the upper control limit" in chart.signals[0].description
    assert chart.notes == ()  # 30 points: limits are not provisional


def test_p_chart_orangejuice_revised_matches_qcc() -> None:
    # Montgomery removes samples 15 and 23 (assignable causes) and recomputes:
    # qcc gives Center 0.215, LCL 0.04070284, UCL 0.3892972, and sample 21 of the
    # original series (index 19 of the reduced one) still above the UCL.
    reduced = [d for i, d in enumerate(ORANGEJUICE_D) if i not in (14, 22)]
    chart = p_chart(reduced, 50)
    assert chart.center == pytest.approx(0.215, abs=1e-9)
    assert chart.lower[0] == pytest.approx(0.04070284, abs=1e-8)
    assert chart.upper[0] == pytest.approx(0.3892972, abs=1e-7)
    assert [s.index for s in chart.signals] == [19]


def test_p_chart_varying_sizes_pyzdek_peaches() -> None:
    # Pyzdek Table 9.6: 25 shipments, 1 or 2 crates of 250 peaches; totals 8000 and 1544,
    # so p̄ = 1544/8000 = 0.193. Limits by the textbook formula p̄ ± 3√(p̄(1 − p̄)/n):
    # n = 250: 0.193 ± 3·√(0.193·0.807/250) = 0.193 ± 0.074880 -> [0.118120, 0.267880]
    # n = 500: 0.193 ± 3·√(0.193·0.807/500) = 0.193 ± 0.052948 -> [0.140052, 0.245948]
    crates = [1] * 10 + [2, 2, 2] + [1] * 8 + [2, 2, 2, 2]
    bruised = [47, 42, 55, 51, 46, 61, 39, 44, 41, 51, 88, 101, 101,
               40, 48, 47, 50, 48, 57, 45, 43, 105, 98, 100, 96]  # fmt: skip
    sizes = [250 * c for c in crates]
    assert sum(sizes) == 8000 and sum(bruised) == 1544
    chart = p_chart(bruised, sizes)
    assert chart.center == pytest.approx(0.193)
    assert chart.lower[0] == pytest.approx(0.118120, abs=1e-6)
    assert chart.upper[0] == pytest.approx(0.267880, abs=1e-6)
    assert chart.lower[10] == pytest.approx(0.140052, abs=1e-6)
    assert chart.upper[10] == pytest.approx(0.245948, abs=1e-6)
    assert chart.in_control


def test_p_chart_floors_lcl_at_zero_and_caps_ucl_at_one() -> None:
    chart = p_chart([1, 0, 2], [10, 10, 10])
    assert all(lo == 0.0 for lo in chart.lower)
    chart = p_chart([9, 10, 10], [10, 10, 10])
    assert all(hi == 1.0 for hi in chart.upper)


def test_provisional_note_below_twenty_points() -> None:
    chart = p_chart([5] * 19, 50)
    assert [n.code for n in chart.notes] == ["provisional_limits"]
    assert p_chart([5] * 20, 50).notes == ()


def test_baseline_sets_limits_from_leading_points_only() -> None:
    # Phase I on the first 30 samples, phase II on later ones: later points do not move
    # the centre line.
    later = [40, 41, 39]
    chart = p_chart([*ORANGEJUICE_D, *later], 50, baseline=30)
    assert chart.center == pytest.approx(0.2313333, abs=1e-7)
    assert {s.index for s in chart.signals} >= {30, 31, 32}


@pytest.mark.parametrize(
    ("defectives", "sizes", "message"),
    [
        ([1, 2], [10, -1], "positive"),
        ([1, 12], [10, 10], "between 0"),
        ([1.5, 2], [10, 10], "whole"),
        ([1, math.nan], [10, 10], "finite"),
    ],
)
def test_p_chart_rejects_bad_input(defectives: list[float], sizes: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        p_chart(defectives, sizes)


def test_labels_must_match_points() -> None:
    with pytest.raises(ValueError, match="labels"):
        p_chart([1, 2], 10, labels=["Q1"])


# --- Laney p' ----------------------------------------------------------------------


def test_laney_constant_n_equals_individuals_chart_of_proportions() -> None:
    # Laney (2002): with a constant subgroup size z_i = (p_i − p̄)/σ_p, so
    # σ_p·σ_z = MR̄_p/1.128 and the p′ chart is the individuals chart of the p_i.
    p = np.array(ORANGEJUICE_D) / 50
    mr_bar = np.mean(np.abs(np.diff(p)))
    p_bar = p.mean()
    chart = laney_p_chart(ORANGEJUICE_D, 50)
    assert chart.upper[0] == pytest.approx(p_bar + 3 * mr_bar / 1.128, rel=1e-12)
    assert chart.lower[0] == pytest.approx(max(0.0, p_bar - 3 * mr_bar / 1.128), abs=1e-12)
    # σ_z = MR̄_z / 1.128 with z on the binomial scale.
    sigma_p = math.sqrt(p_bar * (1 - p_bar) / 50)
    assert chart.sigma_z == pytest.approx(mr_bar / sigma_p / 1.128, rel=1e-12)


def test_laney_widens_limits_under_overdispersion() -> None:
    # Very large monthly samples whose proportions wander more than binomial noise allows:
    # the p-chart flags almost everything, the p′ chart (σ_z > 1) does not.
    sizes = [50_000, 52_000, 48_000, 51_000, 49_500, 50_500, 47_000, 53_000]
    rates = [0.80, 0.81, 0.79, 0.805, 0.795, 0.812, 0.788, 0.802]
    counts = [round(r * n) for r, n in zip(rates, sizes, strict=True)]
    ordinary = p_chart(counts, sizes)
    laney = laney_p_chart(counts, sizes)
    assert len(ordinary.signals) >= 3
    assert laney.sigma_z is not None and laney.sigma_z > 3
    assert laney.in_control
    # Limits are p̄ ± 3·σ_pᵢ·σ_z for every point.
    for i, n in enumerate(sizes):
        half = 3 * math.sqrt(laney.center * (1 - laney.center) / n) * laney.sigma_z
        assert laney.upper[i] == pytest.approx(laney.center + half)


# --- XmR -------------------------------------------------------------------------------


def test_xmr_viscosity_matches_qcc_xbar_one() -> None:
    # qcc(viscosity, type = "xbar.one"): Center 33.52333, StdDev 0.4261651 (= MR̄/1.128),
    # limits 32.24484 and 34.80183. qcc uses 3/1.128 = 2.6596 where the textbook constant
    # is 2.66, so the limits agree to 3e-4.
    chart = xmr_chart(VISCOSITY)
    assert chart.individuals.center == pytest.approx(33.52333, abs=1e-5)
    assert chart.mr_bar / 1.128 == pytest.approx(0.4261651, abs=1e-7)
    assert chart.individuals.lower[0] == pytest.approx(32.24484, abs=3e-4)
    assert chart.individuals.upper[0] == pytest.approx(34.80183, abs=3e-4)
    # Moving-range chart: UCL = 3.267·MR̄ (D₄ for n = 2), LCL = 0.
    assert chart.moving_range.upper[0] == pytest.approx(3.267 * 0.4261651 * 1.128, abs=1e-6)
    assert chart.moving_range.lower[0] == 0.0
    assert chart.moving_range.labels[0] == "2"
    # 15 points: provisional.
    assert "provisional_limits" in [n.code for n in chart.individuals.notes]


def test_xmr_antifreeze_matches_qcc() -> None:
    # qcc(antifreeze, type = "xbar.one"): Center 2.569706, StdDev 0.1794541,
    # limits 2.031344 and 3.108068, no violations.
    chart = xmr_chart(ANTIFREEZE, rules=WESTERN_ELECTRIC_RULES[:1])
    assert chart.individuals.center == pytest.approx(2.569706, abs=1e-6)
    assert chart.mr_bar / 1.128 == pytest.approx(0.1794541, abs=1e-7)
    assert chart.individuals.lower[0] == pytest.approx(2.031344, abs=2e-4)
    assert chart.individuals.upper[0] == pytest.approx(3.108068, abs=2e-4)
    assert chart.individuals.in_control
    assert chart.individuals.notes == ()


def test_xmr_needs_two_values() -> None:
    with pytest.raises(ValueError, match="at least two"):
        xmr_chart([1.0])


# --- X̄–R -------------------------------------------------------------------------------


def test_xbar_r_pistonrings_matches_qcc() -> None:
    # qcc(diameter[1:25, ], type = "xbar"): Center 74.00118, StdDev 0.009785039,
    # limits 73.98805 and 74.0143; qcc(..., type = "R"): Center 0.02276, UCL 0.04812533.
    # qcc uses the exact D₄ = 2.11450 where the table gives 2.114 (difference 1e-5).
    chart = xbar_r_chart(PISTONRINGS)
    assert chart.xbar.center == pytest.approx(74.00118, abs=1e-5)
    assert chart.xbar.lower[0] == pytest.approx(73.98805, abs=1e-5)
    assert chart.xbar.upper[0] == pytest.approx(74.0143, abs=1e-5)
    assert chart.range.center == pytest.approx(0.02276, abs=1e-9)
    assert chart.range.lower[0] == 0.0
    assert chart.range.upper[0] == pytest.approx(0.04812533, abs=2e-5)
    assert chart.range.center / chart.constants.d2 == pytest.approx(0.009785039, abs=1e-6)
    assert chart.xbar.in_control and chart.range.in_control


def test_xbar_r_two_sigma_limits_signal_like_qcc() -> None:
    # qcc(..., nsigmas = 2) draws 2σ limits at 73.99242 and 74.00993 and flags subgroup 1
    # above and subgroup 14 below them. Our 2σ zone lines are X̿ ± 2·(A₂R̄/3).
    chart = xbar_r_chart(PISTONRINGS, rules=WESTERN_ELECTRIC_RULES)
    two_sigma = [
        chart.xbar.center - 2 * chart.xbar.sigma[0],
        chart.xbar.center + 2 * chart.xbar.sigma[0],
    ]
    assert two_sigma == pytest.approx([73.99242, 74.00993], abs=1e-5)
    means = np.mean(PISTONRINGS, axis=1)
    assert means[0] > two_sigma[1] and means[13] < two_sigma[0]


def test_constants_match_their_definition() -> None:
    # d₂ = E(R/σ) = ∫ 1 − Φ(x)ⁿ − (1 − Φ(x))ⁿ dx and
    # E(R²/σ²) = 2∬_{x<y} 1 − Φ(y)ⁿ − (1 − Φ(x))ⁿ + (Φ(y) − Φ(x))ⁿ dx dy (Tippett 1925);
    # A₂ = 3/(d₂√n), D₃ = max(0, 1 − 3d₃/d₂), D₄ = 1 + 3d₃/d₂. Published tables round to
    # three decimals (Montgomery Appendix VI), e.g. n = 5: A₂ 0.577, d₂ 2.326, D₄ 2.114.
    phi = special.ndtr
    for n in range(2, 11):
        c = CONSTANTS[n]
        d2 = integrate.quad(lambda x, n=n: 1 - phi(x) ** n - phi(-x) ** n, -np.inf, np.inf)[0]
        e_r2 = integrate.dblquad(
            lambda x, y, n=n: 1 - phi(y) ** n - phi(-x) ** n + (phi(y) - phi(x)) ** n,
            -8,
            8,
            -8,
            lambda y: y,
            epsabs=1e-7,
            epsrel=1e-7,
        )[0]
        d3 = math.sqrt(2 * e_r2 - d2**2)
        assert c.d2 == pytest.approx(d2, abs=6e-4)
        assert c.a2 == pytest.approx(3 / (d2 * math.sqrt(n)), abs=6e-4)
        assert c.d4 == pytest.approx(1 + 3 * d3 / d2, abs=1.1e-3)
        assert c.d3 == pytest.approx(max(0.0, 1 - 3 * d3 / d2), abs=1.1e-3)
    assert (CONSTANTS[5].a2, CONSTANTS[5].d2, CONSTANTS[5].d3, CONSTANTS[5].d4) == (
        0.577,
        2.326,
        0.0,
        2.114,
    )


def test_xbar_r_rejects_bad_subgroups() -> None:
    with pytest.raises(ValueError, match="between 2 and 25"):
        xbar_r_chart([[1.0]] * 5)
    with pytest.raises(ValueError, match="two-dimensional"):
        xbar_r_chart([1.0, 2.0])


# --- run rules -----------------------------------------------------------------------


def _rules(values: list[float], rules: tuple[str, ...]) -> list[tuple[int, str, str]]:
    signals = run_rules(values, 0.0, 1.0, -3.0, 3.0, rules=rules)  # type: ignore[arg-type]
    return [(s.index, s.rule, s.direction) for s in signals]


def test_rule_beyond_limits() -> None:
    assert _rules([0, 3.5, 0, -3.2, 3.0], ("beyond_limits",)) == [
        (1, "beyond_limits", "above"),
        (3, "beyond_limits", "below"),
    ]


def test_rule_two_of_three_beyond_two_sigma() -> None:
    # Points 1 and 3 are beyond +2σ within three successive points; point 3 completes it.
    assert _rules([0, 2.5, 0.5, 2.2, 0], ("two_of_three_beyond_2sigma",)) == [
        (3, "two_of_three_beyond_2sigma", "above")
    ]
    # Opposite sides do not combine.
    assert _rules([0, 2.5, 0.5, -2.2, 0], ("two_of_three_beyond_2sigma",)) == []
    # Two in a row at the start already make two of three.
    assert _rules([-2.1, -2.4, 0], ("two_of_three_beyond_2sigma",)) == [(1, "two_of_three_beyond_2sigma", "below")]


def test_rule_four_of_five_beyond_one_sigma() -> None:
    values = [0, 1.5, 1.2, 0.3, 1.1, 1.8, 0]
    assert _rules(values, ("four_of_five_beyond_1sigma",)) == [(5, "four_of_five_beyond_1sigma", "above")]
    assert _rules([0, 1.5, 1.2, 0.3, 1.1, 0.2, 0], ("four_of_five_beyond_1sigma",)) == []


def test_rule_eight_on_one_side() -> None:
    values = [0.1] * 8 + [-0.5]
    assert _rules(values, ("eight_on_one_side",)) == [(7, "eight_on_one_side", "above")]
    # A point exactly on the centre line breaks the run.
    assert _rules([0.1] * 4 + [0.0] + [0.1] * 4, ("eight_on_one_side",)) == []
    # Every further point in the run is flagged.
    assert [i for i, _, _ in _rules([-0.2] * 10, ("eight_on_one_side",))] == [7, 8, 9]


def test_unknown_rule_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown run rule"):
        p_chart([1, 2], 10, rules=("nelson_9",))  # type: ignore[arg-type]


def test_default_rules_are_limits_and_runs() -> None:
    chart = p_chart(ORANGEJUICE_D, 50)
    assert chart.rules == ("beyond_limits", "eight_on_one_side")


# --- properties ----------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 500), st.floats(0, 1)).map(lambda t: (round(t[0] * t[1]), t[0])),
        min_size=2,
        max_size=30,
    ),
    st.data(),
)
def test_p_chart_does_not_depend_on_period_order(rows: list[tuple[int, int]], data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(len(rows))))
    d = [r[0] for r in rows]
    n = [r[1] for r in rows]
    chart = p_chart(d, n)
    shuffled = p_chart([d[i] for i in order], [n[i] for i in order])
    assert shuffled.center == pytest.approx(chart.center, rel=1e-12, abs=1e-15)
    for new_pos, old_pos in enumerate(order):
        assert shuffled.upper[new_pos] == pytest.approx(chart.upper[old_pos], rel=1e-12)
        assert shuffled.lower[new_pos] == pytest.approx(chart.lower[old_pos], abs=1e-12)
        assert chart.lower[old_pos] <= chart.center <= chart.upper[old_pos]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=40),
    st.floats(-1000, 1000, allow_nan=False),
)
def test_xmr_is_shift_equivariant(values: list[float], shift: float) -> None:
    base = xmr_chart(values, rules=WESTERN_ELECTRIC_RULES)
    moved = xmr_chart([v + shift for v in values], rules=WESTERN_ELECTRIC_RULES)
    assert moved.individuals.center == pytest.approx(base.individuals.center + shift, abs=1e-6)
    assert moved.mr_bar == pytest.approx(base.mr_bar, abs=1e-6)
    width = base.individuals.upper[0] - base.individuals.lower[0]
    assert width == pytest.approx(2 * 2.66 * base.mr_bar, rel=1e-9, abs=1e-9)
