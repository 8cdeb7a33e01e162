"""The questionnaire file format, decoded and validated with msgspec.

A questionnaire is a TOML file (documented in ``docs/questionnaire-format.md``)::

    slug = "klient-urzedu"
    audience = "resident"
    languages = ["pl", "en"]
    title = { pl = "Badanie satysfakcji klientów", en = "Customer satisfaction survey" }

    [[items]]
    id = "uprzejmosc"
    type = "rating"
    scale = "satisfaction5"
    not_applicable = true
    text = { pl = "Uprzejmość pracowników", en = "Courtesy of staff" }

msgspec stops at the first error, so :func:`parse_questionnaire` validates the
file part by part (the header, then every item on its own, then the rules that
span items) and reports every error with where it is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from survey.questionnaires.scales import BUILTIN_SCALES, NOT_APPLICABLE, Scale

Text = dict[str, str]
ItemType = Literal["rating", "smiley", "nps", "single_choice", "multiple_choice", "text", "service_type"]
_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
KNOWN_LANGUAGES = ("pl", "en", "uk")


class Option(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: int
    label: Text


class Item(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    id: str
    type: ItemType
    text: Text
    help: Text | None = None
    required: bool = False
    scale: str | None = None
    """Name of a built-in scale or of one in the file's ``[scales]`` table."""
    not_applicable: bool = False
    """Offer "nie dotyczy / brak opinii" (stored as code -1, never counted in denominators)."""
    options: list[Option] | None = None
    max_length: int = 1000
    group: Text | None = None
    """Heading under which the item is shown (e.g. "Metryczka")."""


class Questionnaire(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    slug: str
    audience: Literal["resident", "employee"]
    title: Text
    languages: list[str] = msgspec.field(default_factory=lambda: ["pl"])
    intro: Text | None = None
    thanks: Text | None = None
    scales: dict[str, Scale] = {}
    items: list[Item]

    def scale_of(self, item: Item) -> Scale | None:
        """The resolved scale of a rating, smiley or NPS item."""
        if item.type == "nps":
            return BUILTIN_SCALES["recommend11"]
        if item.scale is None:
            return None
        return self.scales.get(item.scale) or BUILTIN_SCALES.get(item.scale)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire file, and where."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class QuestionnaireInvalid(ValueError):
    """A questionnaire file was refused; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _msgspec_problem(where: str, error: msgspec.ValidationError) -> Problem:
    message = str(error)
    match = re.search(r" - at `\$(.*)`$", message)
    if match:
        path = match[1].lstrip(".")
        message = message[: match.start()]
        return Problem(f"{where}, field `{path}`" if path else where, message)
    return Problem(where, message)


def _check_text(problems: list[Problem], where: str, text: Text | None, languages: list[str]) -> None:
    if text is None:
        return
    for lang in languages:
        if not text.get(lang, "").strip():
            problems.append(Problem(where, f"missing text in language '{lang}'"))
    for lang in text:
        if lang not in languages:
            problems.append(Problem(where, f"text in language '{lang}', which is not in `languages`"))


def _check_item(problems: list[Problem], q: Questionnaire, item: Item, where: str, seen: set[str]) -> None:
    langs = q.languages
    if not _ID.match(item.id):
        problems.append(Problem(where, "`id` must be lower-case letters, digits and _ (starting with a letter)"))
    if item.id in seen:
        problems.append(Problem(where, f"duplicate item id '{item.id}'"))
    seen.add(item.id)
    _check_text(problems, f"{where}, field `text`", item.text, langs)
    _check_text(problems, f"{where}, field `help`", item.help, langs)
    _check_text(problems, f"{where}, field `group`", item.group, langs)
    if item.type in ("rating", "smiley"):
        if item.scale is None:
            problems.append(Problem(f"{where}, field `scale`", f"a {item.type} item needs a scale"))
        elif q.scale_of(item) is None:
            known = ", ".join(sorted({*BUILTIN_SCALES, *q.scales}))
            problems.append(Problem(f"{where}, field `scale`", f"unknown scale '{item.scale}' (known: {known})"))
        else:
            scale = q.scale_of(item)
            assert scale is not None
            if item.type == "smiley" and scale.kind != "smiley":
                problems.append(Problem(f"{where}, field `scale`", "a smiley item needs a smiley scale"))
    elif item.scale is not None and item.type != "nps":
        problems.append(Problem(f"{where}, field `scale`", f"a {item.type} item takes no scale"))
    if item.type in ("single_choice", "multiple_choice"):
        if not item.options:
            problems.append(Problem(f"{where}, field `options`", "a choice item needs at least two options"))
        else:
            if len(item.options) < 2:
                problems.append(Problem(f"{where}, field `options`", "a choice item needs at least two options"))
            codes = [o.code for o in item.options]
            if len(set(codes)) != len(codes):
                problems.append(Problem(f"{where}, field `options`", "option codes must be unique"))
            for k, option in enumerate(item.options):
                if not 1 <= option.code <= 999:
                    problems.append(Problem(f"{where}, field `options[{k}].code`", "codes run from 1 to 999"))
                _check_text(problems, f"{where}, field `options[{k}].label`", option.label, langs)
    elif item.options is not None:
        problems.append(Problem(f"{where}, field `options`", f"a {item.type} item takes no options"))
    if item.not_applicable and item.type not in ("rating", "smiley", "nps", "single_choice"):
        problems.append(Problem(f"{where}, field `not_applicable`", f"not offered on a {item.type} item"))
    if item.type == "text" and not 1 <= item.max_length <= 4000:
        problems.append(Problem(f"{where}, field `max_length`", "must be between 1 and 4000"))


def _check_scale(problems: list[Problem], name: str, scale: Scale, languages: list[str]) -> None:
    where = f"scales.{name}"
    if name in BUILTIN_SCALES:
        problems.append(Problem(where, "this name is a built-in scale; choose another"))
    if scale.kind not in ("verbal", "smiley", "numeric"):
        problems.append(Problem(f"{where}, field `kind`", "must be verbal, smiley or numeric"))
    if not (0 <= scale.min < scale.max <= 10):
        problems.append(Problem(where, "codes must satisfy 0 <= min < max <= 10"))
        return
    for lang in languages:
        labels = scale.labels.get(lang)
        if labels is None:
            problems.append(Problem(f"{where}, field `labels`", f"missing labels in language '{lang}'"))
        elif len(labels) != scale.points and not (scale.kind == "numeric" and len(labels) == 2):
            problems.append(
                Problem(f"{where}, field `labels.{lang}`", f"expected {scale.points} labels, got {len(labels)}")
            )
    for key, codes in (("top", scale.top), ("bottom", scale.bottom)):
        bad = [c for c in codes if not scale.min <= c <= scale.max]
        if bad:
            problems.append(Problem(f"{where}, field `{key}`", f"codes {bad} are outside {scale.min}..{scale.max}"))
    if set(scale.top) & set(scale.bottom):
        problems.append(Problem(where, "a code cannot be in both the top and the bottom box"))


_HEADER_FALLBACKS: dict[str, Any] = {"slug": "invalid", "audience": "resident", "title": {}}


def _convert_header(raw: dict[str, Any], problems: list[Problem]) -> Questionnaire:
    """Convert the header field by field so that every bad field is reported."""
    header: dict[str, Any] = {"items": [], "scales": {}}
    fields = {f.name: f for f in msgspec.structs.fields(Questionnaire)}
    for key, value in raw.items():
        if key in ("items", "scales"):
            continue
        field = fields.get(key)
        if field is None:
            problems.append(Problem("questionnaire", f"unknown field `{key}`"))
            continue
        try:
            header[key] = msgspec.convert(value, field.type)
        except msgspec.ValidationError as exc:
            problems.append(_msgspec_problem(f"questionnaire, field `{key}`", exc))
    for name, fallback in _HEADER_FALLBACKS.items():
        if name not in header:
            if name not in raw:
                problems.append(Problem(f"questionnaire, field `{name}`", "required field is missing"))
            header[name] = fallback
    return msgspec.convert(header, Questionnaire)


def parse_questionnaire(source: str | bytes, *, name: str = "questionnaire") -> Questionnaire:
    """Decode and validate a questionnaire; raise :class:`QuestionnaireInvalid` with every problem."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QuestionnaireInvalid([Problem(name, f"not UTF-8 text ({exc.reason})")]) from None
    try:
        raw: dict[str, Any] = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireInvalid([Problem(name, f"not valid TOML: {exc}")]) from None
    return questionnaire_from_dict(raw)


def questionnaire_from_dict(raw: dict[str, Any]) -> Questionnaire:
    """Validate an already decoded questionnaire (TOML or the stored JSON definition)."""
    problems: list[Problem] = []
    raw_items = raw.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        problems.append(Problem("items", "at least one [[items]] entry is required"))
        raw_items = []
    items: list[Item] = []
    for index, raw_item in enumerate(raw_items):
        label = raw_item.get("id") if isinstance(raw_item, dict) else None
        where = f"items[{index}]" + (f" (id '{label}')" if isinstance(label, str) else "")
        try:
            items.append(msgspec.convert(raw_item, Item))
        except msgspec.ValidationError as exc:
            problems.append(_msgspec_problem(where, exc))
    raw_scales = raw.get("scales", {})
    scales: dict[str, Scale] = {}
    if isinstance(raw_scales, dict):
        for name, raw_scale in raw_scales.items():
            try:
                scales[name] = msgspec.convert(raw_scale, Scale)
            except msgspec.ValidationError as exc:
                problems.append(_msgspec_problem(f"scales.{name}", exc))
    q = msgspec.structs.replace(_convert_header(raw, problems), items=items, scales=scales)
    if not _SLUG.match(q.slug):
        problems.append(Problem("questionnaire, field `slug`", "lower-case letters, digits and -, 2 to 63 characters"))
    unknown = [lang for lang in q.languages if lang not in KNOWN_LANGUAGES]
    if unknown:
        problems.append(Problem("questionnaire, field `languages`", f"unsupported languages {unknown}"))
    if "pl" not in q.languages:
        problems.append(Problem("questionnaire, field `languages`", "Polish ('pl') is required"))
    for field_name in ("title", "intro", "thanks"):
        _check_text(problems, f"questionnaire, field `{field_name}`", getattr(q, field_name), q.languages)
    for name, scale in scales.items():
        _check_scale(problems, name, scale, q.languages)
    seen: set[str] = set()
    for index, item in enumerate(items):
        _check_item(problems, q, item, f"items[{index}] (id '{item.id}')", seen)
    if sum(1 for item in items if item.type == "service_type") > 1:
        problems.append(Problem("items", "at most one service_type item"))
    if problems:
        raise QuestionnaireInvalid(problems)
    return q


def to_toml(q: Questionnaire) -> str:
    """The questionnaire as a TOML file that :func:`parse_questionnaire` reads back unchanged."""
    import tomli_w

    data = msgspec.to_builtins(q)
    items = data.pop("items")
    data["items"] = items
    return tomli_w.dumps(data)


__all__ = [
    "NOT_APPLICABLE",
    "Item",
    "Option",
    "Problem",
    "Questionnaire",
    "QuestionnaireInvalid",
    "parse_questionnaire",
    "questionnaire_from_dict",
    "to_toml",
]
