"""A clerk re-keys a paper form in Chromium with the keyboard only; axe-core finds no fault."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from tests.browser.conftest import axe_violations, describe

pytestmark = pytest.mark.browser

DAY = date.today() - timedelta(days=2)
COMMENT = "Miła obsługa, ale długa kolejka – Łódź"


async def focused(page: Any) -> str:
    return str(await page.evaluate("document.activeElement.id"))


async def assert_accessible(page: Any) -> None:
    violations = await axe_violations(page)
    assert violations == [], describe(violations)


async def test_keyboard_only_data_entry(
    live_server: str, page: Any, conn: asyncpg.Connection[Any], office: dict[str, Any]
) -> None:
    await page.goto(live_server + "/paper/test-klient")
    assert await focused(page) == "p-rodzaj_sprawy"  # autofocus: typing can start at once
    await assert_accessible(page)

    # back to the form's date and unit (Shift+Tab), type them, return to the first question
    await page.keyboard.press("Shift+Tab")
    assert await focused(page) == "p-komorka"
    await page.keyboard.type("Wydzia")  # a closed select picks the option by its first letters
    await page.keyboard.press("Shift+Tab")
    assert await focused(page) == "p-data"
    await page.keyboard.type(DAY.strftime("%d.%m.%Y"))  # as written on the form; replaces today's date
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    assert await focused(page) == "p-rodzaj_sprawy"

    # one paper form: service type, seven ratings, overall, NPS, comment, age, frequency
    typed = ["3", "4", "n", "5", "", "4", "0", "3", "4", "10", COMMENT, "2", ""]
    for k, value in enumerate(typed):
        if value:
            await page.keyboard.type(value)
        if k < len(typed) - 1:
            await page.keyboard.press("Tab")
    assert await focused(page) == "p-czestotliwosc"
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/paper/test-klient?saved=*")

    row = await conn.fetchrow("SELECT * FROM response")
    assert row is not None
    status = page.locator(".paper-saved")
    assert (await status.inner_text()).strip() == f"Zapisano ankietę nr {row['id']}."
    assert await focused(page) == "p-rodzaj_sprawy"  # ready for the next form
    assert await page.input_value("#p-rodzaj_sprawy") == ""
    assert await page.input_value("#p-data") == DAY.isoformat()
    assert (row["channel"], row["device"]) == ("paper", "paper")
    assert row["submitted_hour"] == datetime.combine(DAY, time(0), tzinfo=ZoneInfo("Europe/Warsaw"))
    assert row["unit_id"] == office["units"]["podatki"]
    assert row["service_type_id"] == office["services"]["podatki"]
    answers = dict(
        await conn.fetch(
            """SELECT i.code, a.value FROM answer a JOIN item i ON i.id = a.item_id
               WHERE a.response_id = $1""",
            row["id"],
        )
    )
    assert answers == {
        "czas_oczekiwania": 4,
        "uprzejmosc": -1,
        "kompetencje": 5,
        "godziny_pracy": 4,
        "dostepnosc": -1,
        "warunki_lokalowe": 3,
        "ocena_ogolna": 4,
        "polecenie": 10,
        "wiek": 2,
    }
    assert await conn.fetchval("SELECT body FROM answer_text") == COMMENT
    await assert_accessible(page)

    # a wrong code: the page comes back with the error tied to the field, focused, nothing stored
    await page.keyboard.type("7")
    await page.keyboard.press("Tab")
    await page.keyboard.type("9")
    await page.keyboard.press("Enter")
    await page.locator(".error-summary").wait_for()
    assert await focused(page) == "p-rodzaj_sprawy"
    error = await page.locator("#p-rodzaj_sprawy-error").inner_text()
    assert "Wpisz jeden z kodów: 1, 2, 3 albo zostaw pole puste." in error
    assert "p-czas_oczekiwania-error" in (await page.get_attribute("#p-czas_oczekiwania", "aria-describedby") or "")
    assert await conn.fetchval("SELECT count(*) FROM response") == 1
    await assert_accessible(page)

    await page.goto(live_server + "/paper/test-klient/import")
    await assert_accessible(page)
