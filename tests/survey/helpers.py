"""Helpers for driving the public form in tests."""

from __future__ import annotations

import uuid
from typing import Any

from bs4 import BeautifulSoup


async def open_form(client: Any, slug: str, **params: str) -> tuple[BeautifulSoup, dict[str, str]]:
    """GET the form; return the parsed page and its hidden control fields."""
    response = await client.get(f"/s/{slug}", params=params)
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    hidden = {i["name"]: i["value"] for i in soup.select("form#survey-form input[type=hidden]")}
    return soup, hidden


def valid_answers(service_type_id: int | None = None) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "czas_oczekiwania": "4",
        "uprzejmosc": "5",
        "kompetencje": "5",
        "zrozumialosc": "-1",
        "ocena_ogolna": "5",
        "polecenie": "9",
        "komentarz": "Bardzo sprawna obsługa, dziękuję!",
        "wiek": "2",
    }
    if service_type_id is not None:
        answers["rodzaj_sprawy"] = str(service_type_id)
    return answers


def new_key() -> str:
    return str(uuid.uuid4())
