"""Tests for analysis.anonymity: thresholds and complementary suppression.

The reference here is the definition of disclosure by differencing in tabular data
(Hundepool et al. 2012, *Statistical Disclosure Control*, §4.2–4.4): a hidden cell is
disclosed when a published total minus published parts recovers it. The property
tests below attack every result the way a reader with a calculator would — by
repeatedly solving any "parent = sum of children" relation that has a single unknown
— and check that no hidden cell ever falls out, that every derivable difference
covers 0 or at least k respondents, and that every visible cell has n ≥ k or n = 0.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.anonymity import K_FREE_TEXT, K_NUMBERS, SuppressionResult, suppress

Key = tuple[tuple[str, ...], str | None]


# --- worked examples -----------------------------------------------------------------


def test_single_small_team_hides_the_next_smallest_sibling() -> None:
    # Unit of 50: team A has 3 respondents (primary). Unit minus B, C and D would give
    # A, so the next-smallest sibling D (5) is hidden too.
    result = suppress(
        [
            (("Urząd", "Wydział A"), 50),
            (("Urząd", "Wydział A", "Zespół A"), 3),
            (("Urząd", "Wydział A", "Zespół B"), 30),
            (("Urząd", "Wydział A", "Zespół C"), 12),
            (("Urząd", "Wydział A", "Zespół D"), 5),
        ]
    )
    reasons = {cell.path[-1]: cell.reason for cell in result.cells}
    assert reasons == {
        "Wydział A": "shown",
        "Zespół A": "primary",
        "Zespół B": "shown",
        "Zespół C": "shown",
        "Zespół D": "complementary",
    }
    assert result.k == K_NUMBERS
    assert [n.code for n in result.notes] == ["suppressed"]
    assert result.decision(("Urząd", "Wydział A", "Zespół D")).visible is False


def test_hidden_pool_must_reach_k() -> None:
    # Two teams of 2 are both primary, but together they are only 4 < 5: the unit
    # total minus team C would describe a group of 4, so C is hidden as well.
    result = suppress([(("U",), 20), (("U", "A"), 2), (("U", "B"), 2), (("U", "C"), 16)])
    assert [c.visible for c in result.cells] == [True, False, False, False]
    assert result.decision(("U", "C")).reason == "complementary"


def test_complement_propagates_up_the_hierarchy() -> None:
    # Team A1 (2) is primary; the only other team of unit A has 9, so it is hidden;
    # nothing else in unit A can protect them, which is fine (two hidden, pool 11).
    # Unit B is tiny (4): primary; its sibling unit A (11) is hidden to protect it,
    # and then unit A's teams are all hidden, so nothing can be recovered.
    cells = [
        (("Office",), 40),
        (("Office", "A"), 11),
        (("Office", "A", "A1"), 2),
        (("Office", "A", "A2"), 9),
        (("Office", "B"), 4),
        (("Office", "C"), 25),
    ]
    result = suppress(cells)
    hidden = {c.path for c in result.suppressed}
    assert ("Office", "B") in hidden and ("Office", "A", "A1") in hidden
    _assert_safe(result, cells)


def test_zero_cells_are_shown_and_never_used_as_complements() -> None:
    result = suppress([(("U",), 14), (("U", "A"), 0), (("U", "B"), 3), (("U", "C"), 11)])
    assert result.decision(("U", "A")).visible
    assert result.decision(("U", "A")).reason == "shown"
    assert not result.decision(("U", "C")).visible  # the complement is C, not the zero


def test_remainder_counts_as_unknown() -> None:
    # 50 in the unit, 45 in listed teams: 5 people named no team. Team A (3) plus the
    # remainder (5) pool 8 ≥ 5, so no listed team has to be hidden besides A.
    result = suppress([(("U",), 50), (("U", "A"), 3), (("U", "B"), 30), (("U", "C"), 12)])
    assert [c.visible for c in result.cells] == [True, False, True, True]
    assert [(r.path, r.count) for r in result.remainders] == [(("U", "(remainder)"), 5)]
    # With a remainder of 1 the pool is 4 < 5 and team C has to go too.
    result = suppress([(("U",), 46), (("U", "A"), 3), (("U", "B"), 30), (("U", "C"), 12)])
    assert [c.visible for c in result.cells] == [True, False, True, False]


def test_demographic_bands_of_small_groups_are_hidden() -> None:
    # A unit of 9 (< 2k = 10) shows no age breakdown at all, even bands of 5 or 0
    # (the band of 4 is hidden for its own size first).
    cells = [
        (("U",), None, 9),
        (("U",), "18–34", 5),
        (("U",), "35–54", 4),
        (("U",), "55+", 0),
    ]
    result = suppress(cells)
    assert result.decision(("U",)).visible
    assert {c.band: c.reason for c in result.cells if c.band} == {
        "18–34": "small_group_demographics",
        "35–54": "primary",
        "55+": "small_group_demographics",
    }


def test_bands_crossed_with_hierarchy() -> None:
    # Office × age band and unit × age band: the 55+ band of unit B (2) is primary and
    # must be protected both within unit B (across bands) and within the 55+ band
    # (across units).
    cells = [
        (("O",), None, 60),
        (("O",), "<55", 50),
        (("O",), "55+", 10),
        (("O", "A"), None, 30),
        (("O", "A"), "<55", 22),
        (("O", "A"), "55+", 8),
        (("O", "B"), None, 30),
        (("O", "B"), "<55", 28),
        (("O", "B"), "55+", 2),
    ]
    result = suppress(cells)
    assert not result.decision(("O", "B"), "55+").visible
    assert not result.decision(("O", "B"), "<55").visible
    assert not result.decision(("O", "A"), "55+").visible
    _assert_safe(result, cells)


def test_free_text_threshold() -> None:
    result = suppress([(("U",), 30), (("U", "A"), 8), (("U", "B"), 22)], k=K_FREE_TEXT)
    assert [c.reason for c in result.cells] == ["shown", "primary", "complementary"]


@pytest.mark.parametrize(
    ("cells", "k", "message"),
    [
        ([(("U",), -1)], 5, "non-negative"),
        ([(("U",), 5), (("U",), 6)], 5, "twice"),
        ([(("U",), 5), (("U", "A"), 6)], 5, "add up to 6"),
        ([(("U",), 5)], 1, "at least 2"),
        ([("U", 5)], 5, "sequence of names"),
        ([], 5, "no cells"),
    ],
)
def test_bad_input(cells: list[tuple[object, ...]], k: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        suppress(cells, k=k)  # type: ignore[arg-type]


# --- the attacker --------------------------------------------------------------------


def _relations(counts: dict[Key, int]) -> list[tuple[Key, list[Key], int]]:
    """(parent, listed children, remainder) for every parent–children relation."""
    result = []
    for parent in counts:
        path, band = parent
        hierarchy = [
            key for key in counts if key[1] == band and len(key[0]) == len(path) + 1
            and key[0][:-1] == path
        ]  # fmt: skip
        bands = [key for key in counts if band is None and key[0] == path and key[1] is not None]
        for children in (hierarchy, bands):
            if children:
                rest = counts[parent] - sum(counts[c] for c in children)
                result.append((parent, children, rest))
    return result


def _assert_safe(result: SuppressionResult, cells: list[tuple[object, ...]]) -> None:
    k = result.k
    counts: dict[Key, int] = {}
    for row in cells:
        if len(row) == 2:
            counts[(tuple(row[0]), None)] = row[1]  # type: ignore[arg-type]
        else:
            counts[(tuple(row[0]), row[1])] = row[2]  # type: ignore[arg-type]
    visible = {(c.path, c.band) for c in result.cells if c.visible}
    hidden = set(counts) - visible
    # Every visible cell is safe on its own.
    for key in visible:
        assert counts[key] >= k or counts[key] == 0, key
    relations = _relations(counts)
    # Single relation with a visible parent: the difference "parent − visible children"
    # is 0 or covers at least k people, and never equals one sensitive hidden cell.
    for parent, children, rest in relations:
        if parent not in visible:
            continue
        unknown_children = [c for c in children if c in hidden]
        difference = counts[parent] - sum(counts[c] for c in children if c in visible)
        assert difference == 0 or difference >= k, (parent, difference)
        if len(unknown_children) == 1 and rest == 0:
            raise AssertionError(f"{unknown_children[0]} = {parent} minus its visible siblings")
    # Chains of relations: solve any relation with one unknown until nothing changes.
    known = set(visible)
    remainder_known = set()
    progress = True
    while progress:
        progress = False
        for index, (parent, children, rest) in enumerate(relations):
            members = [parent, *children]
            unknown = [m for m in members if m not in known]
            rest_unknown = rest > 0 and index not in remainder_known
            if len(unknown) == 1 and not rest_unknown:
                known.add(unknown[0])
                progress = True
            elif not unknown and rest_unknown:
                remainder_known.add(index)
                assert rest == 0 or rest >= k, f"remainder {rest} of {parent} is derivable"
                progress = True
    assert not (known & hidden), f"recovered hidden cells: {known & hidden}"


# --- properties ----------------------------------------------------------------------

UNITS = ["A", "B", "C", "D"]
TEAMS = ["1", "2", "3", None]
BANDS = ["<35", "35–54", "55+", None]


@st.composite
def respondent_tables(draw: st.DrawFn) -> list[tuple[object, ...]]:
    """Count tables produced like SQL GROUP BY ROLLUP over simulated respondents."""
    with_bands = draw(st.booleans())
    people = draw(
        st.lists(
            st.tuples(
                st.sampled_from(UNITS),
                st.sampled_from(TEAMS),
                st.sampled_from(BANDS) if with_bands else st.just(None),
            ),
            min_size=1,
            max_size=120,
        )
    )
    counts: Counter[Key] = Counter()
    for unit, team, band in people:
        paths = [("Office",), ("Office", unit)]
        if team is not None:
            paths.append(("Office", unit, team))
        for path in paths:
            counts[(path, None)] += 1
            if band is not None:
                counts[(path, band)] += 1
    # Also list some empty cells, as a LEFT JOIN over all units would.
    for unit in UNITS:
        counts.setdefault((("Office", unit), None), 0)
    return [(path, band, n) for (path, band), n in counts.items()]


@settings(max_examples=100, deadline=None)
@given(respondent_tables(), st.sampled_from([3, 5, 10]))
def test_no_hidden_cell_can_be_recovered(cells: list[tuple[object, ...]], k: int) -> None:
    result = suppress(cells, k=k)  # type: ignore[arg-type]
    _assert_safe(result, cells)
    for cell in result.cells:
        if 0 < cell.count < k:
            assert not cell.visible
        if cell.band is not None:
            total = result.decision(cell.path).count
            if total < 2 * k:
                assert not cell.visible


@settings(max_examples=50, deadline=None)
@given(respondent_tables(), st.data())
def test_decisions_do_not_depend_on_input_order(cells: list[tuple[object, ...]], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(cells))
    first = {(c.path, c.band): c.reason for c in suppress(cells).cells}  # type: ignore[arg-type]
    second = {(c.path, c.band): c.reason for c in suppress(shuffled).cells}  # type: ignore[arg-type]
    assert first == second
