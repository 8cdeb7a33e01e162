"""Browser fixtures: the real service in a subprocess and Debian's Chromium via Playwright.

The service runs as a user would start it (``survey run``) against the test's
own database. Chromium is the system one (``/usr/bin/chromium``); when it is
missing the tests are skipped locally, but fail when ``SURVEY_REQUIRE_BROWSER``
is set (as ``.ci/run`` does), so CI can never pass without running them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(db_url: str, office: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "SURVEY_DATA_DIR": str(tmp_path),
        "SURVEY_SECRET_KEY": "browser-test-secret-key-0123456789",
        "SURVEY_MIN_FORM_SECONDS": "0",
    }
    log_path = tmp_path / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "survey.cli", "run", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            process.terminate()
            process.wait(timeout=10)
            raise RuntimeError("server did not start:\n" + log_path.read_text(errors="replace"))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("SURVEY_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (SURVEY_REQUIRE_BROWSER is set) but was not found")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        await instance.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})
    yield await context.new_page()
    await context.close()


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; return its violations."""
    import axe_playwright_python

    script = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    await page.evaluate(script)
    result = await page.evaluate(
        "opts => axe.run(document, opts)",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=2, ensure_ascii=False)
