"""The ``survey`` command line against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from survey.setup import LIBRARY_DIR


def survey(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "survey.cli", *args],
        env={**os.environ, "DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.usefixtures("office")
def test_import_export_round_trip(db_url: str, tmp_path: Path) -> None:
    source = (LIBRARY_DIR / "kiosk-buzka.toml").read_text(encoding="utf-8")
    changed = tmp_path / "kiosk.toml"
    changed.write_text(source.replace("Dziękujemy za ocenę!", "Dziękujemy bardzo!"), encoding="utf-8")
    imported = survey(db_url, "questionnaire", "import", str(changed), "--publish")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "kiosk-buzka version 2 (published), 3 items"
    exported = survey(db_url, "questionnaire", "export", "kiosk-buzka")
    assert exported.returncode == 0 and 'pl = "Dziękujemy bardzo!"' in exported.stdout
    listing = survey(db_url, "questionnaire", "list").stdout
    assert "kiosk-buzka@1\tpublished" in listing and "kiosk-buzka@2\tpublished" in listing


def test_invalid_file_is_refused_with_every_problem(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'slug = "x"\naudience = "resident"\ntitle = { pl = "T" }\n'
        '[[items]]\nid = "A"\ntype = "rating"\ntext = { pl = "?" }\n'
    )
    result = survey(db_url, "questionnaire", "import", str(bad))
    assert result.returncode == 1
    assert "refused, 3 problem(s)" in result.stderr
    assert "questionnaire, field `slug`" in result.stderr
    assert "items[0] (id 'A'): `id` must be lower-case" in result.stderr
    assert "items[0] (id 'A'), field `scale`: a rating item needs a scale" in result.stderr


def test_export_of_unknown_questionnaire_fails_cleanly(db_url: str) -> None:
    result = survey(db_url, "questionnaire", "export", "nie-ma")
    assert result.returncode == 1 and "no questionnaire 'nie-ma'" in result.stderr
