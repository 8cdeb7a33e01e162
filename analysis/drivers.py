"""Key driver analysis: which service attributes move overall satisfaction.

Outcome ``y`` is overall satisfaction; predictors ``Xⱼ`` are the attribute
ratings. Satisfaction items are strongly correlated with each other, so
ordinary regression coefficients are unstable and cannot rank importance.
This module offers three answers and one picture:

* **Relative weights** (wagi względne; Johnson 2000): the predictors are
  replaced by their closest orthogonal counterparts, whose squared
  regression weights are mapped back; the weights εⱼ sum to R².
* **LMG / Shapley value** (Lindeman, Merenda & Gold 1980; Grömping 2006;
  general dominance of Budescu 1993): the average gain in R² from adding
  ``Xⱼ`` over all orders of entry, by exact enumeration of the 2ᵖ subsets.
  Also sums to R². Limited to 12 predictors (4,096 regressions).
* **Ordinal logistic regression** (regresja logistyczna porządkowa,
  proportional odds; McCullagh 1980) for a single ordinal outcome, through
  statsmodels ``OrderedModel`` with the logit link, odds ratios with
  confidence intervals and the thresholds (cut-points) on the logit scale.
* **Importance–performance analysis** (analiza ważności i oceny, IPA;
  Martilla & James 1977) places each attribute in one of four quadrants.

All functions accept frequency weights, so a count table (one row per
distinct answer pattern with its count) gives the same answer as the
expanded respondent rows. Rows with a missing value in any variable are
dropped (listwise deletion) and the number dropped is reported.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel  # type: ignore[import-untyped]

from analysis.results import CONFIDENCE, Interval, Note, small_n_note

FloatArray = NDArray[np.float64]

MAX_SHAPLEY_PREDICTORS: Final = 12
"""Exact LMG/Shapley enumeration is offered up to this many predictors."""


# ---------------------------------------------------------------------------
# typed results
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Importance:
    """The importance of one predictor.

    ``raw`` is its share of R² (the raw weights sum to R²); ``rescaled`` is
    the same as a percentage of R² (sums to 100); ``sign`` is the sign of its
    correlation with the outcome.
    """

    name: str
    raw: float
    rescaled: float
    sign: int


@dataclass(frozen=True, slots=True)
class DriverImportance:
    """Importance of every predictor from one method, with R² and n."""

    method: str
    r_squared: float
    n: int
    items: tuple[Importance, ...]
    notes: tuple[Note, ...] = field(default=())

    def by_name(self) -> dict[str, Importance]:
        return {item.name: item for item in self.items}


@dataclass(frozen=True, slots=True)
class OddsRatio:
    """One predictor of an ordinal logit: β, its standard error, OR = exp(β) and CI."""

    name: str
    coefficient: float
    std_error: float
    odds_ratio: float
    interval: Interval
    p_value: float


@dataclass(frozen=True, slots=True)
class OrdinalLogitResult:
    """Proportional-odds model: P(Y ≤ j | x) = F(τⱼ − xβ), F the logistic CDF.

    ``thresholds`` are the cut-points τⱼ between successive ``levels`` (on the
    logit scale, already converted from statsmodels' increment
    parameterisation); ``threshold_labels`` name them ``"low|high"``.
    """

    levels: tuple[str, ...]
    odds_ratios: tuple[OddsRatio, ...]
    thresholds: tuple[float, ...]
    threshold_labels: tuple[str, ...]
    n: float
    log_likelihood: float
    pseudo_r2_mcfadden: float
    converged: bool
    method: str
    notes: tuple[Note, ...] = field(default=())


QuadrantCode = Literal[
    "concentrate_here", "keep_up_the_good_work", "low_priority", "possible_overkill"
]

QUADRANTS: Final[dict[QuadrantCode, tuple[str, str]]] = {
    "concentrate_here": ("I", "Concentrate here"),
    "keep_up_the_good_work": ("II", "Keep up the good work"),
    "low_priority": ("III", "Low priority"),
    "possible_overkill": ("IV", "Possible overkill"),
}
"""Quadrant code → (Roman numeral, English name) after Martilla & James (1977)."""


@dataclass(frozen=True, slots=True)
class IPAPoint:
    """One attribute on the importance–performance grid."""

    name: str
    performance: float
    importance: float
    quadrant: QuadrantCode
    numeral: str
    label: str


@dataclass(frozen=True, slots=True)
class IPAResult:
    """Importance–performance grid with the crosshairs used and their origin."""

    points: tuple[IPAPoint, ...]
    performance_crosshair: float
    importance_crosshair: float
    crosshair: Literal["grand_mean", "scale_midpoint"]
    importance_source: Literal["stated", "derived"]
    method: str
    notes: tuple[Note, ...] = field(default=())


# ---------------------------------------------------------------------------
# relative weights and LMG
# ---------------------------------------------------------------------------


def relative_weights(
    predictors: ArrayLike,
    outcome: ArrayLike,
    names: Sequence[str] | None = None,
    weights: ArrayLike | None = None,
) -> DriverImportance:
    """Johnson's (2000) relative weights.

    With the predictor correlation matrix ``R_xx = VΛVᵀ``, ``Λ* = VΛ^{1/2}Vᵀ``
    (correlations between the predictors and their orthogonal counterparts)
    and ``β* = Λ*⁻¹ r_xy``, the weight of predictor j is
    ``εⱼ = Σₖ (λ*ⱼₖ)² (β*ₖ)²``. ``Σ εⱼ = R²``; rescaled weights are
    ``100·εⱼ/R²``.
    Reference: Johnson, J.W. (2000) A heuristic method for estimating the
    relative weight of predictor variables in multiple regression,
    *Multivariate Behavioral Research* 35(1):1–19; R package ``rwa``.
    """
    x, y, w, labels, notes = _regression_inputs(predictors, outcome, names, weights)
    r_xx, r_xy = _correlations(x, y, w)
    eigenvalues, vectors = np.linalg.eigh(r_xx)
    if eigenvalues.min() <= 1e-10:
        raise ValueError("predictors are perfectly collinear; drop or merge redundant items")
    lam = vectors @ np.diag(np.sqrt(eigenvalues)) @ vectors.T
    beta = np.linalg.solve(lam, r_xy)
    raw = (lam**2) @ (beta**2)
    r2 = float(raw.sum())
    return _importance("relative weights (Johnson 2000)", r2, raw, r_xy, labels, w, notes)


def lmg_shapley(
    predictors: ArrayLike,
    outcome: ArrayLike,
    names: Sequence[str] | None = None,
    weights: ArrayLike | None = None,
) -> DriverImportance:
    """LMG / Shapley decomposition of R² by exact enumeration.

    ``LMGⱼ = Σ_{S ⊆ P∖{j}} |S|!(p − |S| − 1)!/p! · [R²(S ∪ {j}) − R²(S)]``
    with ``R²(S) = r_Sᵀ R_SS⁻¹ r_S``; the values sum to R² of the full model.
    At most 12 predictors (2¹² = 4,096 subsets).
    Reference: Lindeman, Merenda & Gold (1980); Grömping, U. (2006)
    Relative importance for linear regression in R: the package relaimpo,
    *Journal of Statistical Software* 17(1); Budescu (1993).
    """
    x, y, w, labels, notes = _regression_inputs(predictors, outcome, names, weights)
    p = x.shape[1]
    if p > MAX_SHAPLEY_PREDICTORS:
        raise ValueError(
            f"exact LMG/Shapley enumeration is limited to {MAX_SHAPLEY_PREDICTORS} predictors "
            f"(got {p}, which would need {2**p:,} regressions); use relative weights instead"
        )
    r_xx, r_xy = _correlations(x, y, w)
    if np.linalg.eigvalsh(r_xx).min() <= 1e-10:
        raise ValueError("predictors are perfectly collinear; drop or merge redundant items")
    r2_of: dict[int, float] = {0: 0.0}
    for mask in range(1, 1 << p):
        idx = [j for j in range(p) if mask >> j & 1]
        sub = r_xy[idx]
        r2_of[mask] = float(sub @ np.linalg.solve(r_xx[np.ix_(idx, idx)], sub))
    weight_of_size = [
        math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)
    ]
    shares = np.zeros(p)
    for j in range(p):
        bit = 1 << j
        for mask in range(1 << p):
            if mask & bit:
                continue
            shares[j] += weight_of_size[mask.bit_count()] * (r2_of[mask | bit] - r2_of[mask])
    r2 = r2_of[(1 << p) - 1]
    return _importance(
        "LMG / Shapley value (exact enumeration)", r2, shares, r_xy, labels, w, notes
    )


# ---------------------------------------------------------------------------
# ordinal logistic regression
# ---------------------------------------------------------------------------


class _FrequencyWeightedOrderedModel(OrderedModel):  # type: ignore[misc]
    """OrderedModel whose log-likelihood counts each row ``weight`` times.

    Each row's log-likelihood is multiplied by its frequency weight, so a
    count table gives the same estimates and standard errors as the expanded
    rows; the null-model start values use weighted category frequencies.
    """

    def __init__(self, endog: Any, exog: Any, freq_weights: FloatArray, **kwds: Any) -> None:
        self.freq_weights = freq_weights
        super().__init__(endog, exog, **kwds)

    def loglikeobs(self, params: FloatArray) -> FloatArray:
        values: FloatArray = self.freq_weights * super().loglikeobs(params)
        return values

    @property
    def start_params(self) -> FloatArray:
        counts = np.bincount(self.endog, weights=self.freq_weights, minlength=self.k_levels)
        freq = counts / counts.sum()
        start_ppf = self.distr.ppf(np.clip(freq.cumsum(), 0, 1))
        start_threshold = self.transform_reverse_threshold_params(start_ppf)
        return np.concatenate((np.zeros(self.k_vars), start_threshold))


def ordinal_logit(
    outcome: Sequence[Hashable],
    predictors: ArrayLike,
    levels: Sequence[Hashable],
    names: Sequence[str] | None = None,
    weights: ArrayLike | None = None,
    *,
    confidence: float = CONFIDENCE,
    maxiter: int = 2000,
) -> OrdinalLogitResult:
    """Proportional-odds (ordinal logistic) regression with odds ratios.

    ``P(Y ≤ j | x) = 1/(1 + exp(−(τⱼ − xβ)))``; a positive β shifts answers
    upwards, ``OR = exp(β)`` is the factor on the odds of answering above any
    cut-point per unit of the predictor (same convention as R ``MASS::polr``).

    ``levels`` declares every scale level in order, so a period in which a
    level was never chosen does not shift the cut-points; a declared level with
    no observations is dropped with a note, because its cut-point would be
    infinite. No constant column is allowed (the thresholds play its role).
    Fitted by BFGS (gradient tolerance 1e-6); convergence and any optimiser
    warning become notes.
    Reference: McCullagh (1980), *JRSS B* 42(2):109–142; statsmodels
    ``OrderedModel`` (``distr="logit"``).
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    level_list = list(levels)
    if len(level_list) < 2 or len(set(level_list)) != len(level_list):
        raise ValueError("levels must list at least two distinct outcome levels in order")
    x = np.asarray(predictors, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError("predictors must be a (rows × predictors) array")
    y = list(outcome)
    if len(y) != x.shape[0]:
        raise ValueError(f"outcome has {len(y)} rows but predictors have {x.shape[0]}")
    labels = _names(names, x.shape[1])
    w = _weights(weights, x.shape[0])
    position = {level: i for i, level in enumerate(level_list)}
    codes = np.empty(len(y), dtype=np.int64)
    keep: NDArray[np.bool_] = np.asarray(np.isfinite(x).all(axis=1), dtype=bool)
    for i, value in enumerate(y):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            keep[i] = False
            codes[i] = -1
        elif value in position:
            codes[i] = position[value]
        else:
            raise ValueError(f"outcome value {value!r} is not one of the declared levels")
    notes: list[Note] = []
    dropped = int((~keep).sum())
    if dropped:
        notes.append(Note("listwise_deletion", f"{dropped} rows with missing values were dropped"))
    keep &= w > 0
    x, codes, w = x[keep], codes[keep], w[keep]
    if len(codes) == 0:
        raise ValueError("no complete rows to fit")
    for j, name in enumerate(labels):
        if np.ptp(x[:, j]) == 0:
            raise ValueError(
                f"predictor {name!r} is constant; the thresholds already play the role of "
                "an intercept, so remove it"
            )
    observed = np.bincount(codes, weights=w, minlength=len(level_list)) > 0
    used = [level for level, seen in zip(level_list, observed, strict=True) if seen]
    if len(used) < 2:
        raise ValueError("the outcome takes a single level; there is nothing to model")
    if len(used) < len(level_list):
        empty = [str(level) for level, seen in zip(level_list, observed, strict=True) if not seen]
        notes.append(
            Note(
                "empty_levels",
                f"levels with no answers ({', '.join(empty)}) were left out; "
                "cut-points refer to the observed levels",
            )
        )
    remap = {old: new for new, old in enumerate(i for i, seen in enumerate(observed) if seen)}
    codes = np.array([remap[int(c)] for c in codes], dtype=np.int64)
    level_names = [str(level) for level in used]
    endog = pd.Series(
        pd.Categorical.from_codes(codes, categories=pd.Index(level_names), ordered=True),
        name="outcome",
    )
    exog = pd.DataFrame(x, columns=list(labels))
    weighted = not np.all(w == 1.0)
    n_effective = float(w.sum())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if weighted:
            model = _FrequencyWeightedOrderedModel(endog, exog, freq_weights=w, distr="logit")
        else:
            model = OrderedModel(endog, exog, distr="logit")
        fit = model.fit(method="bfgs", maxiter=maxiter, gtol=1e-6, disp=False)
        params = np.asarray(fit.params, dtype=np.float64)
        bse = np.asarray(fit.bse, dtype=np.float64)
        pvalues = np.asarray(fit.pvalues, dtype=np.float64)
        llf = float(fit.llf)
        prsquared = float(fit.prsquared)
    converged = bool(fit.mle_retvals.get("converged", False))
    if not converged:
        notes.append(
            Note(
                "not_converged",
                "the optimiser did not converge; sparse levels may cause separation — "
                "merge them or model top-2-box instead",
            )
        )
    seen_messages: set[str] = set()
    for warning in caught:
        message = f"{warning.category.__name__}: {warning.message}"
        if message not in seen_messages:
            seen_messages.add(message)
            notes.append(Note("fit_warning", message))
    k = x.shape[1]
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    ratios = tuple(
        OddsRatio(
            name=labels[j],
            coefficient=float(params[j]),
            std_error=float(bse[j]),
            odds_ratio=math.exp(params[j]),
            interval=Interval(
                math.exp(params[j] - z * bse[j]), math.exp(params[j] + z * bse[j]), confidence
            ),
            p_value=float(pvalues[j]),
        )
        for j in range(k)
    )
    cuts = np.asarray(model.transform_threshold_params(params), dtype=np.float64)[1:-1]
    notes.extend(small_n_note(round(n_effective)))
    return OrdinalLogitResult(
        levels=tuple(level_names),
        odds_ratios=ratios,
        thresholds=tuple(float(c) for c in cuts),
        threshold_labels=tuple(f"{a}|{b}" for a, b in itertools.pairwise(level_names)),
        n=n_effective,
        log_likelihood=llf,
        pseudo_r2_mcfadden=prsquared,
        converged=converged,
        method="ordinal logistic regression (proportional odds, statsmodels OrderedModel, "
        "logit link, BFGS)" + (", frequency-weighted" if weighted else ""),
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------
# importance–performance analysis
# ---------------------------------------------------------------------------


def importance_performance(
    names: Sequence[str],
    performance: ArrayLike,
    importance: ArrayLike,
    *,
    crosshair: Literal["grand_mean", "scale_midpoint"] = "grand_mean",
    importance_source: Literal["stated", "derived"] = "derived",
    performance_scale: tuple[float, float] | None = None,
    importance_scale: tuple[float, float] | None = None,
) -> IPAResult:
    """Importance–performance analysis (Martilla & James 1977).

    Each attribute is placed by its performance (x, e.g. mean rating) and
    importance (y, stated or derived). Crosshairs at the grand means of the
    attributes (default) or at the scale midpoints ``(min + max)/2``, which
    then need both scales. A value equal to a crosshair counts as high.
    Quadrants: I "Concentrate here" (high importance, low performance),
    II "Keep up the good work" (high, high), III "Low priority" (low, low),
    IV "Possible overkill" (low importance, high performance).
    Reference: Martilla, J.A. & James, J.C. (1977) Importance–performance
    analysis, *Journal of Marketing* 41(1):77–79.
    """
    labels = [str(name) for name in names]
    perf = np.asarray(performance, dtype=np.float64)
    imp = np.asarray(importance, dtype=np.float64)
    if perf.ndim != 1 or imp.ndim != 1 or not (len(labels) == len(perf) == len(imp)):
        raise ValueError("names, performance and importance must have the same length")
    if len(labels) < 2:
        raise ValueError("importance–performance analysis needs at least two attributes")
    if not (np.all(np.isfinite(perf)) and np.all(np.isfinite(imp))):
        raise ValueError("performance and importance must be finite numbers")
    if len(set(labels)) != len(labels):
        raise ValueError("attribute names must be unique")
    if importance_source not in ("stated", "derived"):
        raise ValueError("importance_source must be 'stated' or 'derived'")
    if crosshair == "grand_mean":
        x_cross, y_cross = float(perf.mean()), float(imp.mean())
        where = "grand means of the attributes"
    elif crosshair == "scale_midpoint":
        if performance_scale is None or importance_scale is None:
            raise ValueError(
                "scale-midpoint crosshairs need performance_scale and importance_scale (min, max)"
            )
        x_cross = (performance_scale[0] + performance_scale[1]) / 2
        y_cross = (importance_scale[0] + importance_scale[1]) / 2
        where = "scale midpoints"
    else:
        raise ValueError("crosshair must be 'grand_mean' or 'scale_midpoint'")
    points = []
    for name, x_val, y_val in zip(labels, perf, imp, strict=True):
        high_importance = y_val >= y_cross
        high_performance = x_val >= x_cross
        code: QuadrantCode
        if high_importance and not high_performance:
            code = "concentrate_here"
        elif high_importance:
            code = "keep_up_the_good_work"
        elif not high_performance:
            code = "low_priority"
        else:
            code = "possible_overkill"
        numeral, label = QUADRANTS[code]
        points.append(IPAPoint(name, float(x_val), float(y_val), code, numeral, label))
    return IPAResult(
        points=tuple(points),
        performance_crosshair=x_cross,
        importance_crosshair=y_cross,
        crosshair=crosshair,
        importance_source=importance_source,
        method=f"importance–performance analysis (Martilla & James 1977), crosshairs at the "
        f"{where}, {importance_source} importance",
    )


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _regression_inputs(
    predictors: ArrayLike,
    outcome: ArrayLike,
    names: Sequence[str] | None,
    weights: ArrayLike | None,
) -> tuple[FloatArray, FloatArray, FloatArray, tuple[str, ...], list[Note]]:
    x = np.asarray(predictors, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or y.ndim != 1:
        raise ValueError("predictors must be (rows × predictors) and outcome one-dimensional")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"outcome has {y.shape[0]} rows but predictors have {x.shape[0]}")
    labels = _names(names, x.shape[1])
    w = _weights(weights, x.shape[0])
    keep: NDArray[np.bool_] = np.asarray(np.isfinite(x).all(axis=1) & np.isfinite(y), dtype=bool)
    notes: list[Note] = []
    dropped = int((~keep).sum())
    if dropped:
        notes.append(Note("listwise_deletion", f"{dropped} rows with missing values were dropped"))
    keep &= w > 0
    x, y, w = x[keep], y[keep], w[keep]
    if x.shape[0] < x.shape[1] + 2:
        raise ValueError(f"{x.shape[0]} complete rows are too few for {x.shape[1]} predictors")
    for j, name in enumerate((*labels, "outcome")):
        column = y if j == len(labels) else x[:, j]
        if np.ptp(column) == 0:
            raise ValueError(f"{name!r} does not vary; it cannot enter a driver analysis")
    return x, y, w, labels, notes


def _correlations(x: FloatArray, y: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted Pearson correlations: predictor matrix and predictor–outcome vector."""
    data = np.column_stack([x, y])
    mean = w @ data / w.sum()
    centred = data - mean
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    p = x.shape[1]
    return corr[:p, :p], corr[:p, p]


def _importance(
    method: str,
    r2: float,
    raw: FloatArray,
    r_xy: FloatArray,
    labels: tuple[str, ...],
    w: FloatArray,
    notes: list[Note],
) -> DriverImportance:
    n = float(w.sum())
    items = tuple(
        Importance(
            name=name,
            raw=float(value),
            rescaled=float(100.0 * value / r2) if r2 > 0 else math.nan,
            sign=int(np.sign(r)),
        )
        for name, value, r in zip(labels, raw, r_xy, strict=True)
    )
    all_notes = [*notes, *small_n_note(round(n))]
    return DriverImportance(
        method=method, r_squared=r2, n=round(n), items=items, notes=tuple(all_notes)
    )


def _names(names: Sequence[str] | None, count: int) -> tuple[str, ...]:
    if names is None:
        return tuple(f"x{j + 1}" for j in range(count))
    labels = tuple(str(name) for name in names)
    if len(labels) != count:
        raise ValueError(f"got {len(labels)} names for {count} predictors")
    if len(set(labels)) != count:
        raise ValueError("predictor names must be unique")
    return labels


def _weights(weights: ArrayLike | None, rows: int) -> FloatArray:
    if weights is None:
        return np.ones(rows)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (rows,):
        raise ValueError(f"weights must have one value per row ({rows})")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    return w
