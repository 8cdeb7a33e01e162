"""An employee enters a one-time code in Chromium and answers; axe-core checks every page."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from survey.channels.staff import create_wave, format_code, generate_codes
from survey.setup import ensure_survey
from tests.browser.conftest import axe_violations, describe

pytestmark = pytest.mark.browser
SECRET = "browser-test-secret-key-0123456789"  # the live server's SURVEY_SECRET_KEY


async def assert_accessible(page: Any) -> None:
    violations = await axe_violations(page)
    assert violations == [], describe(violations)


async def test_employee_uses_a_code_once(
    live_server: str, page: Any, conn: asyncpg.Connection[Any], office: dict[str, Any]
) -> None:
    await ensure_survey(conn, office["organisation"], "pracownik", "test-pracownik")
    wave = await create_wave(conn, "test-pracownik", "Badanie 2026")
    code = (await generate_codes(conn, SECRET, wave, office["units"]["bok"], 1))[0]

    await page.goto(live_server + "/k")
    assert await page.evaluate("document.activeElement.id") == "code"
    await assert_accessible(page)
    await page.keyboard.type("ABCDE-FGHJK")
    await page.keyboard.press("Enter")
    await page.locator("#code-error").wait_for()
    assert "Nieznany kod" in await page.locator("#code-error").inner_text()
    await assert_accessible(page)

    await page.get_by_label("Kod dostępu").fill(format_code(code).lower())
    await page.keyboard.press("Enter")
    await page.locator("form#survey-form").wait_for()
    await assert_accessible(page)
    await (
        page.get_by_role("group", name="Ogólnie: jak ocenia Pan/Pani swoją satysfakcję z pracy w urzędzie?")
        .get_by_label("dobrze", exact=True)
        .check()
    )
    await page.get_by_role("button", name="Wyślij odpowiedzi").click()
    await page.wait_for_url(f"**/k/thanks/{wave}")
    assert "Dziękujemy za udział w badaniu." in await page.locator("main").inner_text()
    await assert_accessible(page)

    await page.goto(live_server + "/k")
    await page.get_by_label("Kod dostępu").fill(code)
    await page.keyboard.press("Enter")
    await page.locator("#code-error").wait_for()
    assert "Ten kod został już wykorzystany" in await page.locator("#code-error").inner_text()
    row = await conn.fetchrow("SELECT channel, unit_id FROM response")
    assert tuple(row) == ("staff", office["units"]["bok"])

    await page.goto(live_server + f"/results/staff/{wave}")
    cells = await page.locator("tbody tr").first.locator("td").all_inner_texts()
    assert cells == ["1", "1", "100%"]
    await assert_accessible(page)
