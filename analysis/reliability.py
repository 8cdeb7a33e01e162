"""Scale reliability ("rzetelność skali"): Cronbach's alpha and McDonald's omega.

Input is a respondents × items array of item scores (reverse-keyed items already
recoded). Missing answers ("nie dotyczy", NaN) are handled by **listwise
deletion**: a respondent enters only if every item is answered, and the number
of respondents dropped is reported. This keeps alpha, its interval, the item
statistics and omega on one and the same set of people.

* Cronbach's alpha: α = k/(k − 1) · (1 − Σσᵢ²/σ_X²) with sample variances
  (ddof = 1); standardised alpha α_std = k·r̄/(1 + (k − 1)·r̄) from the mean
  inter-item correlation (Cronbach 1951).
* Feldt (1965) confidence interval, as in pingouin and R ``psych::alpha.ci``:
  df₁ = n − 1, df₂ = (n − 1)(k − 1),
  lower = 1 − (1 − α)·F⁻¹(1 − γ/2; df₁, df₂), upper = 1 − (1 − α)·F⁻¹(γ/2; df₁, df₂)
  for a (1 − γ) interval.
* Item analysis: alpha if the item is deleted and the corrected item–rest
  correlation (the item against the sum of the other items).
* McDonald's omega total from a **one-factor model fitted by minimum residuals
  (minres / unweighted least squares)** to the item correlation matrix — the
  default factoring method of R ``psych::fa`` and ``psych::omega``: the
  loadings λ minimise Σ_{i<j} (rᵢⱼ − λᵢλⱼ)², uniquenesses ψᵢ = 1 − λᵢ², and
  ω = (Σλᵢ)² / ((Σλᵢ)² + Σψᵢ) (McDonald 1999, *Test Theory*). Omega uses the
  model-implied total variance in the denominator.

Convention: α (and ω) of at least 0.70 is taken as acceptable; lower values get
a ``low_reliability`` note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from analysis.results import CONFIDENCE, Estimate, Interval, Note, small_n_note

RELIABILITY_THRESHOLD = 0.70
"""Conventional minimum for α and ω (Nunnally 1978)."""


@dataclass(frozen=True, slots=True)
class ItemStatistics:
    """Item analysis for one column of the scale."""

    index: int
    mean: float
    sd: float
    item_rest_correlation: float
    alpha_if_deleted: float


@dataclass(frozen=True, slots=True)
class AlphaResult:
    """Cronbach's alpha with Feldt interval, standardised alpha and item analysis."""

    alpha: Estimate
    standardized_alpha: float
    n_items: int
    n_dropped: int
    items: tuple[ItemStatistics, ...]
    notes: tuple[Note, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class OmegaResult:
    """McDonald's omega total from a one-factor minres solution."""

    omega: Estimate
    loadings: tuple[float, ...]
    uniquenesses: tuple[float, ...]
    n_dropped: int
    notes: tuple[Note, ...] = field(default=())


def complete_cases(data: ArrayLike) -> tuple[NDArray[np.float64], int]:
    """Listwise deletion: keep respondents who answered every item.

    Returns ``(complete rows, number of rows dropped)``.
    """
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("data must be a respondents x items array")
    if np.any(np.isinf(x)):
        raise ValueError("data must not contain infinite values; use NaN for missing")
    keep = np.all(np.isfinite(x), axis=1)
    return x[keep], int((~keep).sum())


def _prepared(data: ArrayLike, min_items: int) -> tuple[NDArray[np.float64], int]:
    x, dropped = complete_cases(data)
    if x.shape[1] < min_items:
        raise ValueError(f"a scale needs at least {min_items} items, got {x.shape[1]}")
    if x.shape[0] < 2:
        raise ValueError("at least two respondents with complete answers are required")
    return x, dropped


def _alpha(x: NDArray[np.float64]) -> float:
    k = int(x.shape[1])
    total_var = float(np.var(x.sum(axis=1), ddof=1))
    if total_var == 0:
        return math.nan
    item_var = float(np.var(x, axis=0, ddof=1).sum())
    return k / (k - 1) * (1 - item_var / total_var)


def feldt_interval(alpha: float, n: int, k: int, level: float = CONFIDENCE) -> Interval:
    """Feldt (1965) interval for Cronbach's alpha from n respondents and k items."""
    if not 0 < level < 1:
        raise ValueError("confidence level must lie strictly between 0 and 1")
    if n < 2 or k < 2:
        raise ValueError("the Feldt interval needs n >= 2 respondents and k >= 2 items")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    gamma = 1 - level
    lower = 1 - (1 - alpha) * float(stats.f.ppf(1 - gamma / 2, df1, df2))
    upper = 1 - (1 - alpha) * float(stats.f.ppf(gamma / 2, df1, df2))
    return Interval(lower, upper, level)


def _correlation(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    if np.std(a) == 0 or np.std(b) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def _standardized_alpha(x: NDArray[np.float64]) -> float:
    k = int(x.shape[1])
    if np.any(np.std(x, axis=0) == 0):
        return math.nan
    corr = np.corrcoef(x, rowvar=False)
    mean_r = float((corr.sum() - k) / (k * (k - 1)))
    return k * mean_r / (1 + (k - 1) * mean_r)


def cronbach_alpha(data: ArrayLike, *, level: float = CONFIDENCE) -> AlphaResult:
    """Cronbach's alpha with Feldt interval, standardised alpha and item analysis.

    Listwise deletion of incomplete respondents; a ``low_reliability`` note is
    attached when α < 0.70, and a ``constant_item`` note when an item does not
    vary (its correlations, and the standardised alpha, are then undefined).
    """
    x, dropped = _prepared(data, 2)
    n, k = x.shape
    alpha = _alpha(x)
    if math.isnan(alpha):
        raise ValueError("the total score does not vary; alpha is undefined")
    notes = list(small_n_note(n))
    if dropped:
        notes.append(Note("listwise", f"{dropped} respondents with missing answers were excluded"))
    if alpha < RELIABILITY_THRESHOLD:
        notes.append(Note("low_reliability", f"alpha = {alpha:.3f} is below 0.70"))
    constant = np.std(x, axis=0) == 0
    if np.any(constant):
        columns = ", ".join(str(i) for i in np.flatnonzero(constant))
        notes.append(Note("constant_item", f"items {columns} do not vary"))
    total = x.sum(axis=1)
    items = []
    for i in range(k):
        rest = total - x[:, i]
        without = np.delete(x, i, axis=1)
        items.append(
            ItemStatistics(
                index=i,
                mean=float(x[:, i].mean()),
                sd=float(x[:, i].std(ddof=1)),
                item_rest_correlation=_correlation(x[:, i], rest),
                alpha_if_deleted=_alpha(without) if k > 2 else math.nan,
            )
        )
    estimate = Estimate(
        alpha,
        feldt_interval(alpha, n, k, level),
        n,
        "Cronbach's alpha, Feldt interval, listwise deletion",
        tuple(notes),
    )
    return AlphaResult(estimate, _standardized_alpha(x), k, dropped, tuple(items), tuple(notes))


def one_factor_minres(corr: ArrayLike) -> tuple[NDArray[np.float64], bool]:
    """Loadings of one common factor fitted by minimum residuals (ULS).

    Minimises Σ_{i<j} (rᵢⱼ − λᵢλⱼ)² over λ with scipy's least-squares solver,
    starting from the first principal component. The sign is chosen so that
    the loadings sum to a positive number. Returns ``(loadings, converged)``.
    """
    r = np.asarray(corr, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] != r.shape[1]:
        raise ValueError("a correlation matrix must be square")
    k = r.shape[0]
    if k < 3:
        raise ValueError("a one-factor model needs at least three items")
    if not np.allclose(r, r.T) or not np.all(np.isfinite(r)):
        raise ValueError("a correlation matrix must be finite and symmetric")
    rows, cols = np.triu_indices(k, 1)
    target = r[rows, cols]

    def residuals(lam: NDArray[np.float64]) -> NDArray[np.float64]:
        return lam[rows] * lam[cols] - target

    def jacobian(lam: NDArray[np.float64]) -> NDArray[np.float64]:
        jac = np.zeros((rows.size, k))
        jac[np.arange(rows.size), rows] = lam[cols]
        jac[np.arange(rows.size), cols] = lam[rows]
        return jac

    values, vectors = np.linalg.eigh(r)
    start = vectors[:, -1] * math.sqrt(max(values[-1], 1e-6))
    fit = optimize.least_squares(residuals, start, jac=jacobian, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    loadings = np.asarray(fit.x, dtype=np.float64)
    if loadings.sum() < 0:
        loadings = -loadings
    return loadings, bool(fit.success)


def omega_from_correlation(corr: ArrayLike, *, n: int = 0, n_dropped: int = 0) -> OmegaResult:
    """McDonald's ω_total = (Σλ)² / ((Σλ)² + Σψ) from a one-factor minres fit.

    ``corr`` is the item correlation matrix; ``n`` the number of respondents
    behind it (reported only). Loadings of 1 or more (Heywood cases) get a
    zero uniqueness and a note; negative loadings suggest an item that needs
    reverse-coding.
    """
    loadings, converged = one_factor_minres(corr)
    uniquenesses = np.clip(1 - loadings**2, 0.0, None)
    common = float(loadings.sum() ** 2)
    omega = common / (common + float(uniquenesses.sum()))
    notes = list(small_n_note(n)) if n else []
    if not converged:
        notes.append(Note("not_converged", "the one-factor minres fit did not converge"))
    if np.any(np.abs(loadings) >= 1):
        notes.append(Note("heywood", "a loading reached 1 (Heywood case); omega is unreliable"))
    if np.any(loadings < 0):
        notes.append(Note("negative_loading", "an item loads negatively; is it reverse-keyed?"))
    if omega < RELIABILITY_THRESHOLD:
        notes.append(Note("low_reliability", f"omega = {omega:.3f} is below 0.70"))
    estimate = Estimate(
        omega, None, n, "McDonald's omega total, one-factor minres on correlations", tuple(notes)
    )
    return OmegaResult(
        estimate,
        tuple(float(v) for v in loadings),
        tuple(float(v) for v in uniquenesses),
        n_dropped,
        tuple(notes),
    )


def omega_total(data: ArrayLike) -> OmegaResult:
    """McDonald's ω_total of a respondents × items array (listwise deletion).

    Pearson correlations of the complete cases, one factor by minres, then
    :func:`omega_from_correlation`.
    """
    x, dropped = _prepared(data, 3)
    if np.any(np.std(x, axis=0) == 0):
        raise ValueError("an item does not vary; its correlations are undefined")
    corr = np.corrcoef(x, rowvar=False)
    return omega_from_correlation(corr, n=x.shape[0], n_dropped=dropped)
