"""A resident answers the Polish form in Chromium; the office manager sees the answer.

axe-core runs on the form, its error state, the thank-you page and the results
page: zero WCAG 2.1 A/AA violations.
"""

from __future__ import annotations

import asyncio
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import asyncpg
import pytest
from bs4 import BeautifulSoup

from tests.browser.conftest import axe_violations, describe

pytestmark = pytest.mark.browser


def _post_answers_over_http(base: str, count: int) -> None:
    """Submit ``count`` answers with a plain HTTP client (other respondents)."""
    for _ in range(count):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with opener.open(base + "/s/test-klient") as response:
            soup = BeautifulSoup(response.read().decode(), "html.parser")
        data = {i["name"]: i["value"] for i in soup.select("form#survey-form input[type=hidden]")}
        data.update({"ocena_ogolna": "4", "uprzejmosc": "4"})
        opener.open(base + "/s/test-klient", data=urllib.parse.urlencode(data).encode()).close()


async def assert_accessible(page: Any) -> None:
    violations = await axe_violations(page)
    assert violations == [], describe(violations)


async def test_resident_answers_and_manager_sees_the_counts(live_server: str, page: Any) -> None:
    await asyncio.to_thread(_post_answers_over_http, live_server, 4)
    await page.goto(live_server + "/s/test-klient")
    assert (await page.title()).startswith("Ankieta satysfakcji klienta urzędu")
    await assert_accessible(page)

    # submit with nothing chosen: every error at once, in Polish
    await page.get_by_role("button", name="Wyślij odpowiedzi").click()
    summary = page.locator(".error-summary")
    await summary.wait_for()
    assert "1 odpowiedź wymaga poprawienia" in await summary.inner_text()
    assert (await page.locator("#ocena_ogolna-error").inner_text()).endswith("To pytanie jest obowiązkowe.")
    await assert_accessible(page)

    await (
        page.get_by_role("group", name="Ogólnie: jak ocenia Pan/Pani dzisiejszą obsługę?")
        .get_by_label("bardzo dobrze")
        .check()
    )
    await (
        page.get_by_role("group", name="uprzejmość i życzliwość pracowników").get_by_label("dobrze", exact=True).check()
    )
    await (
        page.get_by_role("group", name="W jakiej sprawie był(a) Pan/Pani w urzędzie?").get_by_label("Meldunek").check()
    )
    await page.get_by_label("Co możemy poprawić? (bez danych osobowych)").fill("Miła obsługa w okienku nr 3.")
    await page.get_by_role("button", name="Wyślij odpowiedzi").click()
    await page.wait_for_url("**/s/test-klient/thanks")
    assert "Dziękujemy" in await page.locator("h1").inner_text()
    await assert_accessible(page)

    await page.goto(live_server + "/results/test-klient?item=ocena_ogolna")
    row = page.locator("tbody tr").filter(has_text="Ogólnie: jak ocenia Pan/Pani dzisiejszą obsługę?")
    cells = await row.locator("td").all_inner_texts()
    assert cells[0] == "5"  # four HTTP answers and the browser's one
    assert cells[3].startswith("4,20")  # mean of 4, 4, 4, 4, 5 in Polish number format
    assert cells[4].startswith("100%")
    await assert_accessible(page)


async def test_refusal_after_htmx_post_is_shown_to_the_respondent(
    live_server: str, page: Any, conn: asyncpg.Connection[Any]
) -> None:
    await page.goto(live_server + "/s/test-klient")
    await (
        page.get_by_role("group", name="Ogólnie: jak ocenia Pan/Pani dzisiejszą obsługę?")
        .get_by_label("dobrze", exact=True)
        .check()
    )
    await conn.execute("UPDATE survey SET is_open = false WHERE slug = 'test-klient'")
    await page.get_by_role("button", name="Wyślij odpowiedzi").click()
    await page.get_by_role("heading", name="Ankieta zamknięta").wait_for()
    assert "Ta ankieta nie zbiera już odpowiedzi" in await page.locator("main").inner_text()
    assert await conn.fetchval("SELECT count(*) FROM response") == 0
