"""WCAG 2.1 AA on every page a resident sees, in every language, and a keyboard-only completion."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.browser.conftest import axe_violations, describe

pytestmark = pytest.mark.browser

RESIDENT_PAGES = [
    "/",
    "/s/test-klient",
    "/s/test-klient?lang=en",
    "/s/test-klient?lang=uk",
    "/s/test-kiosk",
    "/s/test-klient/thanks",
    "/dostepnosc",
    "/s/nie-ma-takiej-ankiety",
]


@pytest.mark.parametrize("path", RESIDENT_PAGES)
async def test_resident_pages_have_no_axe_violations(live_server: str, page: Any, path: str) -> None:
    await page.goto(live_server + path)
    violations = await axe_violations(page)
    assert violations == [], describe(violations)


async def test_closed_survey_page_is_accessible(live_server: str, page: Any, conn: asyncpg.Connection[Any]) -> None:
    await conn.execute("UPDATE survey SET is_open = false WHERE slug = 'test-klient'")
    response = await page.goto(live_server + "/s/test-klient")
    assert response.status == 410
    assert await axe_violations(page) == []


async def test_form_can_be_completed_with_the_keyboard_alone(
    live_server: str, page: Any, conn: asyncpg.Connection[Any]
) -> None:
    await page.goto(live_server + "/s/test-klient")
    keyboard = page.keyboard
    await keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Przejdź do treści"
    await keyboard.press("Enter")  # skip link

    async def tab_to(selector: str) -> None:
        for _ in range(80):
            await keyboard.press("Tab")
            if await page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"could not reach {selector} with Tab")

    # radio groups: Tab enters the group, arrow keys choose, Space checks
    await tab_to("input[name=rodzaj_sprawy]")
    await keyboard.press("ArrowDown")
    await tab_to("input[name=ocena_ogolna]")
    await keyboard.press("Space")  # the first option
    for _ in range(3):
        await keyboard.press("ArrowRight")  # bardzo źle → dobrze
    await tab_to("textarea[name=komentarz]")
    await keyboard.type("Dziękuję za pomoc przy wniosku.")
    await tab_to("button[type=submit]")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    await keyboard.press("Enter")
    await page.wait_for_url("**/s/test-klient/thanks")
    row = await conn.fetchrow(
        """SELECT r.service_type_id, a.value FROM response r JOIN answer a ON a.response_id = r.id
           JOIN item i ON i.id = a.item_id WHERE i.code = 'ocena_ogolna'"""
    )
    assert row["value"] == 4
    assert row["service_type_id"] is not None
    assert await conn.fetchval("SELECT body FROM answer_text") == "Dziękuję za pomoc przy wniosku."
