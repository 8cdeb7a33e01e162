"""Turn a posted form into a validated submission, collecting every error at once.

Structural problems that a real form cannot produce (unknown fields, a field
repeated, a missing or malformed idempotency key) are refused as a whole with
:class:`~survey.errors.BadInput`. Answer problems (a required question left
empty, a value outside its scale, a comment too long) come back as a mapping
from item id to a message in the respondent's language, so the form can be
shown again with every error next to its question.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from survey.collection.abuse import HONEYPOT, STAMP
from survey.errors import BadInput
from survey.i18n import gettext as _
from survey.i18n import ngettext
from survey.questionnaires.model import NOT_APPLICABLE, Item, Questionnaire

CONTROL_FIELDS = frozenset({"idempotency_key", "_csrf_token", "lang", "questionnaire_version", HONEYPOT, STAMP})
"""Form fields that are not answers."""


@dataclass
class Submission:
    """A validated response, ready to store."""

    idempotency_key: uuid.UUID
    values: dict[str, list[int]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    service_type_id: int | None = None


@dataclass
class FormResult:
    submission: Submission | None
    errors: dict[str, str]
    values: dict[str, list[str]]
    """What the respondent sent, to fill the form again."""
    idempotency_key: uuid.UUID
    """Kept when the form is shown again, so a later resubmission is still one response."""


def _clean_text(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").strip()
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def _allowed_codes(q: Questionnaire, item: Item, service_types: Sequence[int]) -> set[int]:
    if item.type == "service_type":
        return set(service_types)
    scale = q.scale_of(item)
    codes = set(scale.codes) if scale else {o.code for o in item.options or []}
    if item.not_applicable:
        codes.add(NOT_APPLICABLE)
    return codes


def parse_idempotency_key(raw: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        raise BadInput("idempotency_key must be a UUID") from None


def validate_form(
    q: Questionnaire, form: Mapping[str, Sequence[str]], *, service_types: Sequence[int] = ()
) -> FormResult:
    """Validate ``form`` (field name → every value sent) against the questionnaire."""
    item_ids = {item.id for item in q.items}
    unknown = sorted(name for name in form if name not in item_ids and name not in CONTROL_FIELDS)
    if unknown:
        raise BadInput(f"unknown fields: {', '.join(unknown[:10])}")
    for name in CONTROL_FIELDS:
        if len(form.get(name, ())) > 1:
            raise BadInput(f"field {name} sent more than once")
    key = parse_idempotency_key(next(iter(form.get("idempotency_key", ())), None))

    submission = Submission(idempotency_key=key)
    errors: dict[str, str] = {}
    values = {name: list(vals) for name, vals in form.items() if name in item_ids}
    for item in q.items:
        sent = [v for v in form.get(item.id, ()) if v != ""]
        if item.type != "multiple_choice" and len(sent) > 1:
            raise BadInput(f"field {item.id} sent more than once")
        if item.type == "text":
            text = _clean_text(sent[0]) if sent else ""
            if len(text) > item.max_length:
                errors[item.id] = ngettext(
                    "The answer can have at most %(num)d character.",
                    "The answer can have at most %(num)d characters.",
                    item.max_length,
                )
            elif text:
                submission.texts[item.id] = text
            elif item.required:
                errors[item.id] = _("This question is required.")
            continue
        if not sent:
            if item.required:
                errors[item.id] = _("This question is required.")
            continue
        allowed = _allowed_codes(q, item, service_types)
        try:
            codes = sorted({int(v) for v in sent})
        except ValueError:
            errors[item.id] = _("Choose one of the answers given.")
            continue
        if any(code not in allowed for code in codes):
            errors[item.id] = _("Choose one of the answers given.")
            continue
        if item.type == "service_type":
            submission.service_type_id = codes[0]
        else:
            submission.values[item.id] = codes
    return FormResult(submission=None if errors else submission, errors=errors, values=values, idempotency_key=key)
