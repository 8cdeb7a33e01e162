"""Item results for the results page: count tables in, suppressed statistics out.

Groups (unit × month cells) with fewer answers than the minimum group size are
hidden, and a second cell is hidden next to a lone hidden one so it cannot be
recovered by subtracting the visible cells from the visible total. The
statistics themselves come from :mod:`analysis.items`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from analysis.items import ItemSummary, Scale, summarize_item
from survey.questionnaires.model import Item, Questionnaire
from survey.questionnaires.scales import NOT_APPLICABLE

Cell = tuple[int | None, date]
"""(unit id, month)"""


def analysis_scale(q: Questionnaire, item: Item) -> Scale | None:
    scale = q.scale_of(item)
    if scale is None or not scale.top or not scale.bottom:
        return None
    return Scale(scale.min, scale.max, tuple(scale.top), tuple(scale.bottom), item.scale or item.type)


def merge(counts: Iterable[Mapping[int, int]]) -> dict[int, int]:
    total: dict[int, int] = defaultdict(int)
    for table in counts:
        for value, n in table.items():
            total[value] += n
    return dict(total)


@dataclass(frozen=True)
class ItemResult:
    """One item over a set of responses: the summary, or why there is none."""

    total: int
    """Answers including "nie dotyczy"."""
    summary: ItemSummary | None
    suppressed: bool = False


def summarize(counts: Mapping[int, int], scale: Scale, min_group: int) -> ItemResult:
    total = sum(counts.values())
    if total < min_group:
        return ItemResult(total=0, summary=None, suppressed=total > 0)  # a hidden size never leaves
    substantive = {v: n for v, n in counts.items() if v != NOT_APPLICABLE}
    if not any(substantive.values()):
        return ItemResult(total=total, summary=None)
    return ItemResult(total=total, summary=summarize_item(counts, scale, not_applicable=(NOT_APPLICABLE,)))


@dataclass(frozen=True)
class Suppression:
    """What a unit × month table may not show: cells, unit totals and month totals."""

    cells: frozenset[Cell]
    units: frozenset[int | None]
    months: frozenset[date]


def _protect_line(sizes: Mapping[object, int], hidden: set[object], min_group: int) -> tuple[bool, bool]:
    """Hide more of one line (whose total is shown) until its hidden part cannot be derived.

    The hidden members of a line are recoverable as a sum (total minus the visible
    members); that sum must be 0 or at least ``min_group``, and a lone hidden member
    needs a companion. Returns (whether anything was added, whether the line could
    not be protected, in which case its total must be hidden instead).
    """
    added = False
    while True:
        hidden_here = [key for key in sizes if key in hidden and sizes[key] > 0]
        hidden_sum = sum(sizes[key] for key in hidden_here)
        if not hidden_here or (len(hidden_here) > 1 and hidden_sum >= min_group):
            return added, False
        visible = sorted((n, str(key)) for key, n in sizes.items() if key not in hidden and n > 0)
        if not visible:
            return added, True
        smallest = next(key for key, n in sizes.items() if key not in hidden and (n, str(key)) == visible[0])
        hidden.add(smallest)
        added = True


def suppress_table(sizes: Mapping[Cell, int], min_group: int) -> Suppression:
    """Cells and totals to hide in a unit × month table with all its margins shown.

    Primary suppression hides every cell and total with 0 < n < k. Complementary
    suppression then works on every line whose total is visible — each unit's
    months (unit totals), each month's units (month totals), the unit totals and
    the month totals (the grand total) — until no hidden value can be recovered
    by subtraction, alone or as a sum under k. Differences between separate
    queries (one period against another) are not covered; see docs/methodology.md.
    """
    units = {u for u, _m in sizes}
    months = {m for _u, m in sizes}
    unit_totals = {u: sum(n for (uu, _m), n in sizes.items() if uu == u) for u in units}
    month_totals = {m: sum(n for (_u, mm), n in sizes.items() if mm == m) for m in months}
    hidden_cells: set[object] = {cell for cell, n in sizes.items() if 0 < n < min_group}
    hidden_units: set[object] = {u for u, n in unit_totals.items() if 0 < n < min_group}
    hidden_months: set[object] = {m for m, n in month_totals.items() if 0 < n < min_group}
    changed = True
    while changed:
        changed = False
        for u in units:
            if u in hidden_units:
                continue  # a hidden total gives nothing to subtract from
            added, unprotectable = _protect_line(
                {cell: n for cell, n in sizes.items() if cell[0] == u}, hidden_cells, min_group
            )
            if unprotectable:
                hidden_units.add(u)
            changed |= added or unprotectable
        for m in months:
            if m in hidden_months:
                continue
            added, unprotectable = _protect_line(
                {cell: n for cell, n in sizes.items() if cell[1] == m}, hidden_cells, min_group
            )
            if unprotectable:
                hidden_months.add(m)
            changed |= added or unprotectable
        for totals, hidden in ((unit_totals, hidden_units), (month_totals, hidden_months)):
            added, _unprotectable = _protect_line(totals, hidden, min_group)  # type: ignore[arg-type]
            changed |= added
    return Suppression(
        cells=frozenset(hidden_cells),  # type: ignore[arg-type]
        units=frozenset(hidden_units),  # type: ignore[arg-type]
        months=frozenset(hidden_months),  # type: ignore[arg-type]
    )
