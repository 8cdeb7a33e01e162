"""Paper questionnaires: the re-keying screen and the CSV import (channel and device "paper")."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from bs4 import BeautifulSoup

from survey.channels.paper import FileRefused, import_csv, parse_day, report_lines

pytestmark = pytest.mark.usefixtures("office")
WARSAW = ZoneInfo("Europe/Warsaw")
TODAY = date.today()
DAY = TODAY - timedelta(days=3)
POLISH = "Zażółć gęślą jaźń – ŁÓDŹ, Świnoujście"


async def count(conn: asyncpg.Connection[Any], sql: str, *args: Any) -> int:
    return int(await conn.fetchval(sql, *args))


async def open_screen(client: Any, url: str = "/paper/test-klient") -> tuple[BeautifulSoup, dict[str, str]]:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    hidden = {i["name"]: i["value"] for i in soup.select("form#paper-form input[type=hidden]")}
    return soup, hidden


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=WARSAW)


async def answers_of(conn: asyncpg.Connection[Any], response_id: int) -> dict[str, int]:
    return dict(
        await conn.fetch(
            """SELECT i.code, a.value FROM answer a JOIN item i ON i.id = a.item_id
               WHERE a.response_id = $1""",
            response_id,
        )
    )


# --- the data-entry screen ----------------------------------------------------------------------


async def test_screen_is_a_compact_labelled_form_in_paper_order(client: Any) -> None:
    soup, hidden = await open_screen(client)
    assert soup.html["lang"] == "pl" and "Ankiety papierowe: wprowadzanie" in soup.h1.get_text()
    form = soup.select_one("form#paper-form")
    inputs = form.select(".paper-fields input")
    assert [i["name"] for i in inputs] == [
        "rodzaj_sprawy",
        "czas_oczekiwania",
        "uprzejmosc",
        "kompetencje",
        "zrozumialosc",
        "godziny_pracy",
        "dostepnosc",
        "warunki_lokalowe",
        "ocena_ogolna",
        "polecenie",
        "komentarz",
        "wiek",
        "czestotliwosc",
    ]
    assert all(i["type"] == "text" for i in inputs)
    assert [i for i in form.select("[autofocus]")] == [inputs[0]]
    for control in form.select("input:not([type=hidden]), select"):
        assert form.select_one(f'label[for="{control["id"]}"]'), control["id"]
    legend = form.select_one("#" + inputs[1]["aria-describedby"]).get_text(" ", strip=True)
    assert "1 bardzo źle" in legend and "5 bardzo dobrze" in legend and "n/0 nie dotyczy" in legend
    services = form.select_one("#p-rodzaj_sprawy-legend").get_text(" ", strip=True)
    assert services == "1 Dowód osobisty · 2 Meldunek · 3 Podatki"
    nps = form.select_one("#p-polecenie-legend").get_text(" ", strip=True)
    assert nps.startswith("0 zdecydowanie nie poleciłbym") and "nie dotyczy" not in nps
    assert form.select_one("input#p-data")["value"] == TODAY.isoformat()
    units = [o.get_text(strip=True) for o in form.select("select#p-komorka option")]
    assert units == ["Jak w ustawieniach ankiety", "Biuro Obsługi Klienta", "Wydział Podatków"]
    assert hidden["idempotency_key"] and hidden["_csrf_token"]


async def test_screen_stores_a_paper_response_and_offers_the_next(
    client: Any, conn: asyncpg.Connection[Any], office: dict[str, Any]
) -> None:
    _, hidden = await open_screen(client)
    typed = {
        "rodzaj_sprawy": "2",
        "czas_oczekiwania": "4",
        "uprzejmosc": "n",
        "kompetencje": "0",
        "ocena_ogolna": " 5 ",
        "polecenie": "0",
        "komentarz": POLISH,
        "wiek": "3",
        "data": DAY.isoformat(),
        "komorka": "podatki",
    }
    response = await client.post("/paper/test-klient", data={**hidden, **typed}, follow_redirects=False)
    assert response.status_code == 303, response.text
    row = await conn.fetchrow("SELECT * FROM response")
    assert response.headers["location"] == (
        f"/paper/test-klient?saved={row['id']}&data={DAY.isoformat()}&komorka=podatki"
    )
    assert (row["channel"], row["device"], row["language"]) == ("paper", "paper", "pl")
    assert row["submitted_hour"] == midnight(DAY)
    assert row["unit_id"] == office["units"]["podatki"]
    assert row["service_type_id"] == office["services"]["meldunek"]
    assert await answers_of(conn, row["id"]) == {
        "czas_oczekiwania": 4,
        "uprzejmosc": -1,
        "kompetencje": -1,
        "ocena_ogolna": 5,
        "polecenie": 0,
        "wiek": 3,
    }
    assert await conn.fetchval("SELECT body FROM answer_text") == POLISH

    soup, fresh = await open_screen(client, response.headers["location"])
    assert soup.select_one(".paper-saved[role=status]").get_text(strip=True) == f"Zapisano ankietę nr {row['id']}."
    assert all(not i.get("value") for i in soup.select(".paper-fields input"))
    assert soup.select_one("input#p-czas_oczekiwania").get("autofocus") is None
    assert soup.select_one("input#p-rodzaj_sprawy").has_attr("autofocus")
    assert soup.select_one("input#p-data")["value"] == DAY.isoformat()
    assert soup.select_one("select#p-komorka option[selected]")["value"] == "podatki"
    assert fresh["idempotency_key"] != hidden["idempotency_key"]


async def test_double_submit_of_one_screen_stores_once(client: Any, conn: asyncpg.Connection[Any]) -> None:
    _, hidden = await open_screen(client)
    data = {**hidden, "ocena_ogolna": "4"}
    first = await client.post("/paper/test-klient", data=data, follow_redirects=False)
    second = await client.post("/paper/test-klient", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await count(conn, "SELECT count(*) FROM response") == 1


async def test_paper_does_not_force_required_questions(client: Any, conn: asyncpg.Connection[Any]) -> None:
    _, hidden = await open_screen(client)
    response = await client.post("/paper/test-klient", data={**hidden, "uprzejmosc": "4"}, follow_redirects=False)
    assert response.status_code == 303  # the respondent skipped "ocena_ogolna" on paper
    assert await count(conn, "SELECT count(*) FROM answer") == 1
    assert await conn.fetchval("SELECT submitted_hour FROM response") == midnight(TODAY)


async def test_errors_are_shown_in_polish_next_to_their_inputs(client: Any, conn: asyncpg.Connection[Any]) -> None:
    _, hidden = await open_screen(client)
    typed = {
        "czas_oczekiwania": "7",
        "uprzejmosc": "x",
        "polecenie": "11",
        "wiek": "3,4",
        "czestotliwosc": "2",
        "komentarz": "ą" * 1001,
        "data": (TODAY + timedelta(days=1)).isoformat(),
        "komorka": "nie-ma",
    }
    response = await client.post("/paper/test-klient", data={**hidden, **typed})
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    errors = {p["id"]: p.get_text(" ", strip=True) for p in soup.select("p.field-error")}
    assert errors == {
        "p-czas_oczekiwania-error": "Błąd: Wpisz jeden z kodów: 1–5, n/0 albo zostaw pole puste.",
        "p-uprzejmosc-error": "Błąd: Wpisz jeden z kodów: 1–5, n/0 albo zostaw pole puste.",
        "p-polecenie-error": "Błąd: Wpisz jeden z kodów: 0–10 albo zostaw pole puste.",
        "p-wiek-error": "Błąd: Wpisz jeden z kodów: 1–5, n/0 albo zostaw pole puste.",
        "p-komentarz-error": "Błąd: Odpowiedź może mieć najwyżej 1000 znaków.",
        "p-data-error": "Błąd: Data ankiety nie może być z przyszłości.",
        "p-komorka-error": "Błąd: Nieznana komórka: nie-ma.",
    }
    for error_id in errors:
        control = soup.select_one(f'[aria-describedby~="{error_id}"]')
        assert control is not None and control["aria-invalid"] == "true", error_id
    assert soup.select_one("input#p-czas_oczekiwania").has_attr("autofocus")  # the first wrong field
    assert len(soup.select("[autofocus]")) == 1
    assert soup.select_one(".error-summary h2").get_text(strip=True) == "7 pól wymaga poprawienia; nic nie zapisano"
    assert soup.select_one("input#p-czestotliwosc")["value"] == "2"  # what was typed is kept
    assert soup.select_one("input[name=idempotency_key]")["value"] == hidden["idempotency_key"]
    assert await count(conn, "SELECT count(*) FROM response") == 0


async def test_empty_and_malformed_submissions_are_refused(client: Any, conn: asyncpg.Connection[Any]) -> None:
    _, hidden = await open_screen(client)
    empty = await client.post("/paper/test-klient", data=hidden)
    assert empty.status_code == 422 and "Formularz jest pusty: wpisz co najmniej jedną odpowiedź." in empty.text
    unknown = await client.post("/paper/test-klient", data={**hidden, "ocena_ogolna": "4", "hack": "1"})
    assert unknown.status_code == 400 and "Nie udało się odczytać" in unknown.text
    bad_key = await client.post("/paper/test-klient", data={**hidden, "ocena_ogolna": "4", "idempotency_key": "x"})
    assert bad_key.status_code == 400
    assert (await client.get("/paper/nie-ma-takiej")).status_code == 404
    assert await count(conn, "SELECT count(*) FROM response") == 0


def test_dates_as_typed_or_exported_by_polish_spreadsheets() -> None:
    today = date(2026, 11, 22)
    assert parse_day("", today) == (today, None)
    assert parse_day("2026-11-20", today) == (date(2026, 11, 20), None)
    assert parse_day("20.11.2026", today) == (date(2026, 11, 20), None)
    assert parse_day("2026-02-30", today)[0] is None
    assert parse_day("2026-11-23", today)[0] is None
    assert parse_day("2024-01-01", today)[0] is None
    assert parse_day("wczoraj", today)[0] is None


# --- CSV import ---------------------------------------------------------------------------------

HEADER = [
    "rodzaj_sprawy",
    "czas_oczekiwania",
    "ocena_ogolna",
    "polecenie",
    "komentarz",
    "data",
    "komorka",
]


def csv_file(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "\r\n".join(delimiter.join(row) for row in [HEADER, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


MIXED = [
    ["1", "5", "5", "10", "Sprawnie", DAY.isoformat(), "bok"],  # row 2: good
    ["2", "6", "4", "", "", "", ""],  # row 3: 6 is not on the scale
    ["", "", "", "", "", "", ""],  # row 4: blank, skipped
    ["3", "n", "3", "7", "", "31.02.2026", "podatki"],  # row 5: no such date
    ["4", "2", "2", "2", "", "", "bok"],  # row 6: no service type 4
    ["", "4", "4", "", "", DAY.strftime("%d.%m.%Y"), "nie-ma"],  # row 7: unknown unit
    ["", "", "", "", "", "", ""],  # row 8: blank, skipped
    ["2", "3", "", "", "Długie kolejki", "", ""],  # row 9: good (no overall rating)
    ["1", "1", "1", "1", "", "", "", "x"],  # row 10: extra cell
]


async def test_import_keeps_good_rows_and_reports_every_bad_one(
    conn: asyncpg.Connection[Any], office: dict[str, Any]
) -> None:
    report = await import_csv(conn, "test-klient", csv_file(MIXED))
    assert (report.rows, report.valid, report.refused_rows, report.stored, report.already) == (
        7,
        2,
        5,
        2,
        0,
    )
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (3, "czas_oczekiwania", "Wpisz jeden z kodów: 1–5, n/0 albo zostaw pole puste."),
        (5, "data", f"Wpisz datę w postaci RRRR-MM-DD, np. {TODAY.isoformat()}."),
        (6, "rodzaj_sprawy", "Wpisz jeden z kodów: 1, 2, 3 albo zostaw pole puste."),
        (7, "komorka", "Nieznana komórka: nie-ma."),
        (10, "", "Liczba kolumn w wierszu (8) nie zgadza się z nagłówkiem (7)."),
    ]
    assert report_lines(report) == [
        "Wiersze z danymi: 7; poprawne: 2; odrzucone: 5.",
        "Zapisano 2 ankiety.",
    ]
    rows = await conn.fetch("SELECT * FROM response ORDER BY id")
    assert [(r["channel"], r["device"]) for r in rows] == [("paper", "paper")] * 2
    assert [r["submitted_hour"] for r in rows] == [midnight(DAY), midnight(TODAY)]
    assert [r["unit_id"] for r in rows] == [
        office["units"]["bok"],
        office["units"]["bok"],
    ]  # the survey's unit
    assert [r["service_type_id"] for r in rows] == [
        office["services"]["dowod"],
        office["services"]["meldunek"],
    ]
    assert await answers_of(conn, rows[0]["id"]) == {
        "czas_oczekiwania": 5,
        "ocena_ogolna": 5,
        "polecenie": 10,
    }
    assert await answers_of(conn, rows[1]["id"]) == {"czas_oczekiwania": 3}


async def test_windows_1250_with_semicolons_and_reimport(conn: asyncpg.Connection[Any]) -> None:
    data = csv_file(
        [["1", "4", "5", "9", POLISH, "", "podatki"], ["2", "5", "4", "8", "Dziękuję", "", ""]],
        encoding="cp1250",
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    first = await import_csv(conn, "test-klient", data)
    assert (first.stored, first.refused_rows, first.encoding, first.delimiter) == (
        2,
        0,
        "Windows-1250",
        ";",
    )
    assert await conn.fetchval("SELECT body FROM answer_text ORDER BY response_id LIMIT 1") == POLISH
    again = await import_csv(conn, "test-klient", data)
    assert (again.stored, again.already) == (0, 2)
    assert report_lines(again)[-1] == "Nic nowego nie zapisano: ten plik został już zaimportowany (2 ankiety)."
    assert await count(conn, "SELECT count(*) FROM response") == 2


async def test_utf8_with_bom_and_commas(conn: asyncpg.Connection[Any]) -> None:
    data = csv_file([["1", "4", "5", "9", '"Dobrze, szybko"', "", ""]], delimiter=",", bom=True)
    report = await import_csv(conn, "test-klient", data)
    assert (report.stored, report.encoding, report.delimiter) == (1, "UTF-8", ",")
    assert await conn.fetchval("SELECT body FROM answer_text") == "Dobrze, szybko"


async def test_dry_run_and_all_or_nothing_store_nothing(conn: asyncpg.Connection[Any]) -> None:
    data = csv_file(MIXED)
    dry = await import_csv(conn, "test-klient", data, dry_run=True)
    assert (dry.valid, dry.refused_rows, dry.stored) == (2, 5, 0)
    assert report_lines(dry)[1:] == [
        "Tylko sprawdzenie: nic nie zapisano.",
        "Import zapisałby: 2; wcześniej zaimportowane z tego pliku: 0.",
    ]
    strict = await import_csv(conn, "test-klient", data, all_or_nothing=True)
    assert strict.stored == 0 and strict.nothing_stored_because_refused
    assert await count(conn, "SELECT count(*) FROM response") == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Plik jest pusty albo nie ma wiersza nagłówka."),
        (b"ocena_ogolna;wiek;waga\n4;2;80\n", "Nieznane kolumny: waga."),
        (b"ocena_ogolna;ocena_ogolna\n4;4\n", "Kolumny występują więcej niż raz: ocena_ogolna."),
        (b"\x00\x01PK\x03\x04", "Plik nie jest tekstowym plikiem CSV."),
        (b"ocena_ogolna\n\x81\x98\n", "Plik nie jest tekstem w kodowaniu UTF-8 ani Windows-1250."),
    ],
)
async def test_unreadable_files_are_refused_as_a_whole(
    conn: asyncpg.Connection[Any], data: bytes, message: str
) -> None:
    with pytest.raises(FileRefused) as refused:
        await import_csv(conn, "test-klient", data)
    assert refused.value.message.startswith(message)
    assert await count(conn, "SELECT count(*) FROM response") == 0


def survey_cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "survey.cli", *args],
        env={**os.environ, "DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_cli_import(db_url: str, conn: asyncpg.Connection[Any], tmp_path: Path) -> None:
    path = tmp_path / "ankiety.csv"
    path.write_bytes(csv_file(MIXED, encoding="cp1250"))
    dry = await asyncio.to_thread(survey_cli, db_url, "paper", "import", "test-klient", str(path), "--dry-run")
    assert dry.returncode == 1 and "Tylko sprawdzenie: nic nie zapisano." in dry.stdout
    assert await count(conn, "SELECT count(*) FROM response") == 0
    result = await asyncio.to_thread(survey_cli, db_url, "paper", "import", "test-klient", str(path))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "Wiersze z danymi: 7; poprawne: 2; odrzucone: 5.",
        "Zapisano 2 ankiety.",
        "Odrzucone wiersze:",
    ]
    assert lines[3].split() == ["Wiersz", "Kolumna", "Powód"]
    assert lines[4].split()[:2] == ["3", "czas_oczekiwania"] and len(lines) == 9
    again = await asyncio.to_thread(survey_cli, db_url, "paper", "import", "test-klient", str(path))
    assert "Nic nowego nie zapisano: ten plik został już zaimportowany (2 ankiety)." in again.stdout
    assert await count(conn, "SELECT count(*) FROM response") == 2
    good = tmp_path / "dobre.csv"
    good.write_bytes(csv_file([MIXED[0]]))
    ok = await asyncio.to_thread(survey_cli, db_url, "paper", "import", "test-klient", str(good))
    assert ok.returncode == 0 and ok.stdout.splitlines()[-1] == "Zapisano 1 ankietę."
    bad = tmp_path / "zle.csv"
    bad.write_text("pytanie1;pytanie2\n1;2\n", encoding="utf-8")
    refused = await asyncio.to_thread(survey_cli, db_url, "paper", "import", "test-klient", str(bad))
    assert refused.returncode == 1 and "Nieznane kolumny: pytanie1, pytanie2." in refused.stderr


async def _upload_form(client: Any) -> str:
    response = await client.get("/paper/test-klient/import")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one('form[enctype="multipart/form-data"] input[type=file]#plik')
    assert soup.select_one('label[for="plik"]').get_text(strip=True) == "Plik CSV"
    return soup.select_one("input[name=_csrf_token]")["value"]


async def test_upload_page_imports_and_reports_in_polish(client: Any, conn: asyncpg.Connection[Any]) -> None:
    token = await _upload_form(client)
    data = csv_file(MIXED, encoding="cp1250")
    response = await client.post(
        "/paper/test-klient/import",
        data={"_csrf_token": token},
        files={"plik": ("ankiety.csv", data, "text/csv")},
    )
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    status = soup.select_one(".import-report [role=status]").get_text(" ", strip=True)
    assert status == "Wiersze z danymi: 7; poprawne: 2; odrzucone: 5. Zapisano 2 ankiety."
    table = soup.select_one(".import-report table")
    assert table.caption.get_text(strip=True) == "Odrzucone wiersze"
    rows = [[c.get_text(strip=True) for c in tr.select("td")] for tr in table.select("tbody tr")]
    assert [r[:2] for r in rows] == [
        ["3", "czas_oczekiwania"],
        ["5", "data"],
        ["6", "rodzaj_sprawy"],
        ["7", "komorka"],
        ["10", "—"],
    ]
    again = await client.post(
        "/paper/test-klient/import",
        data={"_csrf_token": token},
        files={"plik": ("ankiety.csv", data, "text/csv")},
    )
    assert "ten plik został już zaimportowany" in again.text
    assert await count(conn, "SELECT count(*) FROM response") == 2


async def test_upload_refusals(client: Any, conn: asyncpg.Connection[Any]) -> None:
    token = await _upload_form(client)
    missing = await client.post(
        "/paper/test-klient/import",
        data={"_csrf_token": token},
        files={"plik": ("pusty.csv", b"", "text/csv")},
    )
    assert missing.status_code == 422 and "Wybierz plik CSV do zaimportowania." in missing.text
    wrong = await client.post(
        "/paper/test-klient/import",
        data={"_csrf_token": token},
        files={"plik": ("x.csv", b"imie;nazwisko\nJan;Kowalski\n", "text/csv")},
    )
    assert wrong.status_code == 422
    soup = BeautifulSoup(wrong.text, "html.parser")
    assert "Nieznane kolumny: imie, nazwisko." in soup.select_one("#plik-error").get_text()
    assert "plik-error" in soup.select_one("input#plik")["aria-describedby"]
    strict = await client.post(
        "/paper/test-klient/import",
        data={"_csrf_token": token, "all_or_nothing": "1"},
        files={"plik": ("a.csv", csv_file(MIXED), "text/csv")},
    )
    assert strict.status_code == 422 and "wszystko albo nic" in strict.text
    huge = await client.post(
        "/paper/test-klient/import",
        data={"_csrf_token": token},
        files={"plik": ("big.csv", b"ocena_ogolna\n" + b"4\n" * 1_200_000, "text/csv")},
    )
    assert huge.status_code == 413 and "Wysłany formularz jest zbyt duży" in huge.text
    plain = await client.post("/paper/test-klient/import", data={"_csrf_token": token})
    assert plain.status_code == 400
    assert await count(conn, "SELECT count(*) FROM response") == 0
