"""Tests for analysis.drivers against published results.

References used below:
* R package ``rwa`` (Chan), article "regression methods": relative weights of
  cyl, disp, hp and wt for mpg in ``mtcars``.
* R package ``relaimpo`` (Grömping 2006, JSS 17(1)), ``calc.relimp(mpg ~ am + vs +
  cyl, data = mtcars, type = "lmg")``, as printed in the README of the R package
  ``domir`` (identical values from ``domir::domin`` and ``dominanceanalysis``).
* R ``MASS::polr`` on the UCLA graduate-school data (``ologit_ucla.csv``), as stored
  in statsmodels' own test results (statsmodels/miscmodels/tests/results/
  results_ordinal_model.py).
* Martilla & James (1977) for the quadrant names of importance–performance analysis.

The ``mtcars`` data (Henderson & Velleman 1981) and the UCLA data are public and are
written out below so the tests need no files.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.drivers import (
    MAX_SHAPLEY_PREDICTORS,
    importance_performance,
    lmg_shapley,
    ordinal_logit,
    relative_weights,
)

# mtcars columns: mpg cyl disp hp wt vs am (R datasets::mtcars, all 32 cars).
MTCARS_TEXT = """
    21 6 160 110 2.62 0 1
    21 6 160 110 2.875 0 1
    22.8 4 108 93 2.32 1 1
    21.4 6 258 110 3.215 1 0
    18.7 8 360 175 3.44 0 0
    18.1 6 225 105 3.46 1 0
    14.3 8 360 245 3.57 0 0
    24.4 4 146.7 62 3.19 1 0
    22.8 4 140.8 95 3.15 1 0
    19.2 6 167.6 123 3.44 1 0
    17.8 6 167.6 123 3.44 1 0
    16.4 8 275.8 180 4.07 0 0
    17.3 8 275.8 180 3.73 0 0
    15.2 8 275.8 180 3.78 0 0
    10.4 8 472 205 5.25 0 0
    10.4 8 460 215 5.424 0 0
    14.7 8 440 230 5.345 0 0
    32.4 4 78.7 66 2.2 1 1
    30.4 4 75.7 52 1.615 1 1
    33.9 4 71.1 65 1.835 1 1
    21.5 4 120.1 97 2.465 1 0
    15.5 8 318 150 3.52 0 0
    15.2 8 304 150 3.435 0 0
    13.3 8 350 245 3.84 0 0
    19.2 8 400 175 3.845 0 0
    27.3 4 79 66 1.935 1 1
    26 4 120.3 91 2.14 0 1
    30.4 4 95.1 113 1.513 1 1
    15.8 8 351 264 3.17 0 1
    19.7 6 145 175 2.77 0 1
    15 8 301 335 3.57 0 1
    21.4 4 121 109 2.78 1 1
"""
MTCARS = np.array([[float(v) for v in line.split()] for line in MTCARS_TEXT.strip().splitlines()])
MPG, CYL, DISP, HP, WT, VS, AM = MTCARS.T

# UCLA ologit data, 400 students: one token per student, digits = apply code
# (0 unlikely, 1 somewhat likely, 2 very likely), pared, public, gpa × 100.
UCLA_TEXT = """
    200326 110321 011394 100281 100253 001259 100256 100273 000300 110350 011365 100284 201390
    100268 010357 000309 001350 000217 201336 100340 200275 110320 000244 000283 001300 101327
    110314 100337 201279 000290 100338 001295 000298 011381 000274 000262 000285 100250 100275
    000226 000203 110285 000272 100289 110247 000304 000310 000257 000209 100294 000345 000276
    201296 000289 100297 101391 100277 000251 000324 000244 100278 000294 010322 000350 210357
    100317 001323 000291 000328 001332 000362 000255 000297 210363 001302 001360 000295 211381
    110268 010372 000249 000272 010225 000253 000326 200257 000290 000305 100285 100400 210340
    101324 001351 200255 000306 200300 100313 000316 100247 100289 000274 000316 000292 100357
    110349 101256 110312 110265 100251 100308 100265 000299 000263 100280 101346 000361 000308
    010328 001331 000257 100339 000226 000242 000260 111344 100298 110309 001334 000284 000281
    000279 000240 000302 100265 100255 110312 000298 210361 000298 000319 000351 000310 000355
    000298 200299 000305 000299 000232 000250 001290 211328 100295 100354 100311 010325 000244
    000213 100322 100316 000339 100270 100309 100316 000228 000291 000365 000286 001339 000371
    000325 000314 000241 100308 001302 100315 200295 000222 100286 110288 200262 000337 100351
    100365 210342 200241 201321 000322 000253 100264 000294 100256 001312 100334 000322 100305
    100329 100271 000287 000329 000336 011285 000279 100369 200356 000352 011338 201311 110320
    000283 000308 201297 000264 000247 200307 100320 000255 000248 000329 100264 100322 110280
    100362 000262 101304 001249 001310 210315 100265 000304 001305 000288 100286 100300 000223
    001314 000267 000311 100373 100245 000304 000240 100343 100257 000284 000267 211345 110288
    100278 000322 010330 110286 100283 100370 100315 111308 000292 000289 210353 000310 110336
    100274 100273 010272 000353 010345 000298 100288 210321 000306 000240 100357 010288 000327
    000292 200270 110253 100338 000316 100260 000276 000356 000287 110299 000268 000299 100296
    011277 100328 001274 000190 000305 101244 100333 101356 000215 000283 100279 100272 210304
    001303 000288 100321 000274 000357 100243 000311 000276 100313 000275 000260 000367 000326
    000341 200324 000305 110238 100261 111318 000334 100284 000280 000321 000263 000231 000229
    000351 100287 000309 110288 010247 101372 000320 100257 000305 000327 000330 000273 010263
    000277 000315 000285 000225 100356 000270 200294 110258 100297 200338 200296 000244 101375
    100307 100272 000313 000339 001238 100287 001291 210325 111351 010365 100311 200271 000305
    000293 100235 100249 000326 000377 001349 000339 000337 000198 010293 000336 000312 100323
    101390 000270 000234 000330 100311 000314 110368 100222 000261 101348 200308 000279 000312
    001267 100354 200298 110332 110354 000370 000263 100225 100326 200352
"""
UCLA_LEVELS = ("unlikely", "somewhat likely", "very likely")


def _ucla() -> tuple[list[str], np.ndarray]:
    tokens = UCLA_TEXT.split()
    outcome = [UCLA_LEVELS[int(t[0])] for t in tokens]
    x = np.array([[int(t[1]), int(t[2]), int(t[3:]) / 100] for t in tokens], dtype=float)
    return outcome, x


# --- relative weights ----------------------------------------------------------------


def test_relative_weights_match_rwa_mtcars() -> None:
    # rwa_multiregress(mtcars, "mpg", c("cyl", "disp", "hp", "wt")):
    #   cyl 0.2096904 24.70914 -, disp 0.1883043 22.18908 -,
    #   hp 0.1799590 21.20570 -, wt 0.2706812 31.89607 -
    result = relative_weights(np.column_stack([CYL, DISP, HP, WT]), MPG, ["cyl", "disp", "hp", "wt"])
    got = result.by_name()
    expected = {
        "cyl": (0.2096904, 24.70914),
        "disp": (0.1883043, 22.18908),
        "hp": (0.1799590, 21.20570),
        "wt": (0.2706812, 31.89607),
    }
    for name, (raw, rescaled) in expected.items():
        assert got[name].raw == pytest.approx(raw, abs=1e-7)
        assert got[name].rescaled == pytest.approx(rescaled, abs=1e-5)
        assert got[name].sign == -1
    # The weights sum to R² of lm(mpg ~ cyl + disp + hp + wt), 0.8486.
    assert result.r_squared == pytest.approx(sum(raw for raw, _ in expected.values()), abs=1e-6)
    assert result.n == 32
    assert [n.code for n in result.notes] == []  # n = 32 ≥ 30


# --- LMG / Shapley -------------------------------------------------------------------


def test_lmg_matches_relaimpo_mtcars() -> None:
    # relaimpo::calc.relimp(mpg ~ am + vs + cyl, data = mtcars, type = "lmg"):
    #   am 0.1774892, vs 0.2027032, cyl 0.3817849; R² = 0.7619773 (76.2%).
    result = lmg_shapley(np.column_stack([AM, VS, CYL]), MPG, ["am", "vs", "cyl"])
    got = result.by_name()
    assert got["am"].raw == pytest.approx(0.1774892, abs=1e-7)
    assert got["vs"].raw == pytest.approx(0.2027032, abs=1e-7)
    assert got["cyl"].raw == pytest.approx(0.3817849, abs=1e-7)
    assert result.r_squared == pytest.approx(0.7619773, abs=1e-7)
    # domir's standardized general dominance: 0.2329324, 0.2660226, 0.5010450.
    assert got["am"].rescaled == pytest.approx(23.29324, abs=1e-5)
    assert got["cyl"].rescaled == pytest.approx(50.10450, abs=1e-5)


def test_lmg_refuses_more_than_twelve_predictors() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, MAX_SHAPLEY_PREDICTORS + 1))
    y = x.sum(axis=1) + rng.normal(size=200)
    with pytest.raises(ValueError, match="limited to 12 predictors"):
        lmg_shapley(x, y)


def test_frequency_weights_equal_expanded_rows() -> None:
    # A count table (distinct rows with counts) must give the same answer as the rows.
    rng = np.random.default_rng(7)
    x = rng.integers(1, 6, size=(60, 3)).astype(float)
    y = x @ [0.5, 0.3, 0.1] + rng.integers(-1, 2, size=60)
    counts = rng.integers(1, 5, size=60)
    expanded_x = np.repeat(x, counts, axis=0)
    expanded_y = np.repeat(y, counts)
    for method in (relative_weights, lmg_shapley):
        weighted = method(x, y, weights=counts)
        expanded = method(expanded_x, expanded_y)
        assert weighted.r_squared == pytest.approx(expanded.r_squared, rel=1e-10)
        for a, b in zip(weighted.items, expanded.items, strict=True):
            assert a.raw == pytest.approx(b.raw, rel=1e-9)
        assert weighted.n == int(counts.sum())


def test_driver_input_errors() -> None:
    x = np.column_stack([CYL, DISP])
    with pytest.raises(ValueError, match="does not vary"):
        relative_weights(np.column_stack([CYL, np.ones(32)]), MPG)
    with pytest.raises(ValueError, match="collinear"):
        relative_weights(np.column_stack([CYL, 2 * CYL]), MPG)
    with pytest.raises(ValueError, match="rows"):
        relative_weights(x, MPG[:10])
    with pytest.raises(ValueError, match="names"):
        relative_weights(x, MPG, names=["a"])


def test_missing_rows_are_dropped_listwise() -> None:
    x = np.column_stack([CYL, DISP]).copy()
    x[0, 1] = math.nan
    result = relative_weights(x, MPG)
    assert result.n == 31
    assert [n.code for n in result.notes] == ["listwise_deletion"]


def _correlated_data(seed: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(rows, 1))
    x = common + rng.normal(size=(rows, cols))
    y = x @ rng.uniform(-1, 1, size=cols) + rng.normal(size=rows)
    return x, y


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.data())
def test_weights_sum_to_r_squared_and_ignore_row_order(seed: int, cols: int, data: st.DataObject) -> None:
    x, y = _correlated_data(seed, 40, cols)
    design = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    r2 = 1 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))
    order = np.array(data.draw(st.permutations(range(len(y)))))
    for method in (relative_weights, lmg_shapley):
        result = method(x, y)
        assert sum(item.raw for item in result.items) == pytest.approx(r2, rel=1e-9)
        assert result.r_squared == pytest.approx(r2, rel=1e-9)
        assert sum(item.rescaled for item in result.items) == pytest.approx(100.0, rel=1e-9)
        assert all(item.raw >= -1e-12 for item in result.items)
        shuffled = method(x[order], y[order])
        for a, b in zip(result.items, shuffled.items, strict=True):
            assert a.raw == pytest.approx(b.raw, rel=1e-9, abs=1e-12)


# --- ordinal logistic regression -----------------------------------------------------

# R MASS::polr(apply ~ pared + public + gpa, method = "logistic"), from statsmodels'
# results_ordinal_model.py: coefficients, standard errors, p-values and thresholds.
POLR_COEF = [1.04769011, -0.05878572, 0.61594057]
POLR_SE = [0.2658, 0.2979, 0.2606]
POLR_P = [8.087070e-05, 8.435464e-01, 1.811594e-02]
POLR_THRESHOLDS = [2.203915, 4.299363]


def test_ucla_data_is_intact() -> None:
    # Published tabulation of the UCLA data: apply 220 / 140 / 40, pared 337 / 63,
    # public 343 / 57, gpa from 1.90 to 4.00.
    outcome, x = _ucla()
    assert [outcome.count(level) for level in UCLA_LEVELS] == [220, 140, 40]
    assert int(x[:, 0].sum()) == 63 and int(x[:, 1].sum()) == 57
    assert (x[:, 2].min(), x[:, 2].max()) == (1.9, 4.0)


def test_ordinal_logit_matches_polr() -> None:
    # Tolerances as in statsmodels' own comparison with polr (atol 2e-4 on β, rtol 3e-3
    # on SE), widened a little for the thresholds: polr stops its optimiser slightly
    # before the maximum, and our tighter BFGS lands 2e-4 / 6e-4 away from its values.
    outcome, x = _ucla()
    result = ordinal_logit(outcome, x, UCLA_LEVELS, ["pared", "public", "gpa"])
    assert result.converged
    assert result.notes == ()
    assert result.levels == UCLA_LEVELS
    assert result.threshold_labels == ("unlikely|somewhat likely", "somewhat likely|very likely")
    for ratio, coef, se, p in zip(result.odds_ratios, POLR_COEF, POLR_SE, POLR_P, strict=True):
        assert ratio.coefficient == pytest.approx(coef, abs=2.5e-4)
        assert ratio.std_error == pytest.approx(se, rel=3e-3, abs=1e-5)
        assert ratio.p_value == pytest.approx(p, rel=1e-2, abs=1e-5)
        assert ratio.odds_ratio == pytest.approx(math.exp(coef), rel=3e-4)
        # Wald interval on the odds-ratio scale: exp(β ± 1.96·SE).
        assert ratio.interval.lower == pytest.approx(math.exp(coef - 1.959964 * se), rel=2e-3)
        assert ratio.interval.upper == pytest.approx(math.exp(coef + 1.959964 * se), rel=2e-3)
    assert result.thresholds == pytest.approx(POLR_THRESHOLDS, abs=7e-4)
    assert result.n == 400
    assert 0 < result.pseudo_r2_mcfadden < 1


def test_ordinal_logit_frequency_weights_equal_rows() -> None:
    # The same model fitted on the distinct rows with their counts.
    outcome, x = _ucla()
    rows: dict[tuple[str, float, float, float], int] = {}
    for label, (pared, public, gpa) in zip(outcome, x, strict=True):
        key = (label, pared, public, gpa)
        rows[key] = rows.get(key, 0) + 1
    keys = list(rows)
    weighted = ordinal_logit(
        [k[0] for k in keys],
        np.array([k[1:] for k in keys]),
        UCLA_LEVELS,
        ["pared", "public", "gpa"],
        weights=[rows[k] for k in keys],
    )
    plain = ordinal_logit(outcome, x, UCLA_LEVELS, ["pared", "public", "gpa"])
    assert len(keys) < 400
    assert weighted.n == 400
    for a, b in zip(weighted.odds_ratios, plain.odds_ratios, strict=True):
        assert a.coefficient == pytest.approx(b.coefficient, abs=2e-5)
        assert a.std_error == pytest.approx(b.std_error, rel=1e-3)
    assert weighted.thresholds == pytest.approx(plain.thresholds, abs=5e-5)
    assert weighted.log_likelihood == pytest.approx(plain.log_likelihood, abs=1e-6)
    assert weighted.pseudo_r2_mcfadden == pytest.approx(plain.pseudo_r2_mcfadden, abs=1e-7)
    assert "frequency-weighted" in weighted.method


def test_ordinal_logit_declared_but_empty_level_is_noted() -> None:
    # A 1–5 scale where nobody answered 1: the declared level is reported as empty and
    # the cut-points refer to the levels that occur.
    outcome, x = _ucla()
    codes = {"unlikely": 2, "somewhat likely": 3, "very likely": 4}
    result = ordinal_logit([codes[o] for o in outcome], x, [1, 2, 3, 4, 5], ["pared", "public", "gpa"])
    assert result.levels == ("2", "3", "4")
    assert [n.code for n in result.notes] == ["empty_levels"]
    assert result.odds_ratios[0].coefficient == pytest.approx(POLR_COEF[0], abs=2.5e-4)


def test_ordinal_logit_rejects_bad_input() -> None:
    outcome, x = _ucla()
    with pytest.raises(ValueError, match="not one of the declared levels"):
        ordinal_logit(outcome, x, UCLA_LEVELS[:2])
    with pytest.raises(ValueError, match="constant"):
        ordinal_logit(outcome, np.column_stack([x, np.ones(400)]), UCLA_LEVELS)
    with pytest.raises(ValueError, match="distinct"):
        ordinal_logit(outcome, x, ["unlikely"])


# --- importance–performance ----------------------------------------------------------


def test_ipa_quadrants_at_grand_means() -> None:
    # Four attributes, one in each quadrant; crosshairs at the grand means
    # (performance 3.5, importance 25).
    result = importance_performance(
        ["waiting time", "courtesy", "parking", "decor"],
        performance=[2.8, 4.3, 2.9, 4.0],
        importance=[40, 35, 10, 15],
    )
    assert result.performance_crosshair == pytest.approx(3.5)
    assert result.importance_crosshair == pytest.approx(25)
    assert [(p.name, p.quadrant, p.numeral, p.label) for p in result.points] == [
        ("waiting time", "concentrate_here", "I", "Concentrate here"),
        ("courtesy", "keep_up_the_good_work", "II", "Keep up the good work"),
        ("parking", "low_priority", "III", "Low priority"),
        ("decor", "possible_overkill", "IV", "Possible overkill"),
    ]
    assert result.crosshair == "grand_mean" and result.importance_source == "derived"
    assert "grand means" in result.method


def test_ipa_scale_midpoint_needs_scales() -> None:
    with pytest.raises(ValueError, match="scale"):
        importance_performance(["a", "b"], [3, 4], [2, 3], crosshair="scale_midpoint")
    result = importance_performance(
        ["a", "b"],
        [2.5, 4.5],
        [4.5, 4.5],
        crosshair="scale_midpoint",
        importance_source="stated",
        performance_scale=(1, 5),
        importance_scale=(1, 5),
    )
    assert (result.performance_crosshair, result.importance_crosshair) == (3.0, 3.0)
    assert [p.quadrant for p in result.points] == ["concentrate_here", "keep_up_the_good_work"]
