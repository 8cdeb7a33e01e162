"""Honeypot, minimum completion time and shared rate limits."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from survey.app import create_app
from survey.collection.abuse import check_human, form_stamp, hit
from survey.errors import BadInput
from survey.settings import Settings
from tests.survey.helpers import open_form, valid_answers

SECRET = "s" * 32


def test_form_stamp_checks_time_and_signature() -> None:
    stamp = form_stamp(SECRET, now=1_000)
    check_human({"form_started": [stamp]}, SECRET, 3, now=1_004)
    with pytest.raises(BadInput, match="after it was shown"):
        check_human({"form_started": [stamp]}, SECRET, 3, now=1_001)
    with pytest.raises(BadInput, match="forged"):
        check_human({"form_started": ["1000.deadbeef"]}, SECRET, 3, now=1_004)
    with pytest.raises(BadInput, match="honeypot"):
        check_human({"form_started": [stamp], "website": ["http://spam"]}, SECRET, 3, now=1_004)


@pytest.mark.usefixtures("office")
async def test_too_fast_and_honeypot_posts_are_refused_in_polish(
    settings: Settings, conn: asyncpg.Connection[Any]
) -> None:
    strict = Settings(**{**settings.__dict__, "min_form_seconds": 30})
    async with AsyncTestClient(app=create_app(strict)) as client:
        _, hidden = await open_form(client, "test-klient")
        fast = await client.post("/s/test-klient", data={**hidden, **valid_answers()})
        assert fast.status_code == 400
        assert "Nie udało się odczytać wysłanego formularza" in fast.text
        trap = await client.post("/s/test-klient", data={**hidden, **valid_answers(), "website": "x"})
        assert trap.status_code == 400
    assert await conn.fetchval("SELECT count(*) FROM response") == 0


async def test_rate_windows_are_shared_and_per_bucket(conn: asyncpg.Connection[Any]) -> None:
    counts = [await hit(conn, "kiosk-device:1", 60) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert await hit(conn, "kiosk-device:2", 60) == 1  # another device, another bucket


@pytest.mark.usefixtures("office")
async def test_many_residents_behind_one_address_are_not_blocked(client: Any, conn: asyncpg.Connection[Any]) -> None:
    for _ in range(30):  # a busy hour in one office, all behind the same NAT address
        _, hidden = await open_form(client, "test-klient")
        assert (
            await client.post("/s/test-klient", data={**hidden, **valid_answers()}, follow_redirects=False)
        ).status_code == 303
    assert await conn.fetchval("SELECT count(*) FROM response") == 30
