"""Staff surveys with one-time codes: codes, exactly-once use, unlinkability, rate limit, cards."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from bs4 import BeautifulSoup

from survey.channels import staff
from survey.channels.staff import (
    ALPHABET,
    CodeUsed,
    code_hash,
    create_wave,
    find_code,
    format_code,
    generate_codes,
    normalise_code,
    redeem,
)
from survey.collection.form import Submission
from survey.collection.store import open_survey
from survey.db.pool import connect
from survey.errors import BadInput
from survey.settings import Settings
from survey.setup import ensure_survey

pytestmark = pytest.mark.usefixtures("office")
WARSAW = ZoneInfo("Europe/Warsaw")
ANSWERS = {"ocena_ogolna": "4", "atmosfera": "5", "enps": "8", "komentarz": "Więcej szkoleń."}


@pytest.fixture
async def wave(conn: asyncpg.Connection[Any], office: dict[str, Any], settings: Settings) -> dict[str, Any]:
    await ensure_survey(conn, office["organisation"], "pracownik", "test-pracownik")
    opens_on = date.today() - timedelta(days=10)
    wave_id = await create_wave(conn, "test-pracownik", "Badanie 2026", opens_on=opens_on)
    bok = await generate_codes(conn, settings.secret_key, wave_id, office["units"]["bok"], 3)
    podatki = await generate_codes(conn, settings.secret_key, wave_id, office["units"]["podatki"], 2)
    return {"id": wave_id, "bok": bok, "podatki": podatki, "opens_on": opens_on}


async def count(conn: asyncpg.Connection[Any], sql: str) -> int:
    return int(await conn.fetchval(sql))


async def enter_code(client: Any, code: str) -> Any:
    """GET /k (for the form token), then POST the code."""
    page = await client.get("/k")
    assert page.status_code == 200
    token = BeautifulSoup(page.text, "html.parser").select_one("input[name=_csrf_token]")["value"]
    return await client.post("/k", data={"_csrf_token": token, "code": code})


async def open_questionnaire(client: Any, code: str) -> dict[str, str]:
    response = await enter_code(client, code)
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    form = soup.select_one("form#survey-form")
    assert form["action"] == "/k/answer"
    return {i["name"]: i["value"] for i in form.select("input[type=hidden]")}


async def answer(client: Any, hidden: dict[str, str], **answers: str) -> Any:
    return await client.post("/k/answer", data={**hidden, **(answers or ANSWERS)}, follow_redirects=False)


def test_codes_are_random_readable_and_normalised() -> None:
    codes = {staff.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 10 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("01ILOSZBV") & set(ALPHABET)
    code = "K7M2QX9TR4"
    assert format_code(code) == "K7M2Q-X9TR4"
    assert normalise_code(" k7m2q-x9tr4 ") == normalise_code("K7M2Q X9TR4") == code
    assert normalise_code("s5z2b-8vuk7") == "552288UUK7"  # S, Z, B, V read as 5, 2, 8, U
    assert normalise_code("K7M2Q-X9TR") is None and normalise_code("K7M2Q-X9TR0") is None


async def test_only_keyed_hashes_are_stored(
    conn: asyncpg.Connection[Any], wave: dict[str, Any], settings: Settings
) -> None:
    rows = await conn.fetch("SELECT * FROM staff_code WHERE wave_id = $1", wave["id"])
    assert len(rows) == 5
    hashes = {bytes(r["code_hash"]) for r in rows}
    assert hashes == {code_hash(settings.secret_key, c) for c in wave["bok"] + wave["podatki"]}
    assert all(len(h) == 32 for h in hashes)
    # the hash depends on the service's secret key: a copied table alone cannot be searched offline
    assert code_hash("another-key", wave["bok"][0]) != code_hash(settings.secret_key, wave["bok"][0])
    dump = " ".join(str(dict(r)) for r in rows)
    for code in wave["bok"] + wave["podatki"]:
        assert code not in dump and code.encode() not in b"".join(hashes)
    assert not any(r["used"] for r in rows)


async def test_a_code_works_exactly_once(
    client: Any, conn: asyncpg.Connection[Any], wave: dict[str, Any], office: dict[str, Any]
) -> None:
    code = format_code(wave["bok"][0]).lower()  # typed in small letters, with the dash
    hidden = await open_questionnaire(client, code)
    assert hidden["code"] == wave["bok"][0]
    response = await answer(client, hidden)
    assert response.status_code == 303 and response.headers["location"] == f"/k/thanks/{wave['id']}"
    thanks = await client.get(response.headers["location"])
    assert "Dziękujemy za udział w badaniu." in thanks.text

    row = await conn.fetchrow("SELECT * FROM response")
    assert (row["channel"], row["device"], row["unit_id"]) == (
        "staff",
        "unknown",
        office["units"]["bok"],
    )
    assert await count(conn, "SELECT count(*) FROM staff_code WHERE used") == 1
    answers = dict(await conn.fetch("SELECT i.code, a.value FROM answer a JOIN item i ON i.id = a.item_id"))
    assert answers == {"ocena_ogolna": 4, "atmosfera": 5, "enps": 8}

    again = await enter_code(client, wave["bok"][0])
    assert again.status_code == 409 and "Ten kod został już wykorzystany" in again.text
    # the answer page refuses the used code too, with a new form (a new idempotency key)
    replayed = await answer(client, {**hidden, "idempotency_key": str(uuid.uuid4())})
    assert replayed.status_code == 409 and "Ten kod został już wykorzystany" in replayed.text
    assert await count(conn, "SELECT count(*) FROM response") == 1
    assert await count(conn, "SELECT count(*) FROM staff_code WHERE used") == 1


async def test_wrong_and_malformed_codes_are_refused(
    client: Any, conn: asyncpg.Connection[Any], wave: dict[str, Any]
) -> None:
    for typed in ("ABCDE-FGHJK", "123", "", "K7M2Q-X9TR0"):
        response = await enter_code(client, typed)
        assert response.status_code == 422
        soup = BeautifulSoup(response.text, "html.parser")
        assert "Nieznany kod" in soup.select_one("#code-error").get_text()
        assert "code-error" in soup.select_one("input#code")["aria-describedby"]
    hidden = await open_questionnaire(client, wave["podatki"][0])
    forged = await answer(client, {**hidden, "code": "ABCDEFGHJK"})
    assert forged.status_code == 422 and "Nieznany kod" in forged.text
    assert await count(conn, "SELECT count(*) FROM response") == 0
    assert await count(conn, "SELECT count(*) FROM staff_code WHERE used") == 0


async def test_invalid_answers_keep_the_code_unused(
    client: Any, conn: asyncpg.Connection[Any], wave: dict[str, Any]
) -> None:
    hidden = await open_questionnaire(client, wave["bok"][1])
    response = await answer(client, hidden, atmosfera="9")
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert "To pytanie jest obowiązkowe." in soup.select_one("#ocena_ogolna-error").get_text()
    assert soup.select_one("input[name=code]")["value"] == wave["bok"][1]
    assert await count(conn, "SELECT count(*) FROM staff_code WHERE used") == 0
    assert (await answer(client, hidden)).status_code == 303
    assert await count(conn, "SELECT count(*) FROM staff_code WHERE used") == 1


async def test_double_submit_stores_one_response_and_uses_one_code(
    client: Any, conn: asyncpg.Connection[Any], wave: dict[str, Any]
) -> None:
    hidden = await open_questionnaire(client, wave["bok"][2])
    first = await answer(client, hidden)
    second = await answer(client, hidden)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert await count(conn, "SELECT count(*) FROM response") == 1
    assert await count(conn, "SELECT count(*) FROM staff_code WHERE used") == 1


async def _survey_and_state(conn: asyncpg.Connection[Any], secret: str, code: str) -> tuple[Any, Any]:
    state = await find_code(conn, secret, code)
    assert state is not None
    return await open_survey(conn, state.wave.survey_slug), state


async def test_concurrent_use_of_one_code_stores_one_response(
    db_url: str, conn: asyncpg.Connection[Any], wave: dict[str, Any], settings: Settings
) -> None:
    code = wave["podatki"][1]
    survey, state = await _survey_and_state(conn, settings.secret_key, code)
    connections = [await connect(db_url) for _ in range(4)]
    try:

        async def attempt(c: asyncpg.Connection[Any]) -> str:
            submission = Submission(idempotency_key=uuid.uuid4(), values={"ocena_ogolna": [5]})
            try:
                await redeem(c, settings.secret_key, code, state.wave, survey, submission, language="pl")
            except CodeUsed:
                return "used"
            return "stored"

        outcomes = await asyncio.gather(*(attempt(c) for c in connections))
    finally:
        for c in connections:
            await c.close()
    assert sorted(outcomes) == ["stored", "used", "used", "used"]
    assert await count(conn, "SELECT count(*) FROM response") == 1


async def test_a_failed_store_rolls_back_the_code(
    conn: asyncpg.Connection[Any],
    wave: dict[str, Any],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = wave["bok"][0]
    survey, state = await _survey_and_state(conn, settings.secret_key, code)
    real_store = staff.store_response

    async def store_then_fail(*args: Any, **kwargs: Any) -> Any:
        await real_store(*args, **kwargs)
        raise RuntimeError("disk full")  # after the code was marked and the response written

    monkeypatch.setattr(staff, "store_response", store_then_fail)
    submission = Submission(idempotency_key=uuid.uuid4(), values={"ocena_ogolna": [5]})
    with pytest.raises(RuntimeError):
        await redeem(conn, settings.secret_key, code, state.wave, survey, submission, language="pl")
    assert await count(conn, "SELECT count(*) FROM response") == 0
    assert await count(conn, "SELECT count(*) FROM answer") == 0
    assert await count(conn, "SELECT count(*) FROM staff_code WHERE used") == 0
    assert not conn.is_in_transaction()


async def test_no_column_can_link_a_code_to_a_response(conn: asyncpg.Connection[Any]) -> None:
    columns = await conn.fetch(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
           WHERE table_schema = 'public' AND table_name IN ('response', 'staff_code', 'staff_wave',
                                                            'answer', 'answer_text')"""
    )
    by_table: dict[str, dict[str, str]] = {}
    for c in columns:
        by_table.setdefault(c["table_name"], {})[c["column_name"]] = c["data_type"]
    # staff_code: which wave, the keyed hash, the unit, whether used. No time, no response.
    assert by_table["staff_code"] == {
        "wave_id": "bigint",
        "code_hash": "bytea",
        "unit_id": "bigint",
        "used": "boolean",
    }
    # nothing on the answer side could hold a code, its hash or the wave
    for table in ("response", "answer", "answer_text"):
        names = by_table[table]
        assert not [n for n in names if "code" in n or "staff" in n or "wave" in n or "hash" in n], table
        assert "bytea" not in names.values(), table
    references = await conn.fetch(
        """SELECT tc.table_name, ccu.table_name AS target
           FROM information_schema.table_constraints tc
           JOIN information_schema.constraint_column_usage ccu
                ON ccu.constraint_name = tc.constraint_name
           WHERE tc.constraint_type = 'FOREIGN KEY'"""
    )
    pairs = {(r["table_name"], r["target"]) for r in references}
    assert not {p for p in pairs if {"staff_code", "staff_wave"} & set(p) and {"response", "answer"} & set(p)}
    assert ("staff_code", "response") not in pairs and ("response", "staff_code") not in pairs


async def test_stored_time_is_the_wave_day_for_everyone(
    client: Any, conn: asyncpg.Connection[Any], wave: dict[str, Any]
) -> None:
    for code in (wave["bok"][0], wave["podatki"][0]):
        assert (await answer(client, await open_questionnaire(client, code))).status_code == 303
    hours = [r["submitted_hour"] for r in await conn.fetch("SELECT submitted_hour FROM response")]
    assert hours == [datetime.combine(wave["opens_on"], time(0), tzinfo=WARSAW)] * 2


async def test_guessing_is_rate_limited_with_429(
    client: Any,
    conn: asyncpg.Connection[Any],
    wave: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limit = 5
    monkeypatch.setattr(staff, "MAX_FAILED_CHECKS_PER_MINUTE", limit)
    second = float(await conn.fetchval("SELECT extract(second FROM now())"))
    if second > 55:  # stay inside one fixed one-minute window
        await asyncio.sleep(61 - second)
    wrong = [f"ABCDE-FGH{k}K" for k in "23456789"[: limit + 1]]
    statuses = [(await enter_code(client, code)).status_code for code in wrong]
    assert statuses == [422] * limit + [429]
    hits = await conn.fetchval("SELECT hits FROM rate_window WHERE bucket = $1", f"staff-wave:{wave['id']}")
    assert hits == limit  # the blocked attempt was not even checked
    # while blocked even a right code is not checked (nothing is learnt, nothing consumed)
    blocked = await enter_code(client, wave["bok"][0])
    assert blocked.status_code == 429
    assert "Wpisano zbyt wiele błędnych kodów" in blocked.text
    await conn.execute("UPDATE rate_window SET hits = 0")
    hidden = await open_questionnaire(client, wave["bok"][0])
    await conn.execute("UPDATE rate_window SET hits = 1000")
    kept = await answer(client, hidden)
    assert kept.status_code == 429
    resend = {i["name"]: i["value"] for i in BeautifulSoup(kept.text, "html.parser").select("input[type=hidden]")}
    assert {k: resend[k] for k in ANSWERS} == ANSWERS and resend["code"] == wave["bok"][0]
    assert await count(conn, "SELECT count(*) FROM response") == 0
    await conn.execute("UPDATE rate_window SET hits = 0")
    assert (await client.post("/k/answer", data=resend, follow_redirects=False)).status_code == 303


async def test_closed_wave_and_resident_survey(
    client: Any, conn: asyncpg.Connection[Any], wave: dict[str, Any]
) -> None:
    closes_on = wave["opens_on"] + timedelta(days=5)
    await conn.execute("UPDATE staff_wave SET closes_on = $2 WHERE id = $1", wave["id"], closes_on)
    closed = await enter_code(client, wave["bok"][0])
    assert closed.status_code == 410 and "Ankieta zamknięta" in closed.text
    with pytest.raises(BadInput):
        await create_wave(conn, "test-klient", "Mieszkańcy")


async def test_response_rate_page_shows_counts_only(
    client: Any, conn: asyncpg.Connection[Any], wave: dict[str, Any]
) -> None:
    assert (await answer(client, await open_questionnaire(client, wave["bok"][0]))).status_code == 303
    response = await client.get(f"/results/staff/{wave['id']}")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    rows = [[c.get_text(strip=True) for c in tr.select("th, td")] for tr in soup.select("table.data tr")]
    assert rows == [
        ["Komórka", "Wydane kody", "Wykorzystane kody", "Odsetek odpowiedzi"],
        ["Biuro Obsługi Klienta", "3", "1", "33%"],
        ["Wydział Podatków", "2", "0", "0%"],
        ["Razem", "5", "1", "20%"],
    ]
    assert "Więcej szkoleń" not in response.text
    assert (await client.get("/results/staff/999999")).status_code == 404


# --- the command line and the printed cards ---------------------------------------------------

PDFTOTEXT = shutil.which("pdftotext")


def survey_cli(db_url: str, settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "SURVEY_SECRET_KEY": settings.secret_key,
        "SURVEY_DATA_DIR": str(settings.data_dir),
        "SURVEY_PUBLIC_URL": "https://ankieta.testowo.pl/",
    }
    return subprocess.run(
        [sys.executable, "-m", "survey.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _need_pdftotext() -> str:
    if PDFTOTEXT is None:
        if os.environ.get("SURVEY_REQUIRE_BROWSER"):
            pytest.fail("pdftotext is required (apt-get install poppler-utils)")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    return PDFTOTEXT


async def test_cli_wave_codes_pdf_and_rate(
    client: Any,
    conn: asyncpg.Connection[Any],
    db_url: str,
    settings: Settings,
    office: dict[str, Any],
    tmp_path: Path,
) -> None:
    pdftotext = _need_pdftotext()
    await ensure_survey(conn, office["organisation"], "pracownik", "test-pracownik")
    created = await asyncio.to_thread(
        survey_cli,
        db_url,
        settings,
        "staff",
        "wave",
        "test-pracownik",
        "--name",
        "Badanie satysfakcji pracowników 2026",
    )
    assert created.returncode == 0, created.stderr
    wave_id = created.stdout.strip()
    pdf = tmp_path / "kody.pdf"
    issued = await asyncio.to_thread(
        survey_cli,
        db_url,
        settings,
        "staff",
        "codes",
        wave_id,
        "--unit",
        "podatki",
        "--count",
        "12",
        "-o",
        str(pdf),
    )
    assert issued.returncode == 0, issued.stderr
    codes = issued.stdout.split()
    assert len(codes) == 12 and all(re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", c) for c in codes)
    assert "Zapisano 12 kart w pliku" in issued.stderr

    text = subprocess.run([pdftotext, "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert text.count("\f") == 2  # 12 cards, 10 to a page
    flat = " ".join(text.split())
    for code in codes:
        assert code in flat
    assert flat.count("Urząd Miasta Testowo") == 12
    assert "Badanie satysfakcji pracowników 2026" in flat
    assert "Komórka: Wydział Podatków" in flat
    assert "KOD DOSTĘPU" in flat
    assert "Wejdź na stronę https://ankieta.testowo.pl/k i wpisz kod." in flat
    assert "Kod jest jednorazowy i nie jest powiązany z Twoimi odpowiedziami." in flat

    # a printed code works on the web (same secret key), once
    hidden = await open_questionnaire(client, codes[0])
    assert (await answer(client, hidden)).status_code == 303
    rate = await asyncio.to_thread(survey_cli, db_url, settings, "staff", "rate", wave_id)
    assert rate.returncode == 0, rate.stderr
    lines = [line.split() for line in rate.stdout.splitlines()]
    assert lines[1][-3:] == ["12", "1", "8,3%"] and " ".join(lines[1][:-3]) == "Wydział Podatków"
    assert lines[2] == ["Razem", "12", "1", "8,3%"]
    assert len(lines) == 3

    missing = await asyncio.to_thread(survey_cli, db_url, settings, "staff", "codes", "999", "--count", "1")
    assert missing.returncode == 1 and "no staff wave '999'" in missing.stderr
    resident = await asyncio.to_thread(survey_cli, db_url, settings, "staff", "wave", "test-klient", "--name", "X")
    assert resident.returncode == 1 and "employee questionnaire" in resident.stderr
