"""A resident scans a desk's QR code, answers in Chromium and is thanked; axe-core finds nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from survey.channels.links import create_link
from tests.browser.conftest import axe_violations, describe

pytestmark = pytest.mark.browser


async def assert_accessible(page: Any) -> None:
    violations = await axe_violations(page)
    assert violations == [], describe(violations)


async def test_answer_through_a_desk_link(
    live_server: str, page: Any, conn: asyncpg.Connection[Any], office: dict[str, Any]
) -> None:
    link = await create_link(conn, "test-klient", unit_slug="podatki", location="Stanowisko 3")
    await page.goto(f"{live_server}/l/{link.code}")
    assert (await page.title()).startswith("Ankieta satysfakcji klienta urzędu")
    await assert_accessible(page)

    overall = page.get_by_role("group", name="Ogólnie: jak ocenia Pan/Pani dzisiejszą obsługę?")
    await overall.get_by_label("bardzo dobrze").check()
    await page.get_by_label("Co możemy poprawić? (bez danych osobowych)").fill("Szybko, uprzejmie.")
    await page.get_by_role("button", name="Wyślij odpowiedzi").click()
    await page.wait_for_url(f"**/l/{link.code}/thanks")
    assert "Dziękujemy" in await page.locator("h1").inner_text()
    await assert_accessible(page)

    row = await conn.fetchrow("SELECT channel, unit_id, link_id FROM response")
    assert dict(row) == {"channel": "qr", "unit_id": office["units"]["podatki"], "link_id": link.id}
