"""Short links and QR posters: the CLI, answers through /l/<code>, the printable poster."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from bs4 import BeautifulSoup

from survey.channels.links import ALPHABET, create_link, find_link, new_code
from survey.errors import BadInput, NotFound
from survey.setup import ensure_organisation, ensure_unit
from tests.survey.helpers import valid_answers

pytestmark = pytest.mark.usefixtures("office")

BASE = "http://127.0.0.1:8000"  # the default SURVEY_PUBLIC_URL


def require_tool(name: str, package: str) -> str:
    """A Debian tool the test needs: skipped locally without it, a failure in CI."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("SURVEY_REQUIRE_BROWSER"):
            pytest.fail(f"{name} is required (SURVEY_REQUIRE_BROWSER is set) but was not found")
        pytest.skip(f"{name} is not installed (apt-get install {package})")
    return path


def cli(db_url: str, *args: str, public_url: str = BASE, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "survey.cli", *args],
        env={**os.environ, "DATABASE_URL": db_url, "SURVEY_PUBLIC_URL": public_url},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_codes_are_short_and_free_of_look_alikes() -> None:
    assert not set("0Oo1Iil") & set(ALPHABET)
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(re.fullmatch(f"[{ALPHABET}]{{8}}", code) for code in codes)


def test_cli_creates_lists_and_refuses_links(db_url: str) -> None:
    created = cli(
        db_url,
        "link",
        "add",
        "test-klient",
        "--unit",
        "podatki",
        "--location",
        "Stanowisko 3",
        public_url="https://ankieta.testowo.pl/",
    )
    assert created.returncode == 0, created.stderr
    url = created.stdout.strip()
    assert re.fullmatch(f"https://ankieta.testowo.pl/l/[{ALPHABET}]{{8}}", url), url
    listing = cli(db_url, "link", "list", "test-klient", public_url="https://ankieta.testowo.pl")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout == f"{url}\tpodatki\tStanowisko 3\t0 odpowiedzi\n"

    unknown_survey = cli(db_url, "link", "add", "nie-ma", "--location", "x")
    assert unknown_survey.returncode == 1
    assert "Nie ma ankiety „nie-ma”." in unknown_survey.stderr
    unknown_unit = cli(db_url, "link", "add", "test-klient", "--unit", "kadry")
    assert unknown_unit.returncode == 1
    assert "Urząd tej ankiety nie ma komórki „kadry”." in unknown_unit.stderr
    too_long = cli(db_url, "link", "add", "test-klient", "--location", "x" * 201)
    assert too_long.returncode == 1
    assert "Miejsce może mieć najwyżej 200 znaków." in too_long.stderr
    assert "Traceback" not in unknown_survey.stderr + unknown_unit.stderr + too_long.stderr


async def test_links_belong_to_the_survey_office(conn: asyncpg.Connection[Any]) -> None:
    other = await ensure_organisation(conn, "inny", "Inny urząd")
    await ensure_unit(conn, other, "kadry", "Kadry")
    with pytest.raises(NotFound):
        await create_link(conn, "test-klient", unit_slug="kadry")  # a unit of another office
    with pytest.raises(BadInput):
        await create_link(conn, "test-klient", location="Stanowisko\x073")
    link = await create_link(conn, "test-klient", location="  Sala   obsługi ")
    assert link.location == "Sala obsługi" and link.unit_id is None
    assert link.organisation_name == "Urząd Miasta Testowo"
    assert await find_link(conn, link.code) == link
    for bad in ("nie-ma", "ab", "x" * 40, "ąęśćżźół", "../../etc"):
        with pytest.raises(NotFound):
            await find_link(conn, bad)


async def test_answer_through_a_link_is_attributed(
    client: Any, conn: asyncpg.Connection[Any], office: dict[str, Any]
) -> None:
    link = await create_link(conn, "test-klient", unit_slug="podatki", location="Stanowisko 3")
    page = await client.get(f"/l/{link.code}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.h1.get_text(strip=True) == "Ankieta satysfakcji klienta urzędu"
    form = soup.select_one("form#survey-form")
    assert form["action"] == form["hx-post"] == f"/l/{link.code}"
    hidden = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}

    answers = valid_answers(office["services"]["meldunek"])
    response = await client.post(f"/l/{link.code}", data={**hidden, **answers}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/l/{link.code}/thanks"
    thanks = await client.get(f"/l/{link.code}/thanks")
    assert thanks.status_code == 200 and "Dziękujemy" in thanks.text
    again = BeautifulSoup(thanks.text, "html.parser").find("a", string=re.compile("Wypełnij"))
    assert again["href"] == f"/l/{link.code}"

    row = await conn.fetchrow("SELECT channel, unit_id, link_id, service_type_id FROM response")
    assert dict(row) == {
        "channel": "qr",
        "unit_id": office["units"]["podatki"],
        "link_id": link.id,
        "service_type_id": office["services"]["meldunek"],
    }


async def test_link_without_unit_falls_back_to_the_survey_unit(
    client: Any, conn: asyncpg.Connection[Any], office: dict[str, Any]
) -> None:
    link = await create_link(conn, "test-klient", location="Poczekalnia")
    page = BeautifulSoup((await client.get(f"/l/{link.code}")).text, "html.parser")
    hidden = {i["name"]: i["value"] for i in page.select("form#survey-form input[type=hidden]")}
    response = await client.post(f"/l/{link.code}", data={**hidden, **valid_answers()}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/l/{link.code}/thanks"
    row = await conn.fetchrow("SELECT channel, unit_id, link_id FROM response")
    assert dict(row) == {"channel": "qr", "unit_id": office["units"]["bok"], "link_id": link.id}


async def test_invalid_answer_through_a_link_stays_on_the_link(client: Any, conn: asyncpg.Connection[Any]) -> None:
    link = await create_link(conn, "test-klient")
    page = BeautifulSoup((await client.get(f"/l/{link.code}")).text, "html.parser")
    hidden = {i["name"]: i["value"] for i in page.select("form#survey-form input[type=hidden]")}
    response = await client.post(f"/l/{link.code}", data={**hidden, "uprzejmosc": "9"})
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("form#survey-form")["action"] == f"/l/{link.code}"
    assert "Wybierz jedną z podanych odpowiedzi." in soup.select_one("#uprzejmosc-error").get_text()
    assert await conn.fetchval("SELECT count(*) FROM response") == 0


@pytest.mark.parametrize(
    "path", ["/l/NieMa2345", "/l/NieMa2345/thanks", "/l/NieMa2345/poster.pdf", "/l/%C5%BC%C3%B3%C5%82w", "/l/x"]
)
async def test_unknown_code_is_a_polish_404(client: Any, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "Nie znaleziono strony" in response.text


async def test_post_to_unknown_code_is_a_404(client: Any) -> None:
    page = BeautifulSoup((await client.get("/s/test-klient")).text, "html.parser")
    hidden = {i["name"]: i["value"] for i in page.select("form#survey-form input[type=hidden]")}
    response = await client.post("/l/NieMa2345", data={**hidden, **valid_answers()})
    assert response.status_code == 404 and "Nie znaleziono strony" in response.text


async def test_link_to_a_closed_survey_is_gone(client: Any, conn: asyncpg.Connection[Any]) -> None:
    link = await create_link(conn, "test-klient")
    await conn.execute("UPDATE survey SET is_open = false WHERE slug = 'test-klient'")
    response = await client.get(f"/l/{link.code}")
    assert response.status_code == 410 and "Ankieta zamknięta" in response.text


def _pdf_text(pdf: Path) -> str:
    pdftotext = require_tool("pdftotext", "poppler-utils")
    return subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def _pdf_info(pdf: Path) -> str:
    pdfinfo = require_tool("pdfinfo", "poppler-utils")
    return subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True, text=True).stdout


def _decode_qr(pdf: Path) -> str:
    """Render the page as a scanner would see it and decode the QR code in it."""
    pdftoppm = require_tool("pdftoppm", "poppler-utils")
    zbarimg = require_tool("zbarimg", "zbar-tools")
    png = pdf.with_suffix("")
    subprocess.run([pdftoppm, "-png", "-r", "72", "-singlefile", str(pdf), str(png)], check=True)
    result = subprocess.run([zbarimg, "--quiet", "--raw", str(pdf.with_suffix(".png"))], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


async def test_poster_pdf_from_the_web(client: Any, conn: asyncpg.Connection[Any], tmp_path: Path) -> None:
    link = await create_link(conn, "test-klient", unit_slug="podatki", location="Stanowisko 3")
    response = await client.get(f"/l/{link.code}/poster.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="plakat-{link.code}.pdf"'
    assert response.content.startswith(b"%PDF-")
    pdf = tmp_path / "plakat.pdf"
    pdf.write_bytes(response.content)
    url = f"{BASE}/l/{link.code}"

    text = _pdf_text(pdf)
    for line in (
        "Urząd Miasta Testowo",
        "Wydział Podatków",
        "Stanowisko 3",
        "Oceń naszą obsługę",
        "Zeskanuj kod telefonem",
        "Ankieta jest anonimowa.",
        url,
    ):
        assert line in text, text
    info = _pdf_info(pdf)
    assert "Title:           Oceń naszą obsługę – Urząd Miasta Testowo" in info
    assert re.search(r"^Pages:\s+1$", info, re.M) and "595.28 x 841.89 pts (A4)" in info
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert b"/Lang (pl)" in response.content
    assert _decode_qr(pdf) == url


def test_poster_from_the_cli(db_url: str, tmp_path: Path) -> None:
    created = cli(
        db_url,
        "link",
        "add",
        "test-klient",
        "--unit",
        "bok",
        "--location",
        "Sala obsługi, parter",
        public_url="https://ankieta.testowo.pl",
    )
    url = created.stdout.strip()
    code = url.rsplit("/", 1)[1]
    out = tmp_path / "plakat.pdf"
    written = cli(db_url, "link", "poster", code, "-o", str(out), public_url="https://ankieta.testowo.pl")
    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == f"Plakat zapisano w pliku {out}."
    text = _pdf_text(out)
    assert "Oceń naszą obsługę" in text and "Biuro Obsługi Klienta" in text and url in text
    assert _decode_qr(out) == url

    default = cli(db_url, "link", "poster", code, cwd=tmp_path)
    assert default.returncode == 0 and (tmp_path / f"plakat-{code}.pdf").is_file()
    unknown = cli(db_url, "link", "poster", "NieMa2345", "-o", str(tmp_path / "x.pdf"))
    assert unknown.returncode == 1
    assert "Nie ma linku o kodzie „NieMa2345”." in unknown.stderr
    assert not (tmp_path / "x.pdf").exists()
