"""Catalogs, Polish plurals and Polish number and date formats."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from survey import i18n

ROOT = Path(__file__).resolve().parents[2]


def _extract(tmp_path: Path) -> set[str]:
    """Run the same extraction as the catalog workflow (docs/translations.md)."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "_",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "--omit-header",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_ui_string_is_translated(tmp_path: Path, language: str) -> None:
    wanted = _extract(tmp_path)
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=language)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(wanted - translated)
    assert not missing, f"strings missing from locales/{language}: {missing}"


def test_polish_plural_forms() -> None:
    i18n.set_language("pl")
    forms = {
        n: i18n.ngettext("%(count)s response.", "%(count)s responses.", n, count=n)
        for n in (1, 2, 4, 5, 12, 22, 25, 101, 112)
    }
    assert forms == {
        1: "1 odpowiedź.",
        2: "2 odpowiedzi.",
        4: "4 odpowiedzi.",
        5: "5 odpowiedzi.",
        12: "12 odpowiedzi.",
        22: "22 odpowiedzi.",
        25: "25 odpowiedzi.",
        101: "101 odpowiedzi.",
        112: "112 odpowiedzi.",
    }
    months = [i18n.ngettext("last %(num)d month", "last %(num)d months", n) for n in (1, 3, 12, 24)]
    assert months == ["ostatni 1 miesiąc", "ostatnie 3 miesiące", "ostatnie 12 miesięcy", "ostatnie 24 miesiące"]


def test_polish_numbers_and_dates() -> None:
    i18n.set_language("pl")
    assert i18n.fmt_number(4.25) == "4,25"
    assert i18n.fmt_number(1234567, 0) == "1\xa0234\xa0567"
    assert i18n.fmt_percent(0.853) == "85%"
    assert i18n.fmt_date(date(2026, 11, 22)) == "22 listopada 2026"
    assert i18n.fmt_month(date(2026, 3, 1)) == "marzec 2026"
    i18n.set_language("en")
    assert i18n.fmt_number(4.25) == "4.25"
    i18n.set_language("pl")


def test_language_choice_order() -> None:
    assert i18n.pick_language("en", "uk", "pl") == "en"
    assert i18n.pick_language(None, "uk", "en") == "uk"
    assert i18n.pick_language(None, None, "de-DE,en;q=0.8,pl;q=0.9") == "pl"
    assert i18n.pick_language("xx", None, None) == "pl"


RESIDENT_FILES = [
    "templates/base.html",
    "templates/error.html",
    "templates/home.html",
    "templates/accessibility.html",
    "templates/components/fields.html",
    "templates/public/_form.html",
    "templates/public/form.html",
    "templates/public/thanks.html",
    "templates/kiosk/kiosk.html",
    "templates/kiosk/thanks.html",
    "templates/staff/code.html",
    "templates/staff/form.html",
    "templates/staff/_form.html",
    "templates/staff/retry.html",
    "templates/staff/thanks.html",
]
RESIDENT_PYTHON = ["survey/collection/form.py", "survey/app.py"]


def test_every_string_a_resident_reads_is_in_ukrainian() -> None:
    """Respondent pages are trilingual; staff-only pages may stay Polish and English."""
    from babel.messages.extract import extract_from_file

    wanted: set[str] = set()
    for path in RESIDENT_FILES:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2",
            ROOT / path,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
            options={"extensions": "jinja2.ext.i18n", "trimmed": "true"},
        ):
            wanted.add(message if isinstance(message, str) else message[0])
    for path in RESIDENT_PYTHON:
        for _line, message, _comments, _context in extract_from_file(
            "python", ROOT / path, keywords={"_": None, "N_": None, "ngettext": (1, 2)}
        ):
            wanted.add(message if isinstance(message, str) else message[0])
    with (ROOT / "locales" / "uk" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="uk")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    assert sorted(wanted - translated) == []


def test_ukrainian_form_uses_ukrainian_interface() -> None:
    i18n.set_language("uk")
    assert i18n.gettext("Send answers") == "Надіслати відповіді"
    assert [
        i18n.ngettext("%(num)d answer needs correcting", "%(num)d answers need correcting", n) for n in (1, 3, 5, 21)
    ] == [
        "1 відповідь потребує виправлення",
        "3 відповіді потребують виправлення",
        "5 відповідей потребують виправлення",
        "21 відповідь потребує виправлення",
    ]
    i18n.set_language("pl")
