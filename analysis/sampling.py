"""Sampling: margin of error, required sample size, and survey weights.

Planning a survey (plan badania) starts with two numbers: how precise a
proportion will be for a given number of answers (margin of error, błąd
statystyczny), and how many answers are needed for a wanted precision
(wielkość próby). When the sample does not mirror the population, weights
(wagi) correct it:

* **post-stratification** (poststratyfikacja) when the full cross-classified
  population is known, e.g. sex × age band from GUS BDL;
* **raking** (iterative proportional fitting, IPF; ważenie iteracyjne) when
  only the margins are known, with optional trimming of extreme weights;
* the **Kish design effect** (efekt schematu) ``deff = n·Σw²/(Σw)²`` and the
  **effective sample size** ``n_eff = (Σw)²/Σw²``, which the weighted
  intervals below use in place of ``n``.

A note on the target population: walk-in surveys sample service users
(klienci). Weighting them to the resident population (mieszkańcy) changes
the question being answered; every weighted report must state its target.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.probability import normal_quantile, t_quantile
from analysis.results import CONFIDENCE, Estimate, Interval, Note, small_n_note

FloatArray = NDArray[np.float64]

KREJCIE_MORGAN_CHI2: Final = 3.841
"""χ² for one degree of freedom at 95% as printed by Krejcie & Morgan (1970)."""

BOUND_TOLERANCE: Final = 1e-4
"""Relative slack accepted on trimming bounds: trim-and-rake approaches an active
bound from outside and would otherwise need ever more rounds."""

SMALL_CELL: Final = 10
"""Weighting cells with fewer respondents than this get a stability note."""


# ---------------------------------------------------------------------------
# margin of error and sample size
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SampleSizePlan:
    """How many completed answers and invitations a survey needs.

    ``n0`` is the infinite-population size before rounding, ``completes`` the
    required valid answers after the finite-population correction and the
    design effect, ``invitations`` the completes divided by the expected
    response rate (both rounded up).
    """

    completes: int
    invitations: int
    n0: float
    margin: float
    confidence: float
    population: int | None
    response_rate: float
    design_effect: float
    method: str
    notes: tuple[Note, ...] = field(default=())


def margin_of_error(
    n: int,
    p: float = 0.5,
    population: int | None = None,
    confidence: float = CONFIDENCE,
) -> float:
    """Half-width of the normal-approximation interval for a proportion.

    ``e = z·√(p(1 − p)/n)·√((N − n)/(N − 1))``; the second factor is the
    finite population correction (FPC), used when ``population`` N is given.
    ``p = 0.5`` gives the largest (most cautious) margin.
    Reference: Cochran (1977) *Sampling Techniques*, 3rd ed., §3.5.
    """
    _check_confidence(confidence)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError("n must be a positive whole number")
    if not 0 <= p <= 1:
        raise ValueError("p must be between 0 and 1")
    z = _z(confidence)
    e = z * math.sqrt(p * (1 - p) / n)
    if population is not None:
        _check_population(population)
        if n > population:
            raise ValueError(f"n = {n} exceeds the population size {population}")
        e *= math.sqrt((population - n) / (population - 1)) if population > 1 else 0.0
    return e


def sample_size(
    margin: float = 0.05,
    p: float = 0.5,
    population: int | None = None,
    confidence: float = CONFIDENCE,
    *,
    method: Literal["cochran", "krejcie_morgan"] = "cochran",
    response_rate: float = 1.0,
    design_effect: float = 1.0,
) -> SampleSizePlan:
    """Required number of answers for a proportion with margin ``margin``.

    Cochran: ``n₀ = z²p(1 − p)/e²``; with a population N,
    ``n = n₀/(1 + (n₀ − 1)/N)``; rounded up.
    Krejcie & Morgan (1970): ``s = χ²NP(1 − P)/(d²(N − 1) + χ²P(1 − P))``
    with χ² = 3.841 at 95%; rounded to the nearest integer as in their table
    (needs N). Then ``completes = ⌈n·deff⌉`` and
    ``invitations = ⌈completes / response_rate⌉``.
    References: Cochran (1977) *Sampling Techniques* §4.4; Krejcie, R.V. &
    Morgan, D.W. (1970) *Educational and Psychological Measurement* 30:607–610.
    """
    _check_confidence(confidence)
    if not 0 < margin < 1:
        raise ValueError("margin must be a proportion between 0 and 1, e.g. 0.05")
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1 (use 0.5 when unknown)")
    if not 0 < response_rate <= 1:
        raise ValueError("response_rate must be in (0, 1]")
    if not (math.isfinite(design_effect) and design_effect >= 1):
        raise ValueError("design_effect must be at least 1")
    notes: list[Note] = []
    if population is not None:
        _check_population(population)
    if method == "cochran":
        z = _z(confidence)
        n0 = z * z * p * (1 - p) / margin**2
        n = n0 if population is None else n0 / (1 + (n0 - 1) / population)
        base = _ceil(n)
        label = "Cochran (1977)" + (" with finite population correction" if population else "")
    elif method == "krejcie_morgan":
        if population is None:
            raise ValueError("the Krejcie & Morgan formula needs the population size")
        if not math.isclose(confidence, 0.95):
            raise ValueError("the Krejcie & Morgan table is defined for 95% confidence only")
        chi2 = KREJCIE_MORGAN_CHI2
        n0 = chi2 * p * (1 - p) / margin**2
        s = chi2 * population * p * (1 - p) / (margin**2 * (population - 1) + chi2 * p * (1 - p))
        base = math.floor(s + 0.5)
        label = "Krejcie & Morgan (1970)"
    else:
        raise ValueError("method must be 'cochran' or 'krejcie_morgan'")
    completes = _ceil(base * design_effect)
    if population is not None and completes > population:
        notes.append(
            Note(
                "census",
                f"the design needs {completes} answers from a population of {population}: "
                "survey everyone",
            )
        )
        completes = population
    invitations = _ceil(completes / response_rate)
    if population is not None and invitations > population:
        notes.append(
            Note(
                "response_rate_too_low",
                f"at a response rate of {response_rate:.0%} even inviting all {population} "
                f"people is not expected to yield {completes} answers",
            )
        )
    if design_effect > 1:
        label += f", design effect {design_effect:g}"
    if response_rate < 1:
        label += f", response rate {response_rate:.0%}"
    return SampleSizePlan(
        completes=completes,
        invitations=invitations,
        n0=n0,
        margin=margin,
        confidence=confidence,
        population=population,
        response_rate=response_rate,
        design_effect=design_effect,
        method=label,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------
# weights
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DesignEffect:
    """Kish's design effect of unequal weights and the effective sample size."""

    deff: float
    n_eff: float
    n: int


@dataclass(frozen=True, slots=True)
class CellWeights:
    """Post-stratification weight per cell (mean weight 1 over respondents)."""

    weights: dict[Hashable, float]
    design_effect: DesignEffect
    method: str
    notes: tuple[Note, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class RakingResult:
    """Raked weights, one per row, scaled to a mean of 1 (or to ``total``).

    ``max_margin_error`` is the largest absolute difference between a
    weighted share and its target share after the last sweep.
    """

    weights: FloatArray
    converged: bool
    iterations: int
    max_margin_error: float
    trimmed: bool
    design_effect: DesignEffect
    method: str
    notes: tuple[Note, ...] = field(default=())


def kish_design_effect(weights: ArrayLike, counts: ArrayLike | None = None) -> DesignEffect:
    """Kish (1965) design effect due to unequal weighting.

    ``deff = n·Σw²/(Σw)²`` and ``n_eff = (Σw)²/Σw² = n/deff``. With
    ``counts`` (rows of a count table standing for several respondents who
    share a weight) the sums run over respondents: ``n = Σc``,
    ``Σw² = Σc·w²``, ``Σw = Σc·w``.
    Reference: Kish, L. (1965) *Survey Sampling*, §11.7; Kish (1992)
    Weighting for unequal Pᵢ, *Journal of Official Statistics* 8(2):183–200.
    """
    w = _weight_vector(weights)
    c = _counts(counts, len(w))
    total = float(c @ w)
    squares = float(c @ (w * w))
    n = round(float(c.sum()))
    return DesignEffect(deff=n * squares / total**2, n_eff=total**2 / squares, n=n)


def post_stratification_weights(
    sample_counts: Mapping[Hashable, int],
    population_counts: Mapping[Hashable, float],
) -> CellWeights:
    """Post-stratification weights ``w_h = (N_h/N)/(n_h/n)`` per cell h.

    Every respondent in cell h gets ``w_h``; the weights average 1 over the
    sample (multiply by ``N/n`` for population totals). Every population cell
    must contain respondents and every sample cell must exist in the
    population; otherwise collapse cells first.
    Reference: Holt & Smith (1979) Post stratification, *JRSS A*
    142(1):33–46; Kalton & Flores-Cervantes (2003) Weighting methods,
    *Journal of Official Statistics* 19(2):81–97.
    """
    if not sample_counts or not population_counts:
        raise ValueError("sample and population counts must not be empty")
    for cell, count in sample_counts.items():
        if cell not in population_counts:
            raise ValueError(f"sample cell {cell!r} has no population count")
        if not (isinstance(count, int | np.integer) and count >= 0):
            raise ValueError(f"sample count of {cell!r} must be a non-negative whole number")
    for cell, size in population_counts.items():
        if not (math.isfinite(size) and size >= 0):
            raise ValueError(f"population count of {cell!r} must be non-negative")
        if size > 0 and sample_counts.get(cell, 0) == 0:
            raise ValueError(
                f"cell {cell!r} has no respondents but a population of {size:g}; "
                "collapse it with a neighbouring cell"
            )
        if size == 0 and sample_counts.get(cell, 0) > 0:
            raise ValueError(f"cell {cell!r} has respondents but a population count of zero")
    n = sum(int(c) for c in sample_counts.values())
    big_n = float(sum(population_counts.values()))
    if n == 0 or big_n == 0:
        raise ValueError("sample and population totals must be positive")
    weights = {
        cell: (population_counts[cell] / big_n) / (count / n)
        for cell, count in sample_counts.items()
        if count > 0
    }
    cells = list(weights)
    smallest = min(int(sample_counts[c]) for c in cells)
    notes: tuple[Note, ...] = ()
    if smallest < SMALL_CELL:
        notes = (
            Note(
                "small_cell",
                f"a post-stratification cell has only {smallest} respondents (< {SMALL_CELL}); "
                "its weight is unstable — consider collapsing cells",
            ),
        )
    return CellWeights(
        weights=weights,
        design_effect=kish_design_effect(
            [weights[c] for c in cells], [sample_counts[c] for c in cells]
        ),
        method="post-stratification, w_h = (N_h/N)/(n_h/n)",
        notes=notes,
    )


def rake(
    variables: Mapping[str, Sequence[Hashable]],
    targets: Mapping[str, Mapping[Hashable, float]],
    base_weights: ArrayLike | None = None,
    *,
    counts: ArrayLike | None = None,
    tolerance: float = 1e-6,
    max_iterations: int = 100,
    bounds: tuple[float, float] | None = None,
    max_trim_rounds: int = 20,
    total: float | None = None,
) -> RakingResult:
    """Raking (iterative proportional fitting) of weights to known margins.

    ``variables`` maps each raking variable to one category per row;
    ``targets`` gives each variable's population shares or counts (they are
    normalised to shares). A row is one respondent, or a cell of a count
    table standing for ``counts`` respondents (as returned by SQL
    ``GROUP BY``). Starting from ``base_weights`` (design weights per
    respondent, default 1), each sweep multiplies the weights of category c of
    each variable in turn by ``target_c / current weighted share_c``; sweeps
    stop when every weighted share is within ``tolerance`` of its target or
    after ``max_iterations``.

    With ``bounds = (low, high)`` the weights (on the mean-1 scale) are
    trimmed to the bounds and raked again, repeatedly, until they respect
    the bounds after raking, within a relative slack of 1e-4 (Battaglia et al.
    2009); bounds that no set of weights can meet end with a note. Categories with a target
    but no respondents (empty cells), categories without a target and
    non-positive targets raise ``ValueError``. The returned weights are per
    respondent and average 1 over respondents (or sum to ``total``).
    References: Deming & Stephan (1940) *Annals of Mathematical Statistics*
    11(4):427–444; Battaglia, Izrael, Hoaglin & Frankel (2009) Practical
    considerations in raking survey data, *Survey Practice* 2(5);
    Kolenikov (2014) *Stata Journal* 14(1):22–59.
    """
    if not variables:
        raise ValueError("at least one raking variable is needed")
    if set(variables) != set(targets):
        missing = set(variables) ^ set(targets)
        raise ValueError(f"variables and targets must name the same variables: {sorted(missing)}")
    if not (tolerance > 0 and max_iterations >= 1):
        raise ValueError("tolerance must be positive and max_iterations at least 1")
    sizes = {len(codes) for codes in variables.values()}
    if len(sizes) != 1:
        raise ValueError("every raking variable must have one category per row")
    rows = sizes.pop()
    if rows == 0:
        raise ValueError("there are no rows to weight")
    c = _counts(counts, rows)
    w = np.ones(rows) if base_weights is None else _weight_vector(base_weights)
    if len(w) != rows:
        raise ValueError(f"base_weights must have one value per row ({rows})")
    if bounds is not None and not (0 < bounds[0] < 1 < bounds[1]):
        raise ValueError("bounds must satisfy 0 < low < 1 < high (on the mean-1 scale)")
    if total is not None and not (math.isfinite(total) and total > 0):
        raise ValueError("total must be a positive number")

    margins = [_margin(name, variables[name], targets[name], c) for name in variables]
    notes: list[Note] = []
    w, iterations, error = _ipf(w, c, margins, tolerance, max_iterations)
    trimmed = False
    if bounds is not None:
        low, high = bounds
        for _ in range(max_trim_rounds):
            relative = w / (c @ w / c.sum())
            slack = BOUND_TOLERANCE
            if not np.any((relative < low * (1 - slack)) | (relative > high * (1 + slack))):
                break
            trimmed = True
            w, more, error = _ipf(
                np.clip(relative, low, high), c, margins, tolerance, max_iterations
            )
            iterations += more
        else:
            notes.append(
                Note(
                    "trimming_incomplete",
                    f"after {max_trim_rounds} trim-and-rake rounds some weights are still "
                    "outside the bounds",
                )
            )
        if trimmed:
            notes.append(
                Note("trimmed", f"weights were trimmed to [{low:g}, {high:g}] and re-raked")
            )
    converged = error < tolerance
    if not converged:
        notes.append(
            Note(
                "not_converged",
                f"raking did not reach the tolerance {tolerance:g} in {max_iterations} sweeps "
                f"(largest margin error {error:.3g}); the margins may be inconsistent",
            )
        )
    scale = (c.sum() if total is None else total) / float(c @ w)
    final = w * scale
    return RakingResult(
        weights=final,
        converged=converged,
        iterations=iterations,
        max_margin_error=error,
        trimmed=trimmed,
        design_effect=kish_design_effect(final, c),
        method="raking (iterative proportional fitting) on "
        + ", ".join(variables)
        + (f", trimmed to [{bounds[0]:g}, {bounds[1]:g}]" if bounds else ""),
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------
# weighted estimates
# ---------------------------------------------------------------------------


def weighted_mean(
    values: ArrayLike,
    weights: ArrayLike,
    confidence: float = CONFIDENCE,
    *,
    counts: ArrayLike | None = None,
) -> Estimate:
    """Weighted mean with a t-interval on the effective sample size.

    ``x̄_w = Σwx/Σw``; ``s_w² = Σw(x − x̄_w)²/Σw``;
    ``SE = √(s_w²/(n_eff − 1))`` with Kish's ``n_eff``, and a t quantile on
    ``n_eff − 1`` degrees of freedom. With equal weights this is the usual
    t-interval ``x̄ ± t·s/√n``. ``counts`` lets a row stand for several
    respondents with the same value and weight (a count table).
    Reference: Kish (1965) §11.7; domain policy §9.15.
    """
    _check_confidence(confidence)
    x = np.asarray(values, dtype=np.float64)
    w = _weight_vector(weights, allow_zero=True)
    c = _counts(counts, len(w))
    if x.shape != w.shape:
        raise ValueError("values and weights must have the same length")
    if not np.all(np.isfinite(x)):
        raise ValueError("values must be finite numbers (remove missing answers first)")
    keep = w > 0
    x, w, c = x[keep], w[keep], c[keep]
    deff = kish_design_effect(w, c)
    if deff.n < 2:
        raise ValueError("a weighted mean with an interval needs at least two answers")
    mass = w * c
    mean = float(mass @ x / mass.sum())
    var = float(mass @ (x - mean) ** 2 / mass.sum())
    notes = list(small_n_note(deff.n))
    if deff.n_eff <= 1.0 + 1e-12:
        interval = Interval(math.nan, math.nan, confidence)
        notes.append(Note("no_interval", "the effective sample size is too small for an interval"))
    else:
        se = math.sqrt(var / (deff.n_eff - 1))
        t = t_quantile(0.5 + confidence / 2, deff.n_eff - 1)
        interval = Interval(mean - t * se, mean + t * se, confidence)
    if deff.deff > 1 + 1e-12:
        notes.append(_deff_note(deff))
    return Estimate(
        value=mean,
        interval=interval,
        n=deff.n,
        method=f"weighted mean, t-interval on Kish n_eff = {deff.n_eff:.1f}",
        notes=tuple(notes),
    )


def weighted_proportion(
    indicator: ArrayLike,
    weights: ArrayLike,
    confidence: float = CONFIDENCE,
    *,
    counts: ArrayLike | None = None,
) -> Estimate:
    """Weighted proportion with a Wilson interval on the effective sample size.

    ``p̂_w = Σw·1[yes]/Σw``; Wilson with ``n_eff`` in place of n:
    centre ``(p̂ + z²/(2n_eff))/(1 + z²/n_eff)``, half-width
    ``z·√(p̂(1 − p̂)/n_eff + z²/(4n_eff²))/(1 + z²/n_eff)``. With equal
    weights this is the ordinary Wilson interval. ``counts`` lets a row stand
    for several respondents (a count table).
    References: Wilson (1927) *JASA* 22:209–212; Kish (1965); domain policy
    §9.2 and §9.15.
    """
    _check_confidence(confidence)
    y = np.asarray(indicator)
    w = _weight_vector(weights, allow_zero=True)
    c = _counts(counts, len(w))
    if y.shape != w.shape:
        raise ValueError("indicator and weights must have the same length")
    yf = y.astype(np.float64)
    if not np.all((yf == 0) | (yf == 1)):
        raise ValueError("indicator must be 0/1 or boolean")
    keep = w > 0
    yf, w, c = yf[keep], w[keep], c[keep]
    deff = kish_design_effect(w, c)
    mass = w * c
    p = float(mass @ yf / mass.sum())
    z = _z(confidence)
    n_eff = deff.n_eff
    denom = 1 + z * z / n_eff
    centre = (p + z * z / (2 * n_eff)) / denom
    half = z * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff)) / denom
    notes = list(small_n_note(deff.n))
    if deff.deff > 1 + 1e-12:
        notes.append(_deff_note(deff))
    return Estimate(
        value=p,
        interval=Interval(max(0.0, centre - half), min(1.0, centre + half), confidence),
        n=deff.n,
        method=f"weighted proportion, Wilson interval on Kish n_eff = {n_eff:.1f}",
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Margin:
    name: str
    codes: NDArray[np.int64]
    shares: FloatArray


def _margin(
    name: str,
    categories: Sequence[Hashable],
    target: Mapping[Hashable, float],
    counts: FloatArray,
) -> _Margin:
    if not target:
        raise ValueError(f"targets for {name!r} are empty")
    labels = list(target)
    index = {label: i for i, label in enumerate(labels)}
    codes = np.empty(len(categories), dtype=np.int64)
    for row, category in enumerate(categories):
        if category not in index:
            raise ValueError(f"category {category!r} of {name!r} has no target")
        codes[row] = index[category]
    values = np.array([float(target[label]) for label in labels])
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(
            f"targets for {name!r} must be positive; drop empty categories from the targets"
        )
    present = np.bincount(codes, weights=counts, minlength=len(labels))
    for label, respondents in zip(labels, present, strict=True):
        if respondents <= 0:
            raise ValueError(
                f"category {label!r} of {name!r} has a target but no respondents (empty cell); "
                "collapse it with a neighbouring category"
            )
    return _Margin(name=name, codes=codes, shares=values / values.sum())


def _ipf(
    w: FloatArray,
    counts: FloatArray,
    margins: Sequence[_Margin],
    tolerance: float,
    max_iterations: int,
) -> tuple[FloatArray, int, float]:
    """Sweeps of iterative proportional fitting on per-respondent weights ``w``."""
    w = w.copy()
    error = _margin_error(w * counts, margins)
    sweeps = 0
    while error >= tolerance and sweeps < max_iterations:
        sweeps += 1
        for margin in margins:
            mass = w * counts
            current = np.bincount(margin.codes, weights=mass, minlength=len(margin.shares))
            w *= (margin.shares / (current / mass.sum()))[margin.codes]
        error = _margin_error(w * counts, margins)
    return w, sweeps, error


def _margin_error(mass: FloatArray, margins: Sequence[_Margin]) -> float:
    total = mass.sum()
    return max(
        float(
            np.max(
                np.abs(
                    np.bincount(m.codes, weights=mass, minlength=len(m.shares)) / total - m.shares
                )
            )
        )
        for m in margins
    )


def _deff_note(deff: DesignEffect) -> Note:
    return Note(
        "design_effect",
        f"unequal weights: design effect {deff.deff:.2f}, effective sample size "
        f"{deff.n_eff:.1f} of {deff.n}",
    )


def _weight_vector(weights: ArrayLike, *, allow_zero: bool = False) -> FloatArray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or len(w) == 0:
        raise ValueError("weights must be a non-empty one-dimensional array")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    if not allow_zero and np.any(w == 0):
        raise ValueError("weights must be positive")
    if w.sum() <= 0:
        raise ValueError("weights must not all be zero")
    return w


def _counts(counts: ArrayLike | None, rows: int) -> FloatArray:
    if counts is None:
        return np.ones(rows)
    c = np.asarray(counts, dtype=np.float64)
    if c.shape != (rows,):
        raise ValueError(f"counts must have one value per row ({rows})")
    if not np.all(np.isfinite(c)) or np.any(c <= 0) or np.any(c != np.round(c)):
        raise ValueError("counts must be positive whole numbers (drop empty rows)")
    return c


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1, e.g. 0.95")


def _check_population(population: int) -> None:
    if isinstance(population, bool) or not isinstance(population, int) or population < 1:
        raise ValueError("population size must be a positive whole number")


def _z(confidence: float) -> float:
    return normal_quantile(0.5 + confidence / 2)


def _ceil(x: float) -> int:
    """Round up, ignoring floating-point noise (384.0000000001 → 384)."""
    return math.ceil(x - 1e-9)
