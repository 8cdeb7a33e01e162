"""The results page: counts from SQL, statistics, and small groups hidden."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.reports.summary import Suppression, suppress_table
from tests.survey.helpers import open_form


async def _answer(client: Any, overall: str, **extra: str) -> None:
    _, hidden = await open_form(client, "test-klient")
    response = await client.post(
        "/s/test-klient", data={**hidden, "ocena_ogolna": overall, **extra}, follow_redirects=False
    )
    assert response.status_code == 303


def _row(soup: BeautifulSoup, text: str) -> list[str]:
    for tr in soup.select("tbody tr"):
        if tr.th and tr.th.get_text(strip=True).startswith(text):
            return [td.get_text(" ", strip=True) for td in tr.select("td")]
    raise AssertionError(f"no row {text!r}")


@pytest.mark.usefixtures("office")
async def test_results_show_n_distribution_mean_and_top_two_box(client: Any) -> None:
    for overall in ("5", "5", "4", "3", "1", "5"):
        await _answer(client, overall, uprzejmosc="-1")
    response = await client.get("/results/test-klient")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    cells = _row(soup, "Ogólnie: jak ocenia Pan/Pani dzisiejszą obsługę?")
    assert cells[0] == "6" and cells[1] == "0"
    # mean of 5,5,4,3,1,5 = 23/6 = 3,83; top-2-box 4/6 = 67%
    assert cells[3].startswith("3,83")
    assert cells[4].startswith("67%")
    # "nie dotyczy" is counted apart and kept out of n: six such answers leave nothing to show
    assert _row(soup, "uprzejmość i życzliwość")[0] == "brak odpowiedzi"


@pytest.mark.usefixtures("office")
async def test_groups_below_the_minimum_are_hidden(client: Any) -> None:
    for overall in ("5", "4", "4"):
        await _answer(client, overall)
    soup = BeautifulSoup((await client.get("/results/test-klient")).text, "html.parser")
    assert _row(soup, "Ogólnie")[0] == "mniej niż 5 odpowiedzi – ukryto"
    assert "3,33" not in soup.get_text() and "4,33" not in soup.get_text()


async def test_new_answers_appear_at_once(client: Any, office: dict[str, Any], conn: asyncpg.Connection[Any]) -> None:
    for _ in range(5):
        await _answer(client, "4")
    first = BeautifulSoup((await client.get("/results/test-klient")).text, "html.parser")
    assert _row(first, "Ogólnie")[0] == "5"
    await _answer(client, "2")
    second = BeautifulSoup((await client.get("/results/test-klient")).text, "html.parser")
    assert _row(second, "Ogólnie")[0] == "6"
    assert await conn.fetchval("SELECT count(*) FROM count_pending") == 0


@pytest.mark.usefixtures("office")
async def test_bad_filters_are_refused(client: Any) -> None:
    assert (await client.get("/results/test-klient?months=7")).status_code == 400
    assert (await client.get("/results/test-klient?item=nie_ma")).status_code == 400
    assert (await client.get("/results/test-klient?months=abc")).status_code == 400
    assert (await client.get("/results/nie-ma")).status_code == 404


def _recoverable(sizes: dict[tuple[int, date], int], hiding: Suppression, k: int) -> list[str]:
    """Every hidden value (or sum of hidden values under k) derivable from one visible line."""
    found = []
    units = {u for u, _m in sizes}
    months = {m for _u, m in sizes}
    lines = [[c for c in sizes if c[0] == u] for u in units if u not in hiding.units]
    lines += [[c for c in sizes if c[1] == m] for m in months if m not in hiding.months]
    for line in lines:
        hidden = [c for c in line if c in hiding.cells and sizes[c] > 0]
        if len(hidden) == 1 or 0 < sum(sizes[c] for c in hidden) < k:
            found.append(f"line {line}: hidden {hidden}")
    if sum(sizes.values()) < k:  # the grand total itself is hidden, so no margin can be subtracted
        return found
    for group, totals in (
        (hiding.units, {u: sum(n for (uu, _m), n in sizes.items() if uu == u) for u in units}),
        (hiding.months, {m: sum(n for (_u, mm), n in sizes.items() if mm == m) for m in months}),
    ):
        hidden_totals = [key for key in group if totals[key] > 0]
        if len(hidden_totals) == 1 or 0 < sum(totals[key] for key in hidden_totals) < k:
            found.append(f"margin: hidden {hidden_totals}")
    return found


def test_complementary_suppression_protects_rows_columns_and_margins() -> None:
    march, april = date(2026, 3, 1), date(2026, 4, 1)
    sizes = {(1, march): 3, (2, march): 40, (3, march): 12, (1, april): 30, (2, april): 41, (3, april): 20}
    hiding = suppress_table(sizes, 5)
    assert (1, march) in hiding.cells
    assert len([c for c in hiding.cells if c[1] == march]) >= 2  # not recoverable from March's total
    assert len([c for c in hiding.cells if c[0] == 1]) >= 2  # nor from unit 1's total over the period
    assert _recoverable(sizes, hiding, 5) == []
    small_unit = {(1, march): 2, (1, april): 2, (2, march): 50, (2, april): 50, (3, march): 9, (3, april): 9}
    hiding = suppress_table(small_unit, 5)
    assert 1 in hiding.units and len(hiding.units) >= 2  # unit 1's total (4) and a companion
    assert _recoverable(small_unit, hiding, 5) == []


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.integers(1, 4), st.sampled_from([date(2026, m, 1) for m in range(1, 5)])),
        st.integers(0, 30),
        min_size=1,
        max_size=16,
    )
)
def test_no_hidden_value_is_recoverable_from_a_visible_line(sizes: dict[tuple[int, date], int]) -> None:
    hiding = suppress_table(sizes, 5)
    assert all(not (0 < n < 5) or cell in hiding.cells for cell, n in sizes.items())
    assert _recoverable(sizes, hiding, 5) == []
