"""Kiosk mode: enrolment, device token, exactly-once answers and repeat-tap flagging."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import asyncpg
import pytest

from survey.channels.kiosk import register_kiosk


async def confirm_enrolment(client: Any, token: str) -> Any:
    """Open the enrolment link and press the button, as staff do on the tablet."""
    page = await client.get(f"/kiosk/enrol/{token}")
    if page.status_code != 200:
        return page
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)[1]  # type: ignore[index]
    return await client.post(f"/kiosk/enrol/{token}", data={"_csrf_token": csrf}, follow_redirects=False)


async def enrol(client: Any, conn: asyncpg.Connection[Any]) -> int:
    kiosk_id, token = await register_kiosk(conn, "test-kiosk", "Sala obsługi, parter", "bok")
    response = await confirm_enrolment(client, token)
    assert response.status_code == 303 and response.headers["location"] == "/kiosk"
    assert "kiosk" in client.cookies
    return kiosk_id


def window_start_ms(seconds_ago: int = 120) -> int:
    """A moment aligned to the start of a 20-second burst window, so test taps share one window."""
    moment = int(time.time()) - seconds_ago
    return (moment - moment % 20) * 1000


def answer(rating: str, *, key: str | None = None, at_ms: int | None = None, **extra: str) -> dict[str, str]:
    return {
        "idempotency_key": key or str(uuid.uuid4()),
        "ocena": rating,
        "answered_at": str(at_ms if at_ms is not None else int(time.time() * 1000)),
        **extra,
    }


@pytest.mark.usefixtures("office")
async def test_enrolment_is_one_time_and_stores_only_a_hash(client: Any, conn: asyncpg.Connection[Any]) -> None:
    kiosk_id, token = await register_kiosk(conn, "test-kiosk", "Sala obsługi", "bok")
    preview = await client.get(f"/kiosk/enrol/{token}")  # a link previewer only looks
    assert preview.status_code == 200 and "Sala obsługi" in preview.text
    assert await conn.fetchval("SELECT enrolment_hash IS NOT NULL FROM kiosk WHERE id = $1", kiosk_id)
    assert (await confirm_enrolment(client, token)).status_code == 303
    device_token = client.cookies["kiosk"]
    row = await conn.fetchrow("SELECT token_hash, enrolment_hash FROM kiosk WHERE id = $1", kiosk_id)
    assert row["enrolment_hash"] is None and row["token_hash"] not in (None, device_token.encode())
    client.cookies.clear()
    again = await client.get(f"/kiosk/enrol/{token}")
    assert again.status_code == 404


@pytest.mark.usefixtures("office")
async def test_unregistered_device_is_refused_in_polish(client: Any) -> None:
    page = await client.get("/kiosk")
    assert page.status_code == 403
    assert "Żądanie odrzucone" in page.text
    post = await client.post("/kiosk/answer", data=answer("4"))
    assert post.status_code == 403


async def test_kiosk_page_is_a_working_form(client: Any, conn: asyncpg.Connection[Any], office: dict[str, Any]) -> None:
    await enrol(client, conn)
    page = await client.get("/kiosk")
    assert page.status_code == 200
    assert 'action="/kiosk/answer"' in page.text and "kiosk.js" in page.text
    assert "htmx-2.0" not in page.text  # the kiosk needs no htmx
    # without JavaScript: a plain post stores the answer and shows the thank-you page
    response = await client.post("/kiosk/answer", data=answer("4", co_poprawic="1"), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/kiosk/thanks"
    row = await conn.fetchrow("SELECT channel, device, unit_id, kiosk_id, flagged FROM response")
    assert (row["channel"], row["device"], row["unit_id"], row["flagged"]) == (
        "kiosk",
        "kiosk",
        office["units"]["bok"],
        False,
    )


@pytest.mark.usefixtures("office")
async def test_replayed_answers_are_stored_once(client: Any, conn: asyncpg.Connection[Any]) -> None:
    await enrol(client, conn)
    data = answer("3")
    headers = {"accept": "application/json"}
    first = await client.post("/kiosk/answer", data=data, headers=headers)
    replay = await client.post("/kiosk/answer", data=data, headers=headers)
    assert (first.status_code, first.json()) == (201, {"status": "stored"})
    assert (replay.status_code, replay.json()) == (200, {"status": "duplicate"})
    assert await conn.fetchval("SELECT count(*) FROM response") == 1


@pytest.mark.usefixtures("office")
async def test_bursts_are_flagged_not_deleted_and_left_out_of_results(
    client: Any, conn: asyncpg.Connection[Any]
) -> None:
    await enrol(client, conn)
    now = window_start_ms()
    headers = {"accept": "application/json"}
    for i in range(5):  # five taps within two seconds
        assert (
            await client.post("/kiosk/answer", data=answer("1", at_ms=now + i * 400), headers=headers)
        ).status_code == 201
    flags = [r["flagged"] for r in await conn.fetch("SELECT flagged FROM response ORDER BY id")]
    assert flags == [False, False, True, True, True]
    assert await conn.fetchval("SELECT count(*) FROM response WHERE flag_reason = 'repeat_taps'") == 3


@pytest.mark.usefixtures("office")
async def test_queued_answers_keep_their_own_time_and_are_not_a_burst(
    client: Any, conn: asyncpg.Connection[Any]
) -> None:
    await enrol(client, conn)
    hour_ago = int(time.time() * 1000) - 3_600_000
    headers = {"accept": "application/json"}
    for i in range(3):  # answered a minute apart during an outage, replayed together now
        await client.post("/kiosk/answer", data=answer("4", at_ms=hour_ago + i * 60_000), headers=headers)
    rows = await conn.fetch("SELECT flagged, submitted_hour FROM response")
    assert [r["flagged"] for r in rows] == [False, False, False]
    assert all(r["submitted_hour"].timestamp() <= hour_ago / 1000 for r in rows)


@pytest.mark.usefixtures("office")
async def test_invalid_kiosk_answer_is_refused_and_nothing_stored(client: Any, conn: asyncpg.Connection[Any]) -> None:
    await enrol(client, conn)
    bad = await client.post("/kiosk/answer", data=answer("9"), headers={"accept": "application/json"})
    assert bad.status_code == 422 and bad.json()["status"] == "invalid"
    unknown = await client.post("/kiosk/answer", data={**answer("3"), "haslo": "x"})
    assert unknown.status_code == 400
    assert await conn.fetchval("SELECT count(*) FROM response") == 0


@pytest.mark.usefixtures("office")
async def test_managers_see_how_many_answers_were_flagged(client: Any, conn: asyncpg.Connection[Any]) -> None:
    await enrol(client, conn)
    now = window_start_ms()
    for i in range(8):
        await client.post(
            "/kiosk/answer", data=answer("1", at_ms=now + i * 100), headers={"accept": "application/json"}
        )
    page = await client.get("/results/test-kiosk")
    assert "6 odpowiedzi z kiosku oznaczono jako serie powtórzonych dotknięć" in page.text
    # the two answers that count are below the minimum group size, so nothing else is shown
    assert "mniej niż 5 odpowiedzi – ukryto" in page.text
