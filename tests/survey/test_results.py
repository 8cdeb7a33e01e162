"""The results page: counts from SQL, statistics, and small groups hidden."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest
from bs4 import BeautifulSoup

from survey.reports.summary import hidden_cells
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


def test_complementary_suppression_protects_a_lone_hidden_cell() -> None:
    march = date(2026, 3, 1)
    sizes = {(1, march): 3, (2, march): 40, (3, march): 12, (4, march): 0}
    hidden = hidden_cells(sizes, 5)
    # unit 1 is below 5; unit 3 (next smallest non-empty) is hidden too, so total − visible ≠ unit 1
    assert hidden == {(1, march), (3, march)}
    two_small = {(1, march): 3, (2, march): 2, (3, march): 12}
    assert hidden_cells(two_small, 5) == {(1, march), (2, march)}
