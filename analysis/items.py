"""Single rating items: distribution, mean, median, top-/bottom-box and 0–100 score.

Every function takes a frequency table ``{code: count}`` — the way the service
reads answers from SQL count tables — and returns typed results from
:mod:`analysis.results`.

"Nie dotyczy / brak opinii" (not applicable / no opinion) answers are stored as
their own codes. The caller names them in ``not_applicable``; they are removed
from every denominator (mean, median, shares, top-box) and their number is
reported separately as ``n_not_applicable``.

A :class:`Scale` describes an item: its lowest and highest code, and which codes
form the top box ("odsetek zadowolonych", top-2-box) and the bottom box. Codes
are consecutive integers and a higher code means a better rating; reverse-keyed
items must be recoded before they reach this module.

References: mean and t-interval with finite population correction — Cochran
(1977), *Sampling Techniques*, ch. 2; Wilson (1927), *JASA* 22:209–212;
Clopper & Pearson (1934), *Biometrika* 26:404–413; trinomial variance of a net
score — Rocks (2016), *The American Statistician* 70(4):365–372.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from scipy import stats

from analysis.counts import CountTable, as_count_mapping
from analysis.probability import normal_quantile, t_quantile
from analysis.results import CONFIDENCE, Estimate, Interval, Note, small_n_note

ProportionMethod = Literal["wilson", "clopper-pearson"]
NetMethod = Literal["adjusted-wald", "wald"]


@dataclass(frozen=True, slots=True)
class Scale:
    """A rating scale: codes ``minimum … maximum`` and the top/bottom boxes.

    ``top_box`` and ``bottom_box`` are the codes counted as satisfied and
    dissatisfied (e.g. 4–5 and 1–2 on a 1–5 scale). They must lie on the scale
    and must not overlap.
    """

    minimum: int
    maximum: int
    top_box: tuple[int, ...]
    bottom_box: tuple[int, ...]
    name: str = ""

    def __post_init__(self) -> None:
        if self.maximum <= self.minimum:
            raise ValueError(f"scale maximum {self.maximum} must exceed minimum {self.minimum}")
        if not self.top_box or not self.bottom_box:
            raise ValueError("a scale needs at least one top-box and one bottom-box code")
        for code in (*self.top_box, *self.bottom_box):
            if not self.minimum <= code <= self.maximum:
                raise ValueError(f"box code {code} lies outside the scale")
        if set(self.top_box) & set(self.bottom_box):
            raise ValueError("top-box and bottom-box codes must not overlap")

    @property
    def codes(self) -> tuple[int, ...]:
        """All substantive codes of the scale, lowest first."""
        return tuple(range(self.minimum, self.maximum + 1))

    @property
    def points(self) -> int:
        """Number of scale points."""
        return self.maximum - self.minimum + 1

    def to_0_100(self, value: float) -> float:
        """Linear transform ``(x − min) / (max − min) · 100``."""
        return (value - self.minimum) / (self.maximum - self.minimum) * 100.0

    @classmethod
    def likert(cls, points: int, name: str = "") -> Scale:
        """A ``1 … points`` rating or agreement scale with top-2 and bottom-2 boxes.

        Supports 4-, 5- and 7-point scales (e.g. 1 bardzo źle … 5 bardzo dobrze;
        nie / raczej nie / raczej tak / tak).
        """
        if points not in (4, 5, 7):
            raise ValueError(f"a Likert scale has 4, 5 or 7 points, not {points}")
        return cls(1, points, (points - 1, points), (1, 2), name or f"{points}-point")

    @classmethod
    def smiley(cls, faces: int, name: str = "") -> Scale:
        """A kiosk smiley scale with ``faces`` faces, coded ``1`` (angry) … ``faces``.

        Three faces have no second box on either side, so the top box is the
        happy face alone and the bottom box the unhappy one; four and five faces
        use top-2 and bottom-2 boxes.
        """
        if faces == 3:
            return cls(1, 3, (3,), (1,), name or "3 smileys")
        if faces in (4, 5):
            return cls(1, faces, (faces - 1, faces), (1, 2), name or f"{faces} smileys")
        raise ValueError(f"a smiley scale has 3, 4 or 5 faces, not {faces}")

    @classmethod
    def zero_to_ten(cls, name: str = "0-10") -> Scale:
        """The 0–10 likelihood-to-recommend scale.

        Top box = promoters (9–10), bottom box = detractors (0–6), so the net
        score of this scale is the Net Promoter Score divided by 100.
        """
        return cls(0, 10, (9, 10), tuple(range(0, 7)), name)


@dataclass(frozen=True, slots=True)
class Distribution:
    """Counts and shares per scale code; shares are of the valid ``n``."""

    codes: tuple[int, ...]
    counts: tuple[int, ...]
    shares: tuple[float, ...]
    n: int
    n_not_applicable: int

    @property
    def share_not_applicable(self) -> float:
        """Share of "nie dotyczy / brak opinii" among all answers (NaN if none)."""
        total = self.n + self.n_not_applicable
        return self.n_not_applicable / total if total else math.nan


@dataclass(frozen=True, slots=True)
class ItemSummary:
    """Everything a report shows for one item × unit × period."""

    n: int
    n_not_applicable: int
    distribution: Distribution
    mean: Estimate
    median: float
    t2b: Estimate
    b2b: Estimate
    net: Estimate
    score_0_100: Estimate
    notes: tuple[Note, ...] = field(default=())


def split_not_applicable(
    counts: CountTable, not_applicable: Iterable[float] = ()
) -> tuple[dict[float, int], int]:
    """Separate substantive answers from "nie dotyczy / brak opinii" codes.

    Returns ``(substantive counts, number of not-applicable answers)``.
    """
    table = as_count_mapping(counts)
    excluded = {float(code) for code in not_applicable}
    substantive = {value: c for value, c in table.items() if value not in excluded}
    n_na = sum(c for value, c in table.items() if value in excluded)
    return substantive, n_na


def counts_on_scale(
    counts: CountTable, scale: Scale, not_applicable: Iterable[float] = ()
) -> tuple[dict[int, int], int]:
    """Counts per scale code (zeros filled in) and the number of not-applicable answers.

    Raises ValueError for a code that is neither on the scale nor declared not
    applicable.
    """
    substantive, n_na = split_not_applicable(counts, not_applicable)
    on_scale = {code: 0 for code in scale.codes}
    for value, count in substantive.items():
        if value != round(value) or int(value) not in on_scale:
            if count == 0:
                continue
            raise ValueError(
                f"code {value:g} is not on the scale {scale.minimum}-{scale.maximum} "
                "and is not listed as not applicable"
            )
        on_scale[int(value)] += count
    return on_scale, n_na


def _require_answers(n: int) -> None:
    if n == 0:
        raise ValueError("no substantive answers: every answer is missing or not applicable")


def distribution(
    counts: CountTable, scale: Scale, not_applicable: Iterable[float] = ()
) -> Distribution:
    """Counts and shares of each scale code among valid answers.

    Share_k = count_k / n, with n the number of substantive answers; codes the
    scale defines but nobody chose appear with a zero count.
    """
    on_scale, n_na = counts_on_scale(counts, scale, not_applicable)
    n = sum(on_scale.values())
    _require_answers(n)
    codes = tuple(on_scale)
    values = tuple(on_scale[c] for c in codes)
    shares = tuple(v / n for v in values)
    return Distribution(codes, values, shares, n, n_na)


def _moments(table: Mapping[float, int]) -> tuple[int, float, float]:
    """``(n, mean, sample variance)`` of a frequency table (variance NaN if n < 2)."""
    n = sum(table.values())
    mean = sum(v * c for v, c in table.items()) / n
    if n < 2:
        return n, mean, math.nan
    ss = sum(c * (v - mean) ** 2 for v, c in table.items())
    return n, mean, ss / (n - 1)


def fpc_factor(n: int, population: int | None) -> float:
    """Finite population correction ``(N − n) / (N − 1)`` for variances (1 if no N)."""
    if population is None:
        return 1.0
    if population < n:
        raise ValueError(f"population size {population} is smaller than the sample {n}")
    if population <= 1:
        return 0.0
    return (population - n) / (population - 1)


def mean_score(
    counts: CountTable,
    *,
    not_applicable: Iterable[float] = (),
    population: int | None = None,
    level: float = CONFIDENCE,
) -> Estimate:
    """Mean with a t-interval, from a ``{value: count}`` table.

    x̄ = Σ c_k x_k / n; s² = Σ c_k (x_k − x̄)² / (n − 1);
    CI = x̄ ± t_{1−α/2, n−1} · s/√n · √((N − n)/(N − 1)) when the population
    size N is given (finite population correction, Cochran 1977, ch. 2).
    With n = 1 there is no interval.
    """
    _check_level(level)
    table, _ = split_not_applicable(counts, not_applicable)
    return _mean_of_table(table, population, level)


def _mean_of_table(table: Mapping[float, int], population: int | None, level: float) -> Estimate:
    """:func:`mean_score` of a validated table of substantive answers."""
    n = sum(table.values())
    _require_answers(n)
    n, mean, variance = _moments(table)
    fpc = fpc_factor(n, population)
    method = "t-interval" + (" with finite population correction" if population else "")
    notes = list(small_n_note(n))
    if n < 2:
        notes.append(Note("no_interval", "a single answer has no sampling interval"))
        return Estimate(mean, None, n, method, tuple(notes))
    se = math.sqrt(variance / n * fpc)
    half = t_quantile(0.5 + level / 2, n - 1) * se
    return Estimate(mean, Interval(mean - half, mean + half, level), n, method, tuple(notes))


def median_score(counts: CountTable, *, not_applicable: Iterable[float] = ()) -> float:
    """Median from a frequency table (mean of the two middle values when n is even)."""
    table, _ = split_not_applicable(counts, not_applicable)
    return _median_of_table(table)


def _median_of_table(table: Mapping[float, int]) -> float:
    """:func:`median_score` of a validated table of substantive answers."""
    items = sorted((v, c) for v, c in table.items() if c > 0)
    n = sum(c for _, c in items)
    _require_answers(n)
    # 0-based positions of the middle observation(s)
    lower_pos, upper_pos = (n - 1) // 2, n // 2
    lower = upper = math.nan
    seen = 0
    for value, count in items:
        if seen <= lower_pos < seen + count:
            lower = value
        if seen <= upper_pos < seen + count:
            upper = value
            break
        seen += count
    return (lower + upper) / 2


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"confidence level must lie strictly between 0 and 1, got {level}")


def proportion_interval(
    successes: int,
    n: int,
    *,
    method: ProportionMethod = "wilson",
    level: float = CONFIDENCE,
    population: int | None = None,
) -> Interval:
    """Confidence interval for a proportion x/n.

    * ``"wilson"`` (default): centre (p̂ + z²/2n)/(1 + z²/n), half-width
      z·√(p̂(1 − p̂)/n + z²/4n²)/(1 + z²/n) (Wilson 1927).
    * ``"clopper-pearson"``: [Beta⁻¹(α/2; x, n − x + 1), Beta⁻¹(1 − α/2; x + 1, n − x)]
      (Clopper & Pearson 1934), exact and conservative.

    With a population size N the Wilson interval uses the effective sample size
    n* = n(N − 1)/(N − n); at n = N the interval collapses to the observed share.
    The finite population correction is not defined for Clopper–Pearson.
    """
    _check_level(level)
    if n <= 0:
        raise ValueError("a proportion needs at least one observation")
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} must lie between 0 and n = {n}")
    p = successes / n
    alpha = 1 - level
    if method == "clopper-pearson":
        if population is not None:
            raise ValueError("the finite population correction is available for Wilson only")
        lower = 0.0
        if successes > 0:
            lower = float(stats.beta.ppf(alpha / 2, successes, n - successes + 1))
        upper = 1.0
        if successes < n:
            upper = float(stats.beta.ppf(1 - alpha / 2, successes + 1, n - successes))
        return Interval(lower, upper, level)
    if method != "wilson":
        raise ValueError(f"unknown proportion interval method {method!r}")
    fpc = fpc_factor(n, population)
    if fpc == 0.0:
        return Interval(p, p, level)
    n_eff = n / fpc
    z = normal_quantile(1 - alpha / 2)
    denominator = 1 + z**2 / n_eff
    centre = (p + z**2 / (2 * n_eff)) / denominator
    half = z * math.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2)) / denominator
    # guard against floating-point excursions beyond [0, 1] and beyond p itself
    return Interval(max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p)), level)


def proportion(
    successes: int,
    n: int,
    *,
    method: ProportionMethod = "wilson",
    level: float = CONFIDENCE,
    population: int | None = None,
) -> Estimate:
    """A share x/n with its confidence interval (see :func:`proportion_interval`)."""
    interval = proportion_interval(successes, n, method=method, level=level, population=population)
    name = "Wilson score interval" if method == "wilson" else "Clopper-Pearson exact interval"
    if population is not None:
        name += " with finite population correction (effective n)"
    return Estimate(successes / n, interval, n, name, small_n_note(n))


def top_box(
    counts: CountTable,
    scale: Scale,
    *,
    not_applicable: Iterable[float] = (),
    method: ProportionMethod = "wilson",
    level: float = CONFIDENCE,
    population: int | None = None,
) -> Estimate:
    """Top-box share ("odsetek zadowolonych", T2B) of valid answers with its interval."""
    on_scale, _ = counts_on_scale(counts, scale, not_applicable)
    n = sum(on_scale.values())
    _require_answers(n)
    x = sum(on_scale[c] for c in scale.top_box)
    return proportion(x, n, method=method, level=level, population=population)


def bottom_box(
    counts: CountTable,
    scale: Scale,
    *,
    not_applicable: Iterable[float] = (),
    method: ProportionMethod = "wilson",
    level: float = CONFIDENCE,
    population: int | None = None,
) -> Estimate:
    """Bottom-box share ("odsetek niezadowolonych", B2B) with its interval."""
    on_scale, _ = counts_on_scale(counts, scale, not_applicable)
    n = sum(on_scale.values())
    _require_answers(n)
    x = sum(on_scale[c] for c in scale.bottom_box)
    return proportion(x, n, method=method, level=level, population=population)


def net_interval(
    n_top: int,
    n_bottom: int,
    n: int,
    *,
    method: NetMethod = "adjusted-wald",
    level: float = CONFIDENCE,
    population: int | None = None,
) -> Interval:
    """Interval for a net share p − d of a trinomial (top / middle / bottom).

    Var(p̂ − d̂) = [p + d − (p − d)²] / n, times (N − n)/(N − 1) with a
    population size. ``"wald"``: (p − d) ± z·SE. ``"adjusted-wald"`` (Rocks
    2016): add ¾ to the top and bottom counts and 3 to n, then the Wald
    formula with the adjusted p′, d′, n′; the interval is centred on p′ − d′.
    Limits are clipped to [−1, 1].
    """
    _check_level(level)
    if n <= 0:
        raise ValueError("a net score needs at least one observation")
    if n_top < 0 or n_bottom < 0 or n_top + n_bottom > n:
        raise ValueError("top and bottom counts must be non-negative and sum to at most n")
    if method == "adjusted-wald":
        n_adj = n + 3.0
        p = (n_top + 0.75) / n_adj
        d = (n_bottom + 0.75) / n_adj
    elif method == "wald":
        n_adj = float(n)
        p, d = n_top / n, n_bottom / n
    else:
        raise ValueError(f"unknown net score interval method {method!r}")
    variance = (p + d - (p - d) ** 2) / n_adj * fpc_factor(n, population)
    z = normal_quantile(0.5 + level / 2)
    half = z * math.sqrt(max(variance, 0.0))
    centre = p - d
    return Interval(max(-1.0, centre - half), min(1.0, centre + half), level)


def net_score(
    counts: CountTable,
    scale: Scale,
    *,
    not_applicable: Iterable[float] = (),
    method: NetMethod = "adjusted-wald",
    level: float = CONFIDENCE,
    population: int | None = None,
) -> Estimate:
    """Net score T2B − B2B (a share between −1 and 1) with a trinomial interval."""
    on_scale, _ = counts_on_scale(counts, scale, not_applicable)
    n = sum(on_scale.values())
    _require_answers(n)
    top = sum(on_scale[c] for c in scale.top_box)
    bottom = sum(on_scale[c] for c in scale.bottom_box)
    return _net_estimate(top, bottom, n, method, level, population)


def _net_estimate(
    top: int, bottom: int, n: int, method: NetMethod, level: float, population: int | None
) -> Estimate:
    """:func:`net_score` from the top-box, bottom-box and valid counts."""
    interval = net_interval(top, bottom, n, method=method, level=level, population=population)
    name = f"top-box minus bottom-box, {method} trinomial interval"
    return Estimate((top - bottom) / n, interval, n, name, small_n_note(n))


def clip_to_scale(estimate: Estimate, scale: Scale) -> Estimate:
    """Clip an interval for a mean on the scale to the scale's range.

    A t-interval on few answers can reach beyond the lowest or highest code;
    values outside the scale cannot occur, so the limits are cut there.
    """
    low, high = float(scale.minimum), float(scale.maximum)
    value = min(max(estimate.value, low), high)  # absorbs floating-point excursions
    if estimate.interval is None:
        if value == estimate.value:
            return estimate
        return Estimate(value, None, estimate.n, estimate.method, estimate.notes)
    lower = min(max(low, estimate.interval.lower), high)
    upper = max(min(high, estimate.interval.upper), low)
    if (value, lower, upper) == (estimate.value, estimate.interval.lower, estimate.interval.upper):
        return estimate
    interval = Interval(lower, upper, estimate.interval.level)
    return Estimate(value, interval, estimate.n, estimate.method, estimate.notes)


def rescale_0_100(estimate: Estimate, scale: Scale) -> Estimate:
    """Map a mean on the scale (and its interval) linearly onto 0–100."""
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
        f"linear 0-100 transform of the mean ({estimate.method})",
        estimate.notes,
    )


def summarize_item(
    counts: CountTable,
    scale: Scale,
    *,
    not_applicable: Iterable[float] = (),
    population: int | None = None,
    level: float = CONFIDENCE,
    proportion_method: ProportionMethod = "wilson",
) -> ItemSummary:
    """Summary of one item from its count table.

    Returns n (valid answers), the number of "nie dotyczy / brak opinii"
    answers, the distribution, the mean with t-interval, the median, T2B and
    B2B with Wilson (or Clopper–Pearson) intervals, the net score and the mean
    on 0–100 (the mean's interval clipped to the scale range). ``population``
    (N) switches on the finite population correction. Raises ValueError when
    no substantive answer is left.
    """
    na = tuple(not_applicable)
    dist = distribution(counts, scale, na)
    # The distribution holds the validated counts of every scale code, so the
    # statistics below are computed from it directly (as mean_score, top_box,
    # bottom_box, net_score and median_score would) without validating again.
    on_scale = dict(zip(dist.codes, dist.counts, strict=True))
    answers = {float(code): count for code, count in on_scale.items()}  # as split_not_applicable
    top = sum(on_scale[c] for c in scale.top_box)
    bottom = sum(on_scale[c] for c in scale.bottom_box)
    _check_level(level)
    mean = clip_to_scale(_mean_of_table(answers, population, level), scale)
    t2b = proportion(top, dist.n, method=proportion_method, level=level, population=population)
    b2b = proportion(bottom, dist.n, method=proportion_method, level=level, population=population)
    net = _net_estimate(top, bottom, dist.n, "adjusted-wald", level, population)
    return ItemSummary(
        n=dist.n,
        n_not_applicable=dist.n_not_applicable,
        distribution=dist,
        mean=mean,
        median=_median_of_table(answers),
        t2b=t2b,
        b2b=b2b,
        net=net,
        score_0_100=rescale_0_100(mean, scale),
        notes=small_n_note(dist.n),
    )
