"""Built-in answer scales with their labels in Polish, English and Ukrainian.

A scale fixes the codes stored in the database, which codes form the top and
bottom box, and the labels shown to respondents. "Nie dotyczy / brak opinii"
is never a scale point: it is stored as :data:`NOT_APPLICABLE` and kept out of
every denominator.
"""

from __future__ import annotations

import msgspec

NOT_APPLICABLE = -1
"""The stored code of "nie dotyczy / brak opinii"."""

NOT_APPLICABLE_LABEL = {
    "pl": "nie dotyczy / brak opinii",
    "en": "not applicable / no opinion",
    "uk": "не стосується / немає думки",
}


class Scale(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An ordered answer scale. Codes run from ``min`` to ``max``."""

    kind: str = "verbal"
    """``verbal``, ``smiley`` or ``numeric`` (how the form draws it)."""
    min: int = 1
    max: int
    labels: dict[str, list[str]] = {}
    """Per language, one label per point from ``min`` to ``max`` (numeric scales
    may give only the two end labels)."""
    top: list[int] = []
    bottom: list[int] = []

    @property
    def points(self) -> int:
        return self.max - self.min + 1

    @property
    def codes(self) -> list[int]:
        return list(range(self.min, self.max + 1))


def _scale(kind: str, lo: int, hi: int, top: list[int], bottom: list[int], **labels: list[str]) -> Scale:
    return Scale(kind=kind, min=lo, max=hi, top=top, bottom=bottom, labels=labels)


BUILTIN_SCALES: dict[str, Scale] = {
    "satisfaction5": _scale(
        "verbal",
        1,
        5,
        [4, 5],
        [1, 2],
        pl=["bardzo źle", "źle", "przeciętnie", "dobrze", "bardzo dobrze"],
        en=["very poor", "poor", "fair", "good", "very good"],
        uk=["дуже погано", "погано", "посередньо", "добре", "дуже добре"],
    ),
    "satisfaction4": _scale(
        "verbal",
        1,
        4,
        [3, 4],
        [1, 2],
        pl=["bardzo niezadowolony", "raczej niezadowolony", "raczej zadowolony", "bardzo zadowolony"],
        en=["very dissatisfied", "rather dissatisfied", "rather satisfied", "very satisfied"],
        uk=["дуже незадоволений", "скоріше незадоволений", "скоріше задоволений", "дуже задоволений"],
    ),
    "agreement4": _scale(
        "verbal",
        1,
        4,
        [3, 4],
        [1, 2],
        pl=["nie", "raczej nie", "raczej tak", "tak"],
        en=["no", "rather no", "rather yes", "yes"],
        uk=["ні", "скоріше ні", "скоріше так", "так"],
    ),
    "agreement5": _scale(
        "verbal",
        1,
        5,
        [4, 5],
        [1, 2],
        pl=["zdecydowanie nie", "raczej nie", "ani tak, ani nie", "raczej tak", "zdecydowanie tak"],
        en=["strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree"],
        uk=["категорично ні", "скоріше ні", "ні так, ні ні", "скоріше так", "категорично так"],
    ),
    "satisfaction7": _scale(
        "numeric",
        1,
        7,
        [6, 7],
        [1, 2],
        pl=["zdecydowanie niezadowolony", "zdecydowanie zadowolony"],
        en=["completely dissatisfied", "completely satisfied"],
        uk=["цілком незадоволений", "цілком задоволений"],
    ),
    "smiley3": _scale(
        "smiley",
        1,
        3,
        [3],
        [1],
        pl=["niezadowolony", "neutralnie", "zadowolony"],
        en=["unhappy", "neutral", "happy"],
        uk=["незадоволений", "нейтрально", "задоволений"],
    ),
    "smiley4": _scale(
        "smiley",
        1,
        4,
        [3, 4],
        [1, 2],
        pl=["bardzo niezadowolony", "niezadowolony", "zadowolony", "bardzo zadowolony"],
        en=["very unhappy", "unhappy", "happy", "very happy"],
        uk=["дуже незадоволений", "незадоволений", "задоволений", "дуже задоволений"],
    ),
    "smiley5": _scale(
        "smiley",
        1,
        5,
        [4, 5],
        [1, 2],
        pl=["bardzo niezadowolony", "niezadowolony", "neutralnie", "zadowolony", "bardzo zadowolony"],
        en=["very unhappy", "unhappy", "neutral", "happy", "very happy"],
        uk=["дуже незадоволений", "незадоволений", "нейтрально", "задоволений", "дуже задоволений"],
    ),
    "recommend11": _scale(
        "numeric",
        0,
        10,
        [9, 10],
        [0, 1, 2, 3, 4, 5, 6],
        pl=["zdecydowanie nie poleciłbym", "zdecydowanie poleciłbym"],
        en=["not at all likely", "extremely likely"],
        uk=["точно не порекомендував би", "точно порекомендував би"],
    ),
}
"""Scales every questionnaire may name without defining them."""
