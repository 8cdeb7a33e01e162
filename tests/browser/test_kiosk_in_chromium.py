"""The kiosk in Chromium: answers given while the server is down are stored exactly once later.

Registers a kiosk, answers on it, stops the server, answers three more times
(the resident always sees the thank-you screen), starts the server again and
finds exactly those four answers stored once each. Also checks the kiosk with
axe-core and the weight of its first load.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from survey.channels.kiosk import register_kiosk
from tests.browser.conftest import _free_port, axe_violations, describe

pytestmark = pytest.mark.browser


class Server:
    """``survey run`` in a subprocess that the test can stop and start on the same port."""

    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "SURVEY_DATA_DIR": str(data_dir),
            "SURVEY_SECRET_KEY": "kiosk-test-secret-key-0123456789",
            "SURVEY_KIOSK_RESET_SECONDS": "1",
            "SURVEY_KIOSK_RETRY_SECONDS": "1",
        }
        self.log = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "survey.cli", "run", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for _ in range(150):
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start:\n" + self.log.read_text(errors="replace"))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None


@pytest.fixture
def server(db_url: str, office: dict[str, Any], tmp_path: Path) -> Iterator[Server]:
    instance = Server(db_url, tmp_path)
    instance.start()
    yield instance
    instance.stop()


async def enrol_in_browser(page: Any, link: str) -> None:
    await page.goto(link)
    violations = await axe_violations(page)
    assert violations == [], describe(violations)
    await page.get_by_role("button", name="Zarejestruj to urządzenie").click()
    await page.wait_for_url("**/kiosk")


async def outbox(page: Any) -> int:
    return int(await page.evaluate("JSON.parse(localStorage.getItem('kiosk-outbox') || '[]').length"))


async def wait_for_empty_outbox(page: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while await outbox(page) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert await outbox(page) == 0


async def answer(page: Any, face: str, improve: str | None = None) -> None:
    await page.get_by_role("radio", name=face, exact=True).check()
    if improve:
        await page.get_by_role("checkbox", name=improve).check()
        await page.get_by_role("button", name="Wyślij", exact=True).click()
    else:
        await page.get_by_role("button", name="Pomiń i wyślij samą ocenę").click()
    await page.get_by_text("Dziękujemy za ocenę!").wait_for()
    await page.get_by_role("radio", name=face, exact=True).wait_for()  # reset for the next person
    assert not await page.get_by_role("radio", name=face, exact=True).is_checked()


async def test_kiosk_answers_survive_a_server_outage_exactly_once(
    server: Server, page: Any, conn: asyncpg.Connection[Any]
) -> None:
    _, token = await register_kiosk(conn, "test-kiosk", "Sala obsługi, parter", "bok")
    await enrol_in_browser(page, f"{server.base}/kiosk/enrol/{token}")
    assert await page.get_by_role("heading", level=1).inner_text() == "Jak oceniasz dzisiejszą obsługę?"
    violations = await axe_violations(page)
    assert violations == [], describe(violations)

    await answer(page, "bardzo zadowolony")
    await wait_for_empty_outbox(page)
    assert await conn.fetchval("SELECT count(*) FROM response") == 1

    await asyncio.to_thread(server.stop)
    await answer(page, "niezadowolony", improve="czas oczekiwania")
    await answer(page, "zadowolony")
    await answer(page, "bardzo niezadowolony", improve="uprzejmość")
    assert await outbox(page) == 3
    assert await conn.fetchval("SELECT count(*) FROM response") == 1

    await asyncio.to_thread(server.start)
    await wait_for_empty_outbox(page)
    rows = await conn.fetch(
        """SELECT r.channel, r.flagged, a.value FROM response r JOIN answer a ON a.response_id = r.id
           JOIN item i ON i.id = a.item_id WHERE i.code = 'ocena' ORDER BY r.id"""
    )
    assert [r["value"] for r in rows] == [4, 2, 3, 1]
    assert {r["channel"] for r in rows} == {"kiosk"}
    improvements = await conn.fetch(
        "SELECT a.value FROM answer a JOIN item i ON i.id = a.item_id WHERE i.code = 'co_poprawic' ORDER BY 1"
    )
    assert [r["value"] for r in improvements] == [1, 2]
    assert await conn.fetchval("SELECT count(DISTINCT idempotency_key) FROM response") == 4


async def test_kiosk_first_load_is_small(server: Server, page: Any, conn: asyncpg.Connection[Any]) -> None:
    _, token = await register_kiosk(conn, "test-kiosk", "Sala obsługi", "bok")
    sizes: dict[str, int] = {}

    async def record(response: Any) -> None:
        body = await response.body() if response.status < 300 else b""
        sizes[response.url] = len(body)

    page.on("response", record)
    await enrol_in_browser(page, f"{server.base}/kiosk/enrol/{token}")
    await page.wait_for_load_state("networkidle")
    total = sum(size for url, size in sizes.items() if "htmx" not in url)
    assert total < 50 * 1024, sizes


async def test_kiosk_returns_to_polish_for_the_next_person(
    server: Server, page: Any, conn: asyncpg.Connection[Any]
) -> None:
    _, token = await register_kiosk(conn, "test-kiosk", "Sala obsługi", "bok")
    await enrol_in_browser(page, f"{server.base}/kiosk/enrol/{token}")
    await page.get_by_role("link", name="English").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "How was our service today?"
    await page.get_by_role("radio", name="happy", exact=True).check()
    await page.get_by_role("button", name="Send", exact=True).click()
    await page.wait_for_url("**/kiosk?lang=pl")
    assert await page.get_by_role("heading", level=1).inner_text() == "Jak oceniasz dzisiejszą obsługę?"
    await wait_for_empty_outbox(page)
    assert await conn.fetchval("SELECT language FROM response") == "en"
