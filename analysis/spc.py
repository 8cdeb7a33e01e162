"""Statistical process control (SPC) charts for survey metrics.

A control chart asks one question of a series of periods: does the metric
vary only as much as chance allows (common-cause variation), or did something
change (a special cause)? The answer feeds ISO 9001 clause 9.1.3 (analysis and
evaluation) and, through the signals returned here, clause 10.2 (corrective
action).

Charts in this module
---------------------
* **p-chart** (karta kontrolna p) for a proportion per period with varying
  sample sizes, e.g. top-2-box or "% dissatisfied" per quarter:
  ``p̄ = Σdᵢ / Σnᵢ``, limits ``p̄ ± 3·√(p̄(1 − p̄)/nᵢ)`` per point, the lower
  limit floored at 0 and the upper limit capped at 1.
* **Laney p′-chart** (karta p′ Laneya) for proportions from very large
  samples, where the binomial limits are too narrow (overdispersion):
  ``zᵢ = (pᵢ − p̄)/σ_pᵢ``, ``σ_z = MR̄_z / 1.128``, limits
  ``p̄ ± 3·σ_pᵢ·σ_z`` (Laney 2002, *Quality Engineering* 14(4):531–537).
* **XmR** (karta wartości indywidualnych i ruchomego rozstępu) for one number
  per period, e.g. a mean score or CSI: ``x̄ ± 2.66·MR̄``; moving-range chart
  with ``UCL = 3.267·MR̄`` (Wheeler; Montgomery, *Introduction to Statistical
  Quality Control*, ch. 6).
* **X̄–R** (karta średnich i rozstępów) for rational subgroups of equal size
  ``n``: ``X̿ ± A₂R̄``; range chart ``D₃R̄ … D₄R̄`` with the standard constants
  (``CONSTANTS``; Montgomery, Appendix VI; ASTM STP 15D).

Signals
-------
Western Electric run rules (Western Electric *Statistical Quality Control
Handbook*, 1956; NIST/SEMATECH e-Handbook §6.3.2) are selectable by code:

* ``beyond_limits`` — one point beyond a 3σ control limit;
* ``two_of_three_beyond_2sigma`` — 2 of 3 successive points beyond 2σ on the
  same side;
* ``four_of_five_beyond_1sigma`` — 4 of 5 successive points beyond 1σ on the
  same side;
* ``eight_on_one_side`` — 8 successive points on the same side of the centre
  line.

Run rules raise the false-alarm rate, so the default is ``beyond_limits`` and
``eight_on_one_side`` (domain policy: "use run rules sparingly"). Each signal is
returned as data (:class:`Signal`) so the service can open a corrective action.
The point that completes a pattern is the one flagged.

Limits are estimated from a baseline (phase I). With fewer than 20 baseline
points the limits are provisional and the chart carries a note saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.results import Note

FloatArray = NDArray[np.float64]

Rule = Literal[
    "beyond_limits",
    "two_of_three_beyond_2sigma",
    "four_of_five_beyond_1sigma",
    "eight_on_one_side",
]
Side = Literal["above", "below"]

WESTERN_ELECTRIC_RULES: Final[tuple[Rule, ...]] = (
    "beyond_limits",
    "two_of_three_beyond_2sigma",
    "four_of_five_beyond_1sigma",
    "eight_on_one_side",
)
"""All four Western Electric rules, in their traditional order."""

DEFAULT_RULES: Final[tuple[Rule, ...]] = ("beyond_limits", "eight_on_one_side")
"""Rules applied unless the caller asks for others."""

MIN_BASELINE_POINTS: Final = 20
"""Fewer baseline points than this make the control limits provisional."""

D2_INDIVIDUALS: Final = 1.128
"""d₂ for moving ranges of two points; σ̂ = MR̄ / 1.128."""

XMR_LIMIT_FACTOR: Final = 2.66
"""3 / d₂ for moving ranges of two (3 / 1.128 ≈ 2.66)."""

MR_UCL_FACTOR: Final = 3.267
"""D₄ for subgroups of two: upper limit of the moving-range chart."""


@dataclass(frozen=True, slots=True)
class ChartConstants:
    """Control-chart constants for subgroups of size ``n``."""

    n: int
    a2: float
    d2: float
    d3: float
    d4: float


# Montgomery, Introduction to Statistical Quality Control, Appendix VI;
# NIST/SEMATECH e-Handbook §6.3.2.1 (same values, three decimals).
# Columns: n, A2, d2, D3, D4.
_CONSTANT_ROWS: Final = (
    (2, 1.880, 1.128, 0.000, 3.267),
    (3, 1.023, 1.693, 0.000, 2.574),
    (4, 0.729, 2.059, 0.000, 2.282),
    (5, 0.577, 2.326, 0.000, 2.114),
    (6, 0.483, 2.534, 0.000, 2.004),
    (7, 0.419, 2.704, 0.076, 1.924),
    (8, 0.373, 2.847, 0.136, 1.864),
    (9, 0.337, 2.970, 0.184, 1.816),
    (10, 0.308, 3.078, 0.223, 1.777),
    (11, 0.285, 3.173, 0.256, 1.744),
    (12, 0.266, 3.258, 0.283, 1.717),
    (13, 0.249, 3.336, 0.307, 1.693),
    (14, 0.235, 3.407, 0.328, 1.672),
    (15, 0.223, 3.472, 0.347, 1.653),
    (16, 0.212, 3.532, 0.363, 1.637),
    (17, 0.203, 3.588, 0.378, 1.622),
    (18, 0.194, 3.640, 0.391, 1.608),
    (19, 0.187, 3.689, 0.403, 1.597),
    (20, 0.180, 3.735, 0.415, 1.585),
    (21, 0.173, 3.778, 0.425, 1.575),
    (22, 0.167, 3.819, 0.434, 1.566),
    (23, 0.162, 3.858, 0.443, 1.557),
    (24, 0.157, 3.895, 0.451, 1.548),
    (25, 0.153, 3.931, 0.459, 1.541),
)

CONSTANTS: Final[dict[int, ChartConstants]] = {
    row[0]: ChartConstants(n=row[0], a2=row[1], d2=row[2], d3=row[3], d4=row[4])
    for row in _CONSTANT_ROWS
}
"""A₂, d₂, D₃, D₄ for subgroup sizes 2–25."""


@dataclass(frozen=True, slots=True)
class Signal:
    """One out-of-control signal, ready to open a corrective action.

    ``limit`` is the line the point crossed: the control limit for
    ``beyond_limits``, the 2σ or 1σ line for the zone rules and the centre
    line for ``eight_on_one_side``.
    """

    index: int
    label: str
    rule: Rule
    value: float
    limit: float
    direction: Side
    description: str


@dataclass(frozen=True, slots=True)
class ControlChart:
    """A chart of one statistic: points, centre, per-point limits and signals.

    ``sigma`` holds the standard deviation of each plotted point (used for the
    1σ/2σ zones). ``sigma_z`` is Laney's overdispersion factor and is set only
    for the p′ chart. ``baseline`` is the number of leading points the limits
    were estimated from.
    """

    chart: str
    labels: tuple[str, ...]
    values: tuple[float, ...]
    center: float
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    sigma: tuple[float, ...]
    signals: tuple[Signal, ...]
    baseline: int
    method: str
    rules: tuple[Rule, ...]
    sigma_z: float | None = None
    notes: tuple[Note, ...] = field(default=())

    @property
    def in_control(self) -> bool:
        """True when no selected rule signals."""
        return not self.signals


@dataclass(frozen=True, slots=True)
class XmRChart:
    """Individuals chart with its moving-range companion."""

    individuals: ControlChart
    moving_range: ControlChart
    mr_bar: float


@dataclass(frozen=True, slots=True)
class XbarRChart:
    """Chart of subgroup means with its range companion."""

    xbar: ControlChart
    range: ControlChart
    subgroup_size: int
    constants: ChartConstants


# ---------------------------------------------------------------------------
# public charts
# ---------------------------------------------------------------------------


def p_chart(
    defectives: ArrayLike,
    sizes: ArrayLike,
    labels: Sequence[str] | None = None,
    *,
    rules: Iterable[Rule] = DEFAULT_RULES,
    baseline: int | None = None,
) -> ControlChart:
    """p-chart with varying sample sizes.

    ``defectives`` are the counts with the attribute per period (for example
    the number of top-2-box answers), ``sizes`` the valid answers per period.
    ``p̄ = Σdᵢ/Σnᵢ`` over the baseline; ``σᵢ = √(p̄(1 − p̄)/nᵢ)``;
    ``LCL = max(0, p̄ − 3σᵢ)``, ``UCL = min(1, p̄ + 3σᵢ)``.
    Reference: Montgomery, *Introduction to Statistical Quality Control*,
    §7.2; NIST/SEMATECH e-Handbook §6.3.3.2.
    """
    d, n = _attribute_inputs(defectives, sizes)
    point_labels = _labels(labels, len(d))
    m = _baseline(baseline, len(d), minimum=1)
    p = d / n
    p_bar = float(d[:m].sum() / n[:m].sum())
    sigma = np.sqrt(p_bar * (1.0 - p_bar) / n)
    lower = np.maximum(0.0, p_bar - 3.0 * sigma)
    upper = np.minimum(1.0, p_bar + 3.0 * sigma)
    return _chart(
        "p",
        point_labels,
        p,
        p_bar,
        lower,
        upper,
        sigma,
        rules,
        m,
        "p-chart, p̄ ± 3√(p̄(1 − p̄)/nᵢ) (Montgomery §7.2)",
    )


def laney_p_chart(
    defectives: ArrayLike,
    sizes: ArrayLike,
    labels: Sequence[str] | None = None,
    *,
    rules: Iterable[Rule] = DEFAULT_RULES,
    baseline: int | None = None,
) -> ControlChart:
    """Laney p′-chart for proportions from large samples (overdispersion).

    ``zᵢ = (pᵢ − p̄)/σ_pᵢ`` with ``σ_pᵢ = √(p̄(1 − p̄)/nᵢ)``;
    ``σ_z = MR̄_z/1.128`` from the moving ranges of the ``zᵢ``; limits
    ``p̄ ± 3·σ_pᵢ·σ_z`` floored at 0 and capped at 1. ``σ_z ≈ 1`` means the
    ordinary p-chart is adequate; ``σ_z > 1`` widens the limits.
    Reference: Laney, D.B. (2002) Improved control charts for attributes,
    *Quality Engineering* 14(4):531–537.
    """
    d, n = _attribute_inputs(defectives, sizes)
    point_labels = _labels(labels, len(d))
    m = _baseline(baseline, len(d), minimum=2)
    p = d / n
    p_bar = float(d[:m].sum() / n[:m].sum())
    sigma_p = np.sqrt(p_bar * (1.0 - p_bar) / n)
    notes: list[Note] = []
    if p_bar in (0.0, 1.0):
        sigma_z = 1.0
        notes.append(
            Note("degenerate_proportion", f"p̄ = {p_bar:g}; every point equals the centre line")
        )
    else:
        z = (p[:m] - p_bar) / sigma_p[:m]
        sigma_z = float(np.mean(np.abs(np.diff(z))) / D2_INDIVIDUALS)
    sigma = sigma_p * sigma_z
    lower = np.maximum(0.0, p_bar - 3.0 * sigma)
    upper = np.minimum(1.0, p_bar + 3.0 * sigma)
    return _chart(
        "laney_p",
        point_labels,
        p,
        p_bar,
        lower,
        upper,
        sigma,
        rules,
        m,
        "Laney p′-chart, p̄ ± 3·σ_pᵢ·σ_z, σ_z = MR̄_z/1.128 (Laney 2002)",
        sigma_z=sigma_z,
        extra_notes=notes,
    )


def xmr_chart(
    values: ArrayLike,
    labels: Sequence[str] | None = None,
    *,
    rules: Iterable[Rule] = DEFAULT_RULES,
    baseline: int | None = None,
) -> XmRChart:
    """Individuals and moving-range (XmR) chart.

    ``MRᵢ = |xᵢ − xᵢ₋₁|``; ``x̄ ± 2.66·MR̄`` (2.66 = 3/d₂, d₂ = 1.128);
    σ̂ = MR̄/1.128 defines the zones. Moving-range chart: centre ``MR̄``,
    ``UCL = 3.267·MR̄``, no lower limit. Only ``beyond_limits`` is applied to
    the moving ranges, which are correlated by construction.
    Reference: Montgomery, *Introduction to Statistical Quality Control*, §6.4;
    Wheeler (2000) *Understanding Variation*.
    """
    x = _finite_vector(values, "values")
    if len(x) < 2:
        raise ValueError("an XmR chart needs at least two values")
    point_labels = _labels(labels, len(x))
    m = _baseline(baseline, len(x), minimum=2)
    mr = np.abs(np.diff(x))
    mr_bar = float(mr[: m - 1].mean())
    center = float(x[:m].mean())
    half_width = XMR_LIMIT_FACTOR * mr_bar
    sigma = np.full(len(x), mr_bar / D2_INDIVIDUALS)
    individuals = _chart(
        "xmr_individuals",
        point_labels,
        x,
        center,
        np.full(len(x), center - half_width),
        np.full(len(x), center + half_width),
        sigma,
        rules,
        m,
        "XmR individuals chart, x̄ ± 2.66·MR̄",
    )
    mr_sigma = np.full(len(mr), (MR_UCL_FACTOR - 1.0) * mr_bar / 3.0)
    moving_range = _chart(
        "xmr_moving_range",
        point_labels[1:],
        mr,
        mr_bar,
        np.zeros(len(mr)),
        np.full(len(mr), MR_UCL_FACTOR * mr_bar),
        mr_sigma,
        _only_limits(rules),
        m,
        "XmR moving-range chart, UCL = 3.267·MR̄",
        index_offset=1,
        provisional_count=m,
    )
    return XmRChart(individuals=individuals, moving_range=moving_range, mr_bar=mr_bar)


def xbar_r_chart(
    subgroups: ArrayLike,
    labels: Sequence[str] | None = None,
    *,
    rules: Iterable[Rule] = DEFAULT_RULES,
    baseline: int | None = None,
) -> XbarRChart:
    """X̄–R chart for rational subgroups of equal size ``n`` (2 ≤ n ≤ 25).

    ``subgroups`` is a (k × n) array, one row per subgroup.
    ``X̿ ± A₂R̄`` for the means; ``D₃R̄ … D₄R̄`` for the ranges, with the
    constants of :data:`CONSTANTS`. Zones use σ_x̄ = A₂R̄/3.
    Reference: Montgomery, *Introduction to Statistical Quality Control*,
    §6.2, Appendix VI; NIST/SEMATECH e-Handbook §6.3.2.1.
    """
    data = np.asarray(subgroups, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError("subgroups must be a two-dimensional array (subgroups × size)")
    k, size = data.shape
    if k < 1:
        raise ValueError("at least one subgroup is needed")
    if size not in CONSTANTS:
        raise ValueError(f"subgroup size must be between 2 and 25, got {size}")
    if not np.all(np.isfinite(data)):
        raise ValueError("subgroups must contain finite numbers only (no missing values)")
    point_labels = _labels(labels, k)
    m = _baseline(baseline, k, minimum=1)
    c = CONSTANTS[size]
    means = data.mean(axis=1)
    ranges = data.max(axis=1) - data.min(axis=1)
    grand_mean = float(means[:m].mean())
    r_bar = float(ranges[:m].mean())
    xbar = _chart(
        "xbar",
        point_labels,
        means,
        grand_mean,
        np.full(k, grand_mean - c.a2 * r_bar),
        np.full(k, grand_mean + c.a2 * r_bar),
        np.full(k, c.a2 * r_bar / 3.0),
        rules,
        m,
        f"X̄ chart, X̿ ± A₂R̄ (n = {size}, A₂ = {c.a2})",
    )
    range_chart = _chart(
        "range",
        point_labels,
        ranges,
        r_bar,
        np.full(k, c.d3 * r_bar),
        np.full(k, c.d4 * r_bar),
        np.full(k, (c.d4 - 1.0) * r_bar / 3.0),
        _only_limits(rules),
        m,
        f"R chart, D₃R̄ … D₄R̄ (n = {size}, D₃ = {c.d3}, D₄ = {c.d4})",
    )
    return XbarRChart(xbar=xbar, range=range_chart, subgroup_size=size, constants=c)


def run_rules(
    values: ArrayLike,
    center: float,
    sigma: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    labels: Sequence[str] | None = None,
    rules: Iterable[Rule] = WESTERN_ELECTRIC_RULES,
) -> tuple[Signal, ...]:
    """Apply the selected Western Electric rules to any chart.

    ``sigma`` is the standard deviation of each point (a scalar or one value
    per point); ``lower`` and ``upper`` are the control limits actually drawn
    (they may be floored or capped). A point completes a zone pattern only if
    it lies in the zone itself; it is flagged once per rule. At the start of a
    series the zone rules look at the points available (two points beyond 2σ
    as the first two points already make "2 of 3").
    """
    x = _finite_vector(values, "values")
    size = len(x)
    s = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (size,))
    lo = np.broadcast_to(np.asarray(lower, dtype=np.float64), (size,))
    hi = np.broadcast_to(np.asarray(upper, dtype=np.float64), (size,))
    point_labels = _labels(labels, size)
    selected = _validate_rules(rules)
    z = _z_scores(x, center, s)
    signals: list[Signal] = []
    for i in range(size):
        for rule in selected:
            signal = _check_rule(rule, i, x, z, center, s, lo, hi, point_labels)
            if signal is not None:
                signals.append(signal)
    return tuple(signals)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _chart(
    chart: str,
    labels: tuple[str, ...],
    values: FloatArray,
    center: float,
    lower: FloatArray,
    upper: FloatArray,
    sigma: FloatArray,
    rules: Iterable[Rule],
    baseline: int,
    method: str,
    *,
    sigma_z: float | None = None,
    extra_notes: Sequence[Note] = (),
    index_offset: int = 0,
    provisional_count: int | None = None,
) -> ControlChart:
    selected = _validate_rules(rules)
    signals = run_rules(values, center, sigma, lower, upper, labels, selected)
    if index_offset:
        signals = tuple(
            Signal(
                index=s.index + index_offset,
                label=s.label,
                rule=s.rule,
                value=s.value,
                limit=s.limit,
                direction=s.direction,
                description=s.description,
            )
            for s in signals
        )
    notes = list(extra_notes)
    count = baseline if provisional_count is None else provisional_count
    if count < MIN_BASELINE_POINTS:
        notes.append(
            Note(
                "provisional_limits",
                f"limits estimated from {count} points; they are provisional until a "
                f"stable baseline of at least {MIN_BASELINE_POINTS} points exists",
            )
        )
    return ControlChart(
        chart=chart,
        labels=labels,
        values=tuple(float(v) for v in values),
        center=center,
        lower=tuple(float(v) for v in lower),
        upper=tuple(float(v) for v in upper),
        sigma=tuple(float(v) for v in sigma),
        signals=signals,
        baseline=baseline,
        method=method,
        rules=selected,
        sigma_z=sigma_z,
        notes=tuple(notes),
    )


def _z_scores(x: FloatArray, center: float, sigma: NDArray[np.float64]) -> FloatArray:
    diff = x - center
    z = np.zeros_like(x)
    positive = sigma > 0
    z[positive] = diff[positive] / sigma[positive]
    # A zero σ (p̄ of 0 or 1, or constant values) leaves only the centre line:
    # a point on it has z = 0, a point off it is infinitely far.
    off = ~positive & (diff != 0)
    z[off] = np.where(diff[off] > 0, np.inf, -np.inf)
    return z


def _check_rule(
    rule: Rule,
    i: int,
    x: FloatArray,
    z: FloatArray,
    center: float,
    sigma: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    labels: tuple[str, ...],
) -> Signal | None:
    value = float(x[i])
    label = labels[i]
    if rule == "beyond_limits":
        if value > upper[i]:
            return Signal(
                i,
                label,
                rule,
                value,
                float(upper[i]),
                "above",
                f"Point {label} ({value:.4g}) is above the upper control limit "
                f"({float(upper[i]):.4g}).",
            )
        if value < lower[i]:
            return Signal(
                i,
                label,
                rule,
                value,
                float(lower[i]),
                "below",
                f"Point {label} ({value:.4g}) is below the lower control limit "
                f"({float(lower[i]):.4g}).",
            )
        return None
    if rule == "two_of_three_beyond_2sigma":
        return _zone_rule(rule, i, x, z, center, sigma, labels, window=3, needed=2, zone=2.0)
    if rule == "four_of_five_beyond_1sigma":
        return _zone_rule(rule, i, x, z, center, sigma, labels, window=5, needed=4, zone=1.0)
    # eight_on_one_side
    if i < 7:
        return None
    run = z[i - 7 : i + 1]
    side: Side
    if bool(np.all(run > 0)):
        side = "above"
    elif bool(np.all(run < 0)):
        side = "below"
    else:
        return None
    return Signal(
        i,
        label,
        rule,
        value,
        center,
        side,
        f"Point {label} ({value:.4g}) is the 8th successive point {side} the "
        f"centre line ({center:.4g}).",
    )


def _zone_rule(
    rule: Rule,
    i: int,
    x: FloatArray,
    z: FloatArray,
    center: float,
    sigma: NDArray[np.float64],
    labels: tuple[str, ...],
    *,
    window: int,
    needed: int,
    zone: float,
) -> Signal | None:
    recent = z[max(0, i - window + 1) : i + 1]
    sides: tuple[tuple[float, Side], ...] = ((1.0, "above"), (-1.0, "below"))
    for sign, side in sides:
        if sign * z[i] > zone and int(np.sum(sign * recent > zone)) >= needed:
            line = center + sign * zone * float(sigma[i])
            value = float(x[i])
            return Signal(
                i,
                labels[i],
                rule,
                value,
                line,
                side,
                f"Point {labels[i]} ({value:.4g}) completes {needed} of {window} successive "
                f"points {side} the {zone:g}σ line ({line:.4g}).",
            )
    return None


def _validate_rules(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    selected = tuple(dict.fromkeys(rules))
    for rule in selected:
        if rule not in WESTERN_ELECTRIC_RULES:
            raise ValueError(
                f"unknown run rule {rule!r}; choose from {', '.join(WESTERN_ELECTRIC_RULES)}"
            )
    return selected


def _only_limits(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    return ("beyond_limits",) if "beyond_limits" in _validate_rules(rules) else ()


def _attribute_inputs(defectives: ArrayLike, sizes: ArrayLike) -> tuple[FloatArray, FloatArray]:
    d = _finite_vector(defectives, "defectives")
    n = np.broadcast_to(np.asarray(sizes, dtype=np.float64), d.shape).astype(np.float64)
    if len(d) < 1:
        raise ValueError("at least one period is needed")
    if not np.all(np.isfinite(n)) or np.any(n <= 0):
        raise ValueError("sample sizes must be positive numbers")
    if np.any(d < 0) or np.any(d > n):
        raise ValueError("each count must lie between 0 and its sample size")
    if np.any(d != np.round(d)) or np.any(n != np.round(n)):
        raise ValueError("counts and sample sizes must be whole numbers")
    return d, n


def _finite_vector(values: ArrayLike, name: str) -> FloatArray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite numbers (no missing values)")
    return x


def _labels(labels: Sequence[str] | None, size: int) -> tuple[str, ...]:
    if labels is None:
        return tuple(str(i + 1) for i in range(size))
    result = tuple(str(label) for label in labels)
    if len(result) != size:
        raise ValueError(f"got {len(result)} labels for {size} points")
    return result


def _baseline(baseline: int | None, size: int, *, minimum: int) -> int:
    m = size if baseline is None else baseline
    if isinstance(m, bool) or not isinstance(m, int | np.integer):
        raise ValueError("baseline must be a whole number of points")
    if not minimum <= m <= size:
        raise ValueError(f"baseline must be between {minimum} and {size} points, got {m}")
    return int(m)
