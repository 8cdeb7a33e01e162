"""Composite satisfaction indices: CSI, ACSI-style 0–100, NPS / eNPS and the smiley index.

* **CSI** (Customer Satisfaction Index, "wskaźnik satysfakcji klienta"):
  importance-weighted mean of attribute satisfaction, CSI = Σ wᵢSᵢ with
  wᵢ = Iᵢ / ΣIⱼ, and its 0–100 form. Two forms: the aggregate form from item
  means (no sampling interval) and the recommended respondent-level form, where
  every respondent gets CSIᵣ over the items they answered (weights renormalised
  over those items) and the index is the mean of CSIᵣ with a t-interval.
* **ACSI-style index**: three 1–10 items (overall satisfaction, confirmation of
  expectations, closeness to the ideal) rescaled to 0–100; the equal-weight
  version is (X̄₁ + X̄₂ + X̄₃ − 3)/27 · 100 (Fornell et al. 1996).
* **NPS / eNPS**: percentage of promoters (9–10) minus percentage of detractors
  (0–6) on the 0–10 recommendation question, with Wald or adjusted-Wald
  intervals (Rocks 2016) and a z-test for the difference of two independent
  scores.
* **Smiley ("happy") index**: the mean kiosk face on 0–100 with equally spaced
  weights (0/50/100 on three faces, 0/33.3/66.7/100 on four, 0/25/50/75/100 on
  five).

Importance weights may be stated (mean importance ratings) or derived (e.g.
relative weights from a key-driver analysis); this module only normalises them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from analysis.counts import CountTable, counts_from_values
from analysis.items import Scale, clip_to_scale, counts_on_scale, mean_score, net_interval
from analysis.probability import normal_quantile, normal_two_sided_p
from analysis.results import CONFIDENCE, Estimate, Interval, Note, TestResult, small_n_note

NpsMethod = Literal["adjusted-wald", "wald"]

ACSI_SCALE = Scale(1, 10, (9, 10), (1, 2), "ACSI 1-10")
"""The 1–10 scale of the three ACSI satisfaction items."""

NPS_SCALE = Scale.zero_to_ten("likelihood to recommend 0-10")
"""The 0–10 recommendation scale: promoters 9–10, detractors 0–6."""


@dataclass(frozen=True, slots=True)
class CsiResult:
    """An importance-weighted index on the scale and on 0–100."""

    index: Estimate
    index_0_100: Estimate
    weights: tuple[float, ...]
    n_excluded: int = 0
    notes: tuple[Note, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class NpsResult:
    """A Net Promoter Score (−100 … 100) with its category counts."""

    label: str
    promoters: int
    passives: int
    detractors: int
    n_not_applicable: int
    score: Estimate

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def share_promoters(self) -> float:
        return self.promoters / self.n

    @property
    def share_detractors(self) -> float:
        return self.detractors / self.n


@dataclass(frozen=True, slots=True)
class NpsDifference:
    """Difference of two independent NPS values (first minus second) and its z-test."""

    difference: Estimate
    test: TestResult


def normalise_weights(importance: Sequence[float] | ArrayLike) -> tuple[float, ...]:
    """wᵢ = Iᵢ / Σⱼ Iⱼ for non-negative importances (stated or derived).

    Negative derived importances (e.g. negative correlations) must be clipped
    to zero by the caller, so the choice is visible in the report.
    """
    raw = np.asarray(importance, dtype=np.float64)
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError("importance must be a non-empty one-dimensional sequence")
    if not np.all(np.isfinite(raw)):
        raise ValueError("importance values must be finite")
    if np.any(raw < 0):
        raise ValueError("importance values must not be negative; clip negative derived weights")
    total = float(raw.sum())
    if total <= 0:
        raise ValueError("at least one importance value must be positive")
    return tuple(float(w) for w in raw / total)


def _check_on_scale(values: np.ndarray, scale: Scale, what: str) -> None:
    finite = values[np.isfinite(values)]
    if finite.size and (finite.min() < scale.minimum or finite.max() > scale.maximum):
        raise ValueError(f"{what} must lie between {scale.minimum} and {scale.maximum}")


def csi_from_means(
    item_means: Sequence[float] | ArrayLike,
    importance: Sequence[float] | ArrayLike,
    scale: Scale,
    *,
    n: int = 0,
) -> CsiResult:
    """Aggregate CSI = Σ wᵢ S̄ᵢ from item means, and CSI₁₀₀ = (CSI − min)/(max − min)·100.

    This form has no sampling interval (it ignores how items co-vary across
    respondents); prefer :func:`csi_from_respondents` for headline figures.
    ``n`` is the number of respondents behind the means, when known.
    """
    means = np.asarray(item_means, dtype=np.float64)
    weights = normalise_weights(importance)
    if means.ndim != 1 or means.size != len(weights):
        raise ValueError("item_means and importance must have the same length")
    if not np.all(np.isfinite(means)):
        raise ValueError("item means must be finite")
    _check_on_scale(means, scale, "item means")
    value = float(np.dot(weights, means))
    notes = (Note("no_interval", "the aggregate CSI from item means has no sampling interval"),)
    method = "importance-weighted mean of item means (aggregate CSI)"
    index = Estimate(value, None, n, method, notes)
    index_100 = Estimate(scale.to_0_100(value), None, n, method + ", 0-100", notes)
    return CsiResult(index, index_100, weights, 0, notes)


def respondent_scores(
    ratings: ArrayLike, importance: Sequence[float] | ArrayLike, *, min_answered: int = 1
) -> tuple[np.ndarray, int]:
    """Per-respondent weighted scores CSIᵣ = Σᵢ wᵢxᵣᵢ / Σᵢ wᵢ over answered items.

    ``ratings`` is respondents × items with NaN for "nie dotyczy" or missing.
    Respondents with fewer than ``min_answered`` answered items (or whose answered
    items all have zero weight) are dropped; returns ``(scores, n_dropped)``.
    """
    x = np.asarray(ratings, dtype=np.float64)
    weights = np.asarray(normalise_weights(importance))
    if x.ndim != 2 or x.shape[1] != weights.size:
        raise ValueError("ratings must be a respondents x items array matching the weights")
    if np.any(np.isinf(x)):
        raise ValueError("ratings must not be infinite; use NaN for not applicable")
    if min_answered < 1:
        raise ValueError("min_answered must be at least 1")
    answered = np.isfinite(x)
    weight_sum = answered @ weights
    keep = (answered.sum(axis=1) >= min_answered) & (weight_sum > 0)
    weighted = np.where(answered, x, 0.0) @ weights
    scores = weighted[keep] / weight_sum[keep]
    return scores, int((~keep).sum())


def csi_from_respondents(
    ratings: ArrayLike,
    importance: Sequence[float] | ArrayLike,
    scale: Scale,
    *,
    min_answered: int = 1,
    population: int | None = None,
    level: float = CONFIDENCE,
) -> CsiResult:
    """Respondent-level CSI: mean of CSIᵣ with a t-interval (and its 0–100 form).

    Weights are renormalised over the items each respondent answered (NaN =
    not applicable). The interval is x̄ ± t·s/√n over respondents, with the
    finite population correction when ``population`` is given, clipped to
    the scale range.
    """
    x = np.asarray(ratings, dtype=np.float64)
    _check_on_scale(x, scale, "ratings")
    scores, dropped = respondent_scores(x, importance, min_answered=min_answered)
    if scores.size == 0:
        raise ValueError("no respondent answered enough weighted items")
    base = mean_score(counts_from_values(scores), population=population, level=level)
    method = "respondent-level importance-weighted index, " + base.method
    notes = base.notes
    if dropped:
        notes = (*notes, Note("excluded", f"{dropped} respondents without weighted answers"))
    index = clip_to_scale(Estimate(base.value, base.interval, base.n, method, notes), scale)
    index_100 = _to_0_100(index, scale)
    return CsiResult(index, index_100, normalise_weights(importance), dropped, notes)


def _to_0_100(estimate: Estimate, scale: Scale) -> Estimate:
    interval = None
    if estimate.interval is not None:
        interval = Interval(
            scale.to_0_100(estimate.interval.lower),
            scale.to_0_100(estimate.interval.upper),
            estimate.interval.level,
        )
    return Estimate(
        scale.to_0_100(estimate.value),
        interval,
        estimate.n,
        estimate.method + ", 0-100",
        estimate.notes,
    )


def acsi_from_means(
    item_means: Sequence[float] | ArrayLike,
    weights: Sequence[float] | ArrayLike | None = None,
    scale: Scale = ACSI_SCALE,
    *,
    n: int = 0,
) -> Estimate:
    """ACSI-style index on 0–100 from the means of its items.

    Index = Σ wᵢ (X̄ᵢ − min)/(max − min) · 100 with weights summing to 1;
    without weights all items count equally, which on three 1–10 items is
    (X̄₁ + X̄₂ + X̄₃ − 3)/27 · 100 (Fornell et al. 1996, *J. Marketing* 60(4)).
    The published ACSI uses PLS weights estimated per company; pass them as
    ``weights`` to reproduce that form.
    """
    means = np.asarray(item_means, dtype=np.float64)
    if means.ndim != 1 or means.size == 0:
        raise ValueError("item_means must be a non-empty one-dimensional sequence")
    w = normalise_weights(np.ones(means.size) if weights is None else weights)
    result = csi_from_means(means, w, scale, n=n).index_0_100
    name = "ACSI-style index, " + ("equal weights" if weights is None else "given weights")
    return Estimate(result.value, None, n, name, result.notes)


def acsi_from_respondents(
    ratings: ArrayLike,
    weights: Sequence[float] | ArrayLike | None = None,
    scale: Scale = ACSI_SCALE,
    *,
    population: int | None = None,
    level: float = CONFIDENCE,
) -> Estimate:
    """ACSI-style 0–100 index from respondent ratings, with a t-interval.

    Every respondent's weighted mean of the (answered) items is rescaled to
    0–100; the index is their mean.
    """
    x = np.asarray(ratings, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("ratings must be a respondents x items array")
    w = np.ones(x.shape[1]) if weights is None else weights
    result = csi_from_respondents(x, w, scale, population=population, level=level).index_0_100
    name = "ACSI-style index, " + ("equal weights" if weights is None else "given weights")
    return Estimate(result.value, result.interval, result.n, name + ", t-interval", result.notes)


def nps_from_groups(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    n_not_applicable: int = 0,
    method: NpsMethod = "adjusted-wald",
    level: float = CONFIDENCE,
    population: int | None = None,
    label: str = "NPS",
) -> NpsResult:
    """NPS = 100·(p − d) from the counts of promoters, passives and detractors.

    SE = 100·√([p + d − (p − d)²]/n) (trinomial variance), times the finite
    population correction when N is given. ``"adjusted-wald"`` (default, Rocks
    2016) adds ¾ to promoters and detractors and 3 to n before applying the
    Wald formula; ``"wald"`` uses the raw shares. Limits are clipped to ±100.
    """
    for name, count in (
        ("promoters", promoters),
        ("passives", passives),
        ("detractors", detractors),
        ("n_not_applicable", n_not_applicable),
    ):
        if count < 0 or count != int(count):
            raise ValueError(f"{name} must be a non-negative whole number")
    n = promoters + passives + detractors
    if n == 0:
        raise ValueError("no substantive answers to the recommendation question")
    ci = net_interval(promoters, detractors, n, method=method, level=level, population=population)
    interval = Interval(100 * ci.lower, 100 * ci.upper, level)
    value = 100 * (promoters - detractors) / n
    notes = list(small_n_note(n))
    if not interval.contains(value):
        notes.append(
            Note(
                "estimate_outside_interval",
                "the adjusted interval is shifted towards 0 and excludes the raw score",
            )
        )
    fpc = " with finite population correction" if population is not None else ""
    estimate = Estimate(value, interval, n, f"{label}, {method} interval{fpc}", tuple(notes))
    return NpsResult(label, promoters, passives, detractors, n_not_applicable, estimate)


def nps(
    counts: CountTable,
    *,
    not_applicable: Iterable[float] = (),
    method: NpsMethod = "adjusted-wald",
    level: float = CONFIDENCE,
    population: int | None = None,
    label: str = "NPS",
) -> NpsResult:
    """Net Promoter Score from a 0–10 count table ``{score: count}``.

    Promoters answer 9–10, passives 7–8, detractors 0–6 (Reichheld 2003).
    "Nie wiem" codes listed in ``not_applicable`` are excluded and counted.
    See :func:`nps_from_groups` for the interval.
    """
    on_scale, n_na = counts_on_scale(counts, NPS_SCALE, not_applicable)
    promoters = on_scale[9] + on_scale[10]
    passives = on_scale[7] + on_scale[8]
    detractors = sum(on_scale[c] for c in range(0, 7))
    return nps_from_groups(
        promoters,
        passives,
        detractors,
        n_not_applicable=n_na,
        method=method,
        level=level,
        population=population,
        label=label,
    )


def enps(
    counts: CountTable,
    *,
    not_applicable: Iterable[float] = (),
    method: NpsMethod = "adjusted-wald",
    level: float = CONFIDENCE,
    population: int | None = None,
) -> NpsResult:
    """Employee NPS ("How likely are you to recommend the office as a place to work?").

    Same computation as :func:`nps`; pass the headcount as ``population`` for the
    finite population correction. Small teams give very wide intervals.
    """
    return nps(
        counts,
        not_applicable=not_applicable,
        method=method,
        level=level,
        population=population,
        label="eNPS",
    )


def _nps_parts(result: NpsResult, method: NpsMethod) -> tuple[float, float]:
    """(score as a share, its variance) in the Wald or adjusted-Wald form."""
    if method == "adjusted-wald":
        n = result.n + 3.0
        p = (result.promoters + 0.75) / n
        d = (result.detractors + 0.75) / n
    elif method == "wald":
        n = float(result.n)
        p, d = result.promoters / n, result.detractors / n
    else:
        raise ValueError(f"unknown NPS method {method!r}")
    return p - d, (p + d - (p - d) ** 2) / n


def nps_difference(
    first: NpsResult,
    second: NpsResult,
    *,
    method: NpsMethod = "adjusted-wald",
    level: float = CONFIDENCE,
) -> NpsDifference:
    """Difference of two independent NPS values, first − second, with interval and z-test.

    SE_diff = √(SE₁² + SE₂²); z = (NPS₁ − NPS₂)/SE_diff; two-sided p = 2(1 − Φ(|z|)).
    With ``"adjusted-wald"`` (default) both scores, variances and the test use
    the adjusted counts (¾ added to promoters and detractors, 3 to n), as in
    Rocks (2016) and Lewis & Sauro's NPS significance test (MeasuringU 2020);
    the reported point difference is the raw one.
    """
    if not 0 < level < 1:
        raise ValueError("confidence level must lie strictly between 0 and 1")
    s1, v1 = _nps_parts(first, method)
    s2, v2 = _nps_parts(second, method)
    se = math.sqrt(v1 + v2)
    centre = s1 - s2
    z_crit = normal_quantile(0.5 + level / 2)
    interval = Interval(
        max(-2.0, centre - z_crit * se) * 100, min(2.0, centre + z_crit * se) * 100, level
    )
    raw = first.score.value - second.score.value
    n = first.n + second.n
    notes = small_n_note(min(first.n, second.n))
    if se > 0:
        z = centre / se
        p_value = normal_two_sided_p(z)
    else:
        z, p_value = 0.0, 1.0
    name = f"difference of two independent {first.label} values, {method}"
    difference = Estimate(raw, interval, n, name, notes)
    test = TestResult(
        z,
        p_value,
        n,
        f"z-test for two independent {first.label} values, {method}",
        effect=difference,
        notes=notes,
    )
    return NpsDifference(difference, test)


def happy_index(
    counts: CountTable,
    faces: int,
    *,
    not_applicable: Iterable[float] = (),
    population: int | None = None,
    level: float = CONFIDENCE,
) -> Estimate:
    """Smiley-kiosk index on 0–100: the mean face with equally spaced weights.

    Faces are coded 1 (most negative) … ``faces``; face k scores
    (k − 1)/(faces − 1) · 100, e.g. 0/33.3/66.7/100 on four faces. The index is
    the mean score with a t-interval (the linear transform of the mean face).
    """
    scale = Scale.smiley(faces)
    on_scale, _ = counts_on_scale(counts, scale, not_applicable)
    base = clip_to_scale(mean_score(on_scale, population=population, level=level), scale)
    return _to_0_100(
        Estimate(
            base.value,
            base.interval,
            base.n,
            f"smiley index ({faces} faces, equal spacing), {base.method}",
            base.notes,
        ),
        scale,
    )
