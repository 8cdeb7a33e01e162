"""Anonymity thresholds with complementary suppression for reported counts.

Employees answer the staff survey only if they trust that no answer can be
traced back to them (anonimowość ankiety pracowniczej). Every reported cell —
a unit, a team, a unit crossed with a demographic band — is therefore shown
only when it holds at least ``k`` respondents (próg anonimowości): ``k = 5``
for numeric results and ``k = 10`` for free-text comments and for cross-tabs
of two demographics (domain policy §9.17).

Hiding the small cells is not enough: a parent total minus its visible
children reveals a hidden child. This module therefore applies
**complementary suppression** (ukrywanie uzupełniające) on every relation
"parent = sum of its children" of the table, at every level of the hierarchy
(office → unit → team) and across demographic bands (unit = sum of its
bands). The rules, applied until none is violated:

1. *Primary suppression*: a cell with ``0 < n < k`` is hidden.
2. *No lone unknown*: in every relation, a hidden cell is never the only
   unknown member — otherwise subtraction (or addition, for a hidden parent)
   recovers it. The smallest visible sibling with ``n > 0`` is hidden next
   ("next-smallest sibling"); if none is left, the parent is hidden.
3. *Pooled threshold*: when the parent is visible, the hidden children of a
   relation together hold either nobody or at least ``k`` respondents, so that
   the difference "parent minus visible children" never describes a group
   smaller than ``k`` (the rule of aggregating hidden groups upward, Dialog).
4. *Small groups get no demographics*: a group with fewer than ``2k``
   respondents shows no demographic breakdown at all.

Cells with ``n = 0`` are shown: a zero reveals no person's answers, and hiding
zeros would not protect anyone, so zeros are never primary suppressions and
are never chosen as complements (they add nobody to a hidden pool). The one
exception is rule 4, which hides the whole breakdown of a small group.

Respondents counted in a parent but in none of its listed children (for
example those who did not name a team) form an implied *remainder* cell. It
is never shown, so it counts as unknown; a remainder with ``0 < n < k`` is
protected like any hidden cell, one with ``n ≥ k`` or ``n = 0`` may be
derived harmlessly.

Guarantee: no hidden cell can be recovered exactly through any chain of
single-relation subtractions or additions (the closure of the table's linear
relations), and every derivable difference covers 0 or at least ``k``
respondents. Interval (bounds-based) disclosure in multi-way tables is not
analysed; keep cross-tabs to one hierarchy × one demographic at a time.

References: Hundepool et al. (2012) *Statistical Disclosure Control*, Wiley,
ch. 4 (tabular data, complementary suppression); ICO (2012) *Anonymisation:
managing data protection risk code of practice*; Dialog and Populum
documentation on anonymity thresholds (domain reference §9.17).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from analysis.results import Note

K_NUMBERS: Final = 5
"""Minimum respondents per reported cell for numeric results."""

K_FREE_TEXT: Final = 10
"""Minimum respondents per cell for free-text comments."""

K_CROSS_TAB: Final = 10
"""Minimum respondents per cell in a cross-tab of two demographics."""

REMAINDER: Final = "(remainder)"
"""Path component (or band) naming the implied remainder of a parent."""

Reason = Literal["shown", "primary", "complementary", "small_group_demographics", "remainder"]
Key = tuple[tuple[str, ...], str | None]


@dataclass(frozen=True, slots=True)
class CellDecision:
    """Whether one cell may be shown, and why not if it may not.

    ``reason`` is ``shown``; ``primary`` (0 < n < k); ``complementary``
    (hidden to protect another cell); ``small_group_demographics`` (a band of
    a group smaller than 2k); or ``remainder`` for the implied cells, which
    are never shown.
    """

    path: tuple[str, ...]
    band: str | None
    count: int
    visible: bool
    reason: Reason


@dataclass(frozen=True, slots=True)
class SuppressionResult:
    """Decisions for every input cell (in input order) and implied remainders."""

    k: int
    cells: tuple[CellDecision, ...]
    remainders: tuple[CellDecision, ...]
    method: str
    notes: tuple[Note, ...] = field(default=())

    @property
    def visible(self) -> tuple[CellDecision, ...]:
        return tuple(c for c in self.cells if c.visible)

    @property
    def suppressed(self) -> tuple[CellDecision, ...]:
        return tuple(c for c in self.cells if not c.visible)

    def decision(self, path: Sequence[str], band: str | None = None) -> CellDecision:
        """The decision for one cell; ``KeyError`` if it was not in the input."""
        key = (tuple(path), band)
        for cell in self.cells:
            if (cell.path, cell.band) == key:
                return cell
        raise KeyError(key)


@dataclass(slots=True)
class _Cell:
    key: Key
    count: int
    listed: bool  # False for implied remainders
    hidden: bool = False
    reason: Reason = "shown"


@dataclass(frozen=True, slots=True)
class _Relation:
    parent: Key
    children: tuple[Key, ...]


def suppress(
    cells: Iterable[tuple[Sequence[str], int] | tuple[Sequence[str], str | None, int]],
    k: int = K_NUMBERS,
) -> SuppressionResult:
    """Decide which cells may be shown at threshold ``k``.

    ``cells`` are ``(path, count)`` or ``(path, band, count)`` tuples, e.g.
    the rows of ``SELECT unit, team, age_band, count(*) … GROUP BY ROLLUP``:
    ``(("Urząd", "Wydział A"), 42)``, ``(("Urząd", "Wydział A", "Zespół 1"),
    7)``, ``(("Urząd", "Wydział A"), "30–44", 12)``. A path's parent is the
    path without its last component; ``band=None`` means all respondents of
    the path. A parent's count must be at least the sum of its listed
    children; the difference is the implied remainder.
    Rules and guarantee: see the module documentation.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ValueError("the threshold k must be a whole number of at least 2")
    table, order = _read_cells(cells)
    relations = _relations(table)
    for cell in table.values():
        if cell.listed and 0 < cell.count < k:
            cell.hidden, cell.reason = True, "primary"
    _hide_small_group_demographics(table, k)
    rounds = _complementary_suppression(table, relations, k)
    decisions = tuple(
        CellDecision(key[0], key[1], table[key].count, not table[key].hidden, table[key].reason)
        for key in order
    )
    remainders = tuple(
        CellDecision(cell.key[0], cell.key[1], cell.count, False, "remainder")
        for cell in sorted(table.values(), key=lambda c: _sort_key(c.key))
        if not cell.listed
    )
    hidden = sum(not d.visible for d in decisions)
    notes: tuple[Note, ...] = ()
    if hidden:
        notes = (
            Note(
                "suppressed",
                f"{hidden} of {len(decisions)} cells are hidden to protect anonymity (k = {k})",
            ),
        )
    return SuppressionResult(
        k=k,
        cells=decisions,
        remainders=remainders,
        method=f"threshold k = {k} with complementary suppression over "
        f"{len(relations)} parent–children relations ({rounds} passes)",
        notes=notes,
    )


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _read_cells(
    cells: Iterable[tuple[Sequence[str], int] | tuple[Sequence[str], str | None, int]],
) -> tuple[dict[Key, _Cell], list[Key]]:
    table: dict[Key, _Cell] = {}
    order: list[Key] = []
    for row in cells:
        if len(row) == 2:
            path, count = row
            band: str | None = None
        elif len(row) == 3:
            path, band, count = row
        else:
            raise ValueError(f"each cell must be (path, count) or (path, band, count), got {row!r}")
        if isinstance(path, str):
            raise ValueError(f"path must be a sequence of names, not the string {path!r}")
        key: Key = (tuple(str(part) for part in path), band)
        if REMAINDER in key[0] or band == REMAINDER:
            raise ValueError(f"{REMAINDER!r} is reserved for implied remainder cells")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count of {key} must be a non-negative whole number, got {count!r}")
        if key in table:
            raise ValueError(f"cell {key} is listed twice")
        table[key] = _Cell(key, count, listed=True)
        order.append(key)
    if not table:
        raise ValueError("no cells to check")
    return table, order


def _relations(table: dict[Key, _Cell]) -> list[_Relation]:
    """Every 'parent = sum of children' relation, with remainders added to the table."""
    children: dict[Key, list[Key]] = {}
    for path, band in list(table):
        if path:
            parent = (path[:-1], band)
            if parent in table:
                children.setdefault(parent, []).append((path, band))
        if band is not None and (path, None) in table:
            children.setdefault((path, None), []).append((path, band))
    relations: list[_Relation] = []
    # A total with bands takes part in two relations (its children in the hierarchy and
    # its demographic bands); each gets its own remainder.
    for parent, kids in sorted(children.items(), key=lambda item: _sort_key(item[0])):
        groups: dict[bool, list[Key]] = {}
        for kid in kids:
            groups.setdefault(kid[0] == parent[0], []).append(kid)
        for is_band_relation, members in sorted(groups.items()):
            total = sum(table[m].count for m in members)
            remainder = table[parent].count - total
            if remainder < 0:
                raise ValueError(
                    f"the parts of {parent} add up to {total}, more than its count "
                    f"{table[parent].count}"
                )
            members = sorted(members, key=_sort_key)
            if remainder > 0:
                rest: Key = (
                    (parent[0], REMAINDER)
                    if is_band_relation
                    else ((*parent[0], REMAINDER), parent[1])
                )
                table[rest] = _Cell(rest, remainder, listed=False)
                members.append(rest)
            relations.append(_Relation(parent, tuple(members)))
    return relations


def _hide_small_group_demographics(table: dict[Key, _Cell], k: int) -> None:
    for (path, band), cell in table.items():
        if band is None or not cell.listed:
            continue
        total = table.get((path, None))
        group_size = total.count if total is not None else None
        if group_size is not None and group_size < 2 * k and not cell.hidden:
            cell.hidden, cell.reason = True, "small_group_demographics"


def _complementary_suppression(table: dict[Key, _Cell], relations: list[_Relation], k: int) -> int:
    passes = 0
    while True:
        passes += 1
        changed = False
        for relation in relations:
            while _fix(table, relation, k):
                changed = True
        if not changed:
            return passes


def _unknown(cell: _Cell) -> bool:
    return cell.hidden or not cell.listed


def _needs_protection(cell: _Cell, k: int) -> bool:
    if cell.listed:
        return cell.hidden
    return 0 < cell.count < k


def _fix(table: dict[Key, _Cell], relation: _Relation, k: int) -> bool:
    """Hide one more cell if the relation breaks rule 2 or 3; report whether it did."""
    parent = table[relation.parent]
    kids = [table[key] for key in relation.children]
    members = [parent, *kids]
    unknown = [cell for cell in members if _unknown(cell)]
    lone = len(unknown) == 1 and _needs_protection(unknown[0], k)
    pool = sum(cell.count for cell in kids if _unknown(cell))
    small_pool = not _unknown(parent) and 0 < pool < k
    if not (lone or small_pool):
        return False
    # Next-smallest visible sibling with respondents; else the parent; else (only when a
    # hidden parent has nothing but empty children) an empty sibling.
    visible_kids = [cell for cell in kids if cell.listed and not cell.hidden]
    populated = [cell for cell in visible_kids if cell.count > 0]
    chosen: _Cell
    if populated:
        chosen = min(populated, key=lambda c: (c.count, _sort_key(c.key)))
    elif not parent.hidden:
        chosen = parent
    else:
        chosen = min(visible_kids, key=lambda c: _sort_key(c.key))
    chosen.hidden, chosen.reason = True, "complementary"
    return True


def _sort_key(key: Key) -> tuple[tuple[str, ...], str]:
    path, band = key
    return path, "" if band is None else band
