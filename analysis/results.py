"""Typed results shared by every statistic in :mod:`analysis`.

A result always says what it estimated, from how many observations, by which
method, and what a reader should be warned about. Warnings carry a stable
``code`` so the service can translate them; the ``message`` is English for
logs and for the methodology documentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

CONFIDENCE = 0.95
"""Default confidence level for every interval in the library."""


@dataclass(frozen=True, slots=True)
class Note:
    """A warning attached to a result, e.g. ``Note("small_n", "n < 30 ...")``."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Interval:
    """A two-sided confidence interval."""

    lower: float
    upper: float
    level: float = CONFIDENCE

    def __post_init__(self) -> None:
        if not (math.isnan(self.lower) or math.isnan(self.upper)) and self.lower > self.upper:
            raise ValueError(f"interval lower bound {self.lower} exceeds upper bound {self.upper}")

    def contains(self, value: float) -> bool:
        return self.lower <= value <= self.upper

    @property
    def width(self) -> float:
        return self.upper - self.lower


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its interval, sample size and method name."""

    value: float
    interval: Interval | None
    n: int
    method: str
    notes: tuple[Note, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class TestResult:
    """A hypothesis test: statistic, p-value, optional effect size."""

    statistic: float
    p_value: float
    n: int
    method: str
    df: float | None = None
    effect: Estimate | None = None
    notes: tuple[Note, ...] = field(default=())


SMALL_N = 30
"""Resident groups below this size carry a precision warning (domain policy §9.0)."""


def small_n_note(n: int, threshold: int = SMALL_N) -> tuple[Note, ...]:
    """The standard precision warning for small groups, or nothing."""
    if n < threshold:
        return (Note("small_n", f"n = {n} is below {threshold}; the estimate is imprecise"),)
    return ()
