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
        return ItemResult(total=total, summary=None, suppressed=total > 0)
    substantive = {v: n for v, n in counts.items() if v != NOT_APPLICABLE}
    if not any(substantive.values()):
        return ItemResult(total=total, summary=None)
    return ItemResult(total=total, summary=summarize_item(counts, scale, not_applicable=(NOT_APPLICABLE,)))


def hidden_cells(sizes: Mapping[Cell, int], min_group: int) -> set[Cell]:
    """Cells to hide in a unit × month table whose month totals are shown.

    Primary: 0 < n < k. Complementary: in any month where exactly one cell is
    hidden, also hide the smallest other non-empty cell, so the hidden one
    cannot be derived as total minus the visible cells.
    """
    hidden = {cell for cell, n in sizes.items() if 0 < n < min_group}
    by_month: dict[date, list[Cell]] = defaultdict(list)
    for cell in sizes:
        by_month[cell[1]].append(cell)
    for cells in by_month.values():
        hidden_here = [c for c in cells if c in hidden]
        if len(hidden_here) == 1:
            others = sorted((sizes[c], str(c[0])) for c in cells if c not in hidden and sizes[c] > 0)
            if others:
                smallest = next(c for c in cells if c not in hidden and (sizes[c], str(c[0])) == others[0])
                hidden.add(smallest)
    return hidden
