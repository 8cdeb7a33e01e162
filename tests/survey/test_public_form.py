"""The public form: rendering, validation, exactly-once storage and refusals."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

import asyncpg
import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.survey.helpers import open_form, valid_answers

pytestmark = pytest.mark.usefixtures("office")


async def count(conn: asyncpg.Connection[Any], table: str) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # table names are literals here


async def test_form_renders_accessible_polish_markup(client: Any) -> None:
    soup, hidden = await open_form(client, "test-klient")
    assert soup.html["lang"] == "pl"
    assert soup.h1.get_text(strip=True) == "Ankieta satysfakcji klienta urzędu"
    form = soup.select_one("form#survey-form")
    assert form["method"] == "post" and form["action"] == "/s/test-klient"
    assert form.get("hx-post") == "/s/test-klient"
    # every choice item is a fieldset with a legend; every input has a label
    fieldsets = form.select("fieldset.item")
    assert {fs["id"] for fs in fieldsets} >= {"czas_oczekiwania", "ocena_ogolna", "polecenie", "rodzaj_sprawy", "wiek"}
    for fs in fieldsets:
        assert fs.legend and fs.legend.get_text(strip=True)
    for control in form.select("input[type=radio], input[type=checkbox], textarea"):
        assert form.select_one(f'label[for="{control["id"]}"]'), control["id"]
    assert "nie dotyczy / brak opinii" in form.select_one("fieldset#uprzejmosc").get_text()
    assert form.select_one('label[for="ocena_ogolna-5"]').get_text(strip=True) == "bardzo dobrze"
    assert hidden["idempotency_key"] and hidden["_csrf_token"]
    assert soup.select_one('script[src^="/static/vendor/htmx-2.0.11"]')


async def test_language_switch_renders_english(client: Any) -> None:
    soup, _ = await open_form(client, "test-klient", lang="en")
    assert soup.html["lang"] == "en"
    assert soup.h1.get_text(strip=True) == "Customer satisfaction survey"
    assert soup.select_one('label[for="ocena_ogolna-5"]').get_text(strip=True) == "very good"


async def test_valid_submission_is_stored_and_redirects(
    client: Any, conn: asyncpg.Connection[Any], office: dict[str, Any]
) -> None:
    _, hidden = await open_form(client, "test-klient")
    data = {**hidden, **valid_answers(office["services"]["dowod"])}
    response = await client.post("/s/test-klient", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/s/test-klient/thanks"
    thanks = await client.get("/s/test-klient/thanks")
    assert "Dziękujemy" in thanks.text
    row = await conn.fetchrow("SELECT * FROM response")
    assert row["channel"] == "web" and row["language"] == "pl"
    assert row["unit_id"] == office["units"]["bok"]
    assert row["service_type_id"] == office["services"]["dowod"]
    assert row["submitted_hour"].minute == 0 and row["submitted_hour"].second == 0
    answers = dict(await conn.fetch("SELECT i.code, a.value FROM answer a JOIN item i ON i.id = a.item_id"))
    assert answers == {
        "czas_oczekiwania": 4,
        "uprzejmosc": 5,
        "kompetencje": 5,
        "zrozumialosc": -1,
        "ocena_ogolna": 5,
        "polecenie": 9,
        "wiek": 2,
    }
    assert await conn.fetchval("SELECT body FROM answer_text") == "Bardzo sprawna obsługa, dziękuję!"


async def test_no_ip_or_user_agent_is_stored(conn: asyncpg.Connection[Any]) -> None:
    columns = {
        r["column_name"]
        for r in await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'")
    }
    assert not {c for c in columns if "ip" in c.split("_") or "agent" in c or "address" in c}


async def test_double_submit_with_one_key_stores_one_response(client: Any, conn: asyncpg.Connection[Any]) -> None:
    _, hidden = await open_form(client, "test-klient")
    data = {**hidden, **valid_answers()}
    first = await client.post("/s/test-klient", data=data, follow_redirects=False)
    second = await client.post("/s/test-klient", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert await count(conn, "response") == 1
    assert await count(conn, "answer") == 7


async def test_all_errors_are_reported_at_once_in_polish(client: Any, conn: asyncpg.Connection[Any]) -> None:
    _, hidden = await open_form(client, "test-klient")
    data = {**hidden, "uprzejmosc": "7", "komentarz": "x" * 1001, "polecenie": "dziewięć"}
    response = await client.post("/s/test-klient", data=data)
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    errors = {p["id"]: p.get_text(" ", strip=True) for p in soup.select("p.field-error")}
    assert errors == {
        "uprzejmosc-error": "Błąd: Wybierz jedną z podanych odpowiedzi.",
        "ocena_ogolna-error": "Błąd: To pytanie jest obowiązkowe.",
        "polecenie-error": "Błąd: Wybierz jedną z podanych odpowiedzi.",
        "komentarz-error": "Błąd: Odpowiedź może mieć najwyżej 1000 znaków.",
    }
    summary = soup.select_one(".error-summary")
    assert summary["role"] == "alert"
    assert summary.h2.get_text(strip=True) == "4 odpowiedzi wymagają poprawienia"
    # errors are tied to their controls, the entered values are kept, and so is the key
    assert "uprzejmosc-error" in soup.select_one("#uprzejmosc-5")["aria-describedby"]
    assert soup.select_one("#komentarz-text").get_text() == "x" * 1001
    assert soup.select_one("input[name=idempotency_key]")["value"] == hidden["idempotency_key"]
    assert await count(conn, "response") == 0


async def test_htmx_submission_swaps_form_or_redirects(client: Any, conn: asyncpg.Connection[Any]) -> None:
    _, hidden = await open_form(client, "test-klient")
    bad = await client.post("/s/test-klient", data={**hidden, "uprzejmosc": "4"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert "<html" not in bad.text and 'id="survey-form"' in bad.text
    good = await client.post("/s/test-klient", data={**hidden, **valid_answers()}, headers={"HX-Request": "true"})
    assert good.status_code == 200 and good.headers["HX-Redirect"] == "/s/test-klient/thanks"
    assert await count(conn, "response") == 1


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"nieznane_pole": "1"}, 400),
        ({"idempotency_key": "not-a-uuid"}, 400),
        ({"ocena_ogolna": ["4", "5"]}, 400),
        ({"rodzaj_sprawy": "999999"}, 422),
        ({"ocena_ogolna": "<script>alert(1)</script>"}, 422),
        ({"ocena_ogolna": "1e309"}, 422),
    ],
)
async def test_malformed_input_is_refused_and_nothing_stored(
    client: Any, conn: asyncpg.Connection[Any], extra: dict[str, Any], status: int
) -> None:
    _, hidden = await open_form(client, "test-klient")
    data = {**hidden, **valid_answers(), **extra}
    response = await client.post("/s/test-klient", data=data)
    assert response.status_code == status
    assert "<script>alert(1)</script>" not in response.text
    assert await count(conn, "response") == 0
    if status == 400:
        assert "Nie udało się odczytać wysłanego formularza" in response.text


async def test_wrong_content_type_and_oversized_body_are_refused(client: Any, conn: asyncpg.Connection[Any]) -> None:
    _, hidden = await open_form(client, "test-klient")
    as_json = await client.post(
        "/s/test-klient", json={**hidden, **valid_answers()}, headers={"x-csrftoken": hidden["_csrf_token"]}
    )
    assert as_json.status_code == 400
    huge = await client.post("/s/test-klient", data={**hidden, **valid_answers(), "komentarz": "ą" * 70_000})
    assert huge.status_code == 413
    assert "Wysłany formularz jest zbyt duży" in huge.text
    assert await count(conn, "response") == 0


async def test_missing_csrf_token_is_refused_in_polish(client: Any, conn: asyncpg.Connection[Any]) -> None:
    _, hidden = await open_form(client, "test-klient")
    data = {k: v for k, v in {**hidden, **valid_answers()}.items() if k != "_csrf_token"}
    response = await client.post("/s/test-klient", data=data)
    assert response.status_code == 403
    assert "Formularz wygasł" in response.text
    assert await count(conn, "response") == 0


async def test_unknown_and_closed_surveys(client: Any, conn: asyncpg.Connection[Any]) -> None:
    missing = await client.get("/s/nie-ma-takiej")
    assert missing.status_code == 404 and "Nie znaleziono strony" in missing.text
    await conn.execute("UPDATE survey SET is_open = false WHERE slug = 'test-klient'")
    closed = await client.get("/s/test-klient")
    assert closed.status_code == 410 and "Ankieta zamknięta" in closed.text


async def test_database_outage_answers_503_with_retry_after(client: Any, server_url: str, db_url: str) -> None:
    _, hidden = await open_form(client, "test-klient")
    name = urlsplit(db_url).path.lstrip("/")
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
        response = await client.post("/s/test-klient", data={**hidden, **valid_answers()})
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert "Nie możemy teraz zapisać odpowiedzi" in response.text
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


field_names = st.sampled_from(
    [
        "ocena_ogolna",
        "uprzejmosc",
        "polecenie",
        "komentarz",
        "wiek",
        "rodzaj_sprawy",
        "idempotency_key",
        "lang",
        "x",
        "",
        "ocena_ogolna[]",
        "__proto__",
    ]
)
field_values = st.one_of(st.text(max_size=50), st.sampled_from(["-1", "0", "5", "11", "9" * 30, "1.5", "\x00", "NaN"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.lists(st.tuples(field_names, field_values), max_size=8))
async def test_arbitrary_form_input_never_causes_a_server_error(
    client: Any, conn: asyncpg.Connection[Any], fields: list[tuple[str, str]]
) -> None:
    _, hidden = await open_form(client, "test-klient")
    before = await count(conn, "response")
    body = [("_csrf_token", hidden["_csrf_token"]), *fields]
    response = await client.post(
        "/s/test-klient",
        content=urlencode(body),
        follow_redirects=False,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (303, 400, 422), response.text[:500]
    stored = await count(conn, "response") - before
    assert stored == (1 if response.status_code == 303 else 0)


async def test_survey_closed_after_the_form_was_shown_stores_nothing(
    client: Any, conn: asyncpg.Connection[Any]
) -> None:
    _, hidden = await open_form(client, "test-klient")
    first = await client.post("/s/test-klient", data={**hidden, **valid_answers()}, follow_redirects=False)
    assert first.status_code == 303  # the worker now holds the survey in its short cache
    await conn.execute("UPDATE survey SET is_open = false WHERE slug = 'test-klient'")
    late_answer = {**hidden, **valid_answers(), "idempotency_key": str(uuid.uuid4())}
    late = await client.post("/s/test-klient", data=late_answer, follow_redirects=False)
    assert late.status_code == 410 and "Ankieta zamknięta" in late.text
    assert await count(conn, "response") == 1


async def test_form_shown_before_a_new_version_is_stored_against_the_version_shown(
    client: Any, conn: asyncpg.Connection[Any]
) -> None:
    from survey.questionnaires.model import parse_questionnaire
    from survey.questionnaires.store import import_questionnaire, publish
    from survey.setup import LIBRARY_DIR

    _, hidden = await open_form(client, "test-klient")
    shown = int(hidden["questionnaire_version"])
    source = (LIBRARY_DIR / "klient-urzedu.toml").read_text(encoding="utf-8")
    changed = source.replace('id = "wiek"', 'id = "wiek_2027"')  # the new version renames an item
    await import_questionnaire(conn, parse_questionnaire(changed))
    await publish(conn, "klient-urzedu")
    response = await client.post("/s/test-klient", data={**hidden, **valid_answers()}, follow_redirects=False)
    assert response.status_code == 303
    assert await conn.fetchval("SELECT questionnaire_version_id FROM response") == shown
