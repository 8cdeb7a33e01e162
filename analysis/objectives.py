"""Verdicts on quality objectives (cele jakości, ISO 9001 clause 6.2).

Clause 6.2.2 asks how the results of an objective will be evaluated. The
product stores that rule with each objective and applies it here to an
estimate with its confidence interval:

* **confidence-interval rule** (default, domain policy §10.2), for a target
  the result must reach *at least*:
  ``met`` (cel spełniony) if the lower bound ≥ target;
  ``not_met`` (cel niespełniony) if the upper bound < target;
  otherwise ``inconclusive`` (wynik nierozstrzygnięty) — the data cannot
  tell, usually because the sample is too small. For a target the result
  must stay *at most* (e.g. "% dissatisfied ≤ 5%") the roles of the bounds
  swap: met if the upper bound ≤ target, not met if the lower bound > target.
* **point-estimate rule**, which an office may choose and must then store
  with the objective: met if the estimate reaches the target (≥ or ≤), not
  met otherwise; never inconclusive. A note says when the interval rule
  would have been inconclusive.

The verdict carries a stable ``code`` and its numbers (``parameters``) so the
service can word it in Polish; ``sentence`` is the English wording for logs
and documentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from analysis.results import Estimate, Note

Direction = Literal["at_least", "at_most"]
EvaluationRule = Literal["confidence_interval", "point_estimate"]
VerdictCode = Literal["met", "not_met", "inconclusive"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The evaluation of one quality objective for one period."""

    code: VerdictCode
    sentence: str
    estimate: float
    lower: float | None
    upper: float | None
    level: float | None
    target: float
    direction: Direction
    rule: EvaluationRule
    n: int
    method: str
    notes: tuple[Note, ...] = field(default=())

    @property
    def parameters(self) -> dict[str, float | int | str | None]:
        """The numbers behind the sentence, for translation by code."""
        return {
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
            "target": self.target,
            "direction": self.direction,
            "rule": self.rule,
            "n": self.n,
        }


def evaluate_objective(
    estimate: Estimate,
    target: float,
    direction: Direction = "at_least",
    rule: EvaluationRule = "confidence_interval",
) -> Verdict:
    """Met / not met / inconclusive for an objective with a numeric target.

    Confidence-interval rule, ``at_least``: met if L ≥ T, not met if U < T,
    else inconclusive; ``at_most``: met if U ≤ T, not met if L > T, else
    inconclusive. Point-estimate rule: met if the estimate ≥ T (``at_least``)
    or ≤ T (``at_most``), else not met. The estimate's own notes (e.g. small
    n) are carried over.
    Reference: ISO 9001:2015 clauses 6.2.1 e) and 6.2.2 e); domain policy §10.2.
    """
    if not math.isfinite(target):
        raise ValueError("the target must be a finite number")
    if direction not in ("at_least", "at_most"):
        raise ValueError("direction must be 'at_least' or 'at_most'")
    if rule not in ("confidence_interval", "point_estimate"):
        raise ValueError("rule must be 'confidence_interval' or 'point_estimate'")
    value = estimate.value
    if not math.isfinite(value):
        raise ValueError("the estimate is not a finite number; there is nothing to evaluate")
    interval = estimate.interval
    lower = upper = level = None
    if interval is not None and math.isfinite(interval.lower) and math.isfinite(interval.upper):
        lower, upper, level = interval.lower, interval.upper, interval.level
    notes = list(estimate.notes)

    code: VerdictCode
    if rule == "confidence_interval":
        if lower is None or upper is None or level is None:
            raise ValueError(
                "the confidence-interval rule needs an estimate with a finite interval; "
                "use the point-estimate rule or collect more answers"
            )
        if direction == "at_least":
            code = "met" if lower >= target else "not_met" if upper < target else "inconclusive"
        else:
            code = "met" if upper <= target else "not_met" if lower > target else "inconclusive"
    else:
        reached = value >= target if direction == "at_least" else value <= target
        code = "met" if reached else "not_met"
        if lower is not None and upper is not None and lower < target < upper:
            notes.append(
                Note(
                    "interval_contains_target",
                    "the target lies inside the confidence interval; under the "
                    "confidence-interval rule the verdict would be inconclusive",
                )
            )
    sentence = _sentence(code, value, lower, upper, level, target, direction, rule)
    return Verdict(
        code=code,
        sentence=sentence,
        estimate=value,
        lower=lower,
        upper=upper,
        level=level,
        target=target,
        direction=direction,
        rule=rule,
        n=estimate.n,
        method=f"objective verdict, {rule.replace('_', '-')} rule ({estimate.method})",
        notes=tuple(notes),
    )


def _sentence(
    code: VerdictCode,
    value: float,
    lower: float | None,
    upper: float | None,
    level: float | None,
    target: float,
    direction: Direction,
    rule: EvaluationRule,
) -> str:
    wanted = "at least" if direction == "at_least" else "at most"
    head = {
        "met": "Objective met",
        "not_met": "Objective not met",
        "inconclusive": "Inconclusive",
    }[code]
    est = _fmt(value)
    tgt = _fmt(target)
    if rule == "point_estimate":
        relation = "reaches" if code == "met" else "does not reach"
        interval = ""
        if lower is not None and upper is not None and level is not None:
            interval = f" ({level:.0%} CI {_fmt(lower)} to {_fmt(upper)})"
        return (
            f"{head}: the estimate {est}{interval} {relation} the target of {wanted} {tgt} "
            f"(point-estimate rule)."
        )
    if lower is None or upper is None or level is None:
        raise ValueError("the confidence-interval rule needs an interval")
    ci = f"{level:.0%} confidence interval {_fmt(lower)} to {_fmt(upper)}"
    if code == "met":
        bound = "lower" if direction == "at_least" else "upper"
        side = "at or above" if direction == "at_least" else "at or below"
        return (
            f"{head}: the {bound} {level:.0%} confidence bound "
            f"({_fmt(lower if bound == 'lower' else upper)}) is {side} the target of {wanted} "
            f"{tgt}; estimate {est}."
        )
    if code == "not_met":
        side = "below" if direction == "at_least" else "above"
        return f"{head}: the whole {ci} lies {side} the target of {wanted} {tgt}; estimate {est}."
    return (
        f"{head}: the {ci} contains the target of {wanted} {tgt}; the data cannot show "
        f"whether the objective is met (estimate {est})."
    )


def _fmt(x: float) -> str:
    return f"{x:.4g}"
