"""The questionnaire file format, the built-in library and frozen published versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest

from survey.questionnaires.model import QuestionnaireInvalid, parse_questionnaire, to_toml
from survey.questionnaires.store import find_version, import_questionnaire, latest_published, publish
from survey.setup import LIBRARY_DIR

LIBRARY = sorted(LIBRARY_DIR.glob("*.toml"))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_library_questionnaires_are_valid_and_round_trip(path: Path) -> None:
    q = parse_questionnaire(path.read_text(encoding="utf-8"))
    assert q.languages == ["pl", "en", "uk"]
    assert parse_questionnaire(to_toml(q)) == q


def test_resident_questionnaire_covers_the_core_dimensions() -> None:
    q = parse_questionnaire((LIBRARY_DIR / "klient-urzedu.toml").read_text(encoding="utf-8"))
    ids = [item.id for item in q.items]
    for wanted in (
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
        "rodzaj_sprawy",
    ):
        assert wanted in ids
    employee = parse_questionnaire((LIBRARY_DIR / "pracownik.toml").read_text(encoding="utf-8"))
    assert {
        "wynagrodzenie",
        "rozwoj",
        "przelozony",
        "atmosfera",
        "obciazenie",
        "warunki_pracy",
        "komunikacja",
        "ocena_ogolna",
        "enps",
    } <= {item.id for item in employee.items}
    kiosk = parse_questionnaire((LIBRARY_DIR / "kiosk-buzka.toml").read_text(encoding="utf-8"))
    assert [item.type for item in kiosk.items] == ["smiley", "multiple_choice", "text"]


BAD = """
slug = "Zła nazwa"
audience = "citizen"
languages = ["pl"]
title = { pl = "Ankieta" }
colour = "red"

[[items]]
id = "a"
type = "rating"
scale = "nie-ma-takiej"
text = { pl = "Pytanie A" }

[[items]]
id = "a"
type = "single_choice"
text = { en = "Question B" }

[[items]]
id = "c"
type = "rating"
scale = 5
text = { pl = "Pytanie C" }

[scales.moja]
max = 3
labels = { pl = ["nie", "tak"] }
top = [4]
"""


def test_invalid_file_reports_every_problem_with_its_place() -> None:
    with pytest.raises(QuestionnaireInvalid) as info:
        parse_questionnaire(BAD)
    problems = [str(p) for p in info.value.problems]
    expected = [
        "items[2] (id 'c'), field `scale`: Expected `str | null`, got `int`",
        "questionnaire, field `audience`: Invalid enum value 'citizen'",
        "questionnaire: unknown field `colour`",
        "questionnaire, field `slug`: lower-case letters, digits and -, 2 to 63 characters",
        "scales.moja, field `labels.pl`: expected 3 labels, got 2",
        "scales.moja, field `top`: codes [4] are outside 1..3",
        "items[0] (id 'a'), field `scale`: unknown scale 'nie-ma-takiej' (known: agreement4, agreement5, "
        "moja, recommend11, satisfaction4, satisfaction5, satisfaction7, smiley3, smiley4, smiley5)",
        "items[1] (id 'a'): duplicate item id 'a'",
        "items[1] (id 'a'), field `text`: missing text in language 'pl'",
        "items[1] (id 'a'), field `text`: text in language 'en', which is not in `languages`",
        "items[1] (id 'a'), field `options`: a choice item needs at least two options",
    ]
    assert problems == expected


def test_non_toml_is_refused_with_the_reason() -> None:
    with pytest.raises(QuestionnaireInvalid, match="not valid TOML"):
        parse_questionnaire("slug = ")
    with pytest.raises(QuestionnaireInvalid, match="not UTF-8"):
        parse_questionnaire(b"\xff\xfe")


async def test_publish_freezes_and_changes_make_a_new_version(conn: asyncpg.Connection[Any]) -> None:
    source = (LIBRARY_DIR / "kiosk-buzka.toml").read_text(encoding="utf-8")
    current = await latest_published(conn, "kiosk-buzka")
    assert current.version == 1 and current.status == "published"
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="frozen"):
        await conn.execute("UPDATE questionnaire_version SET definition = '{}' WHERE id = $1", current.version_id)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="frozen"):
        await conn.execute("DELETE FROM item WHERE questionnaire_version_id = $1", current.version_id)

    same = await import_questionnaire(conn, parse_questionnaire(source))
    assert same.version_id == current.version_id  # identical file: nothing new

    changed = parse_questionnaire(source.replace("Komentarz (opcjonalnie", "Twój komentarz (opcjonalnie"))
    draft = await import_questionnaire(conn, changed)
    assert (draft.version, draft.status) == (2, "draft")
    assert (await latest_published(conn, "kiosk-buzka")).version == 1  # respondents still see v1
    published = await publish(conn, "kiosk-buzka")
    assert (published.version, published.status) == (2, "published")
    exported = await find_version(conn, "kiosk-buzka@1")
    assert exported.questionnaire == parse_questionnaire(source)


async def test_items_carry_scale_metadata_for_aggregation(conn: asyncpg.Connection[Any]) -> None:
    rows = {
        r["code"]: r
        for r in await conn.fetch(
            """SELECT i.* FROM item i JOIN questionnaire_version v ON v.id = i.questionnaire_version_id
           JOIN questionnaire q ON q.id = v.questionnaire_id WHERE q.slug = 'klient-urzedu'"""
        )
    }
    assert (rows["uprzejmosc"]["scale_min"], rows["uprzejmosc"]["scale_max"]) == (1, 5)
    assert rows["uprzejmosc"]["top_codes"] == [4, 5] and rows["uprzejmosc"]["bottom_codes"] == [1, 2]
    assert rows["uprzejmosc"]["not_applicable_code"] == -1
    assert rows["ocena_ogolna"]["not_applicable_code"] is None and rows["ocena_ogolna"]["required"]
    assert rows["polecenie"]["top_codes"] == [9, 10] and rows["polecenie"]["bottom_codes"] == list(range(7))
    assert msgspec.json.encode(rows["komentarz"]["kind"]) == b'"text"'
