"""Paper questionnaires (channel ``paper``, device ``paper``): re-keying screen and CSV import.

A clerk types each paper form on ``/paper/<slug>``: one short text field per
question, in the paper order, holding the answer's code (``1``–``5``, ``n``
or ``0`` for "nie dotyczy", empty for no answer). Offices that collect many
forms type them into a spreadsheet instead and import it (``survey paper
import`` or ``/paper/<slug>/import``). Both paths convert the typed codes into
the field values :func:`~survey.collection.form.validate_form` expects and
store through :func:`~survey.collection.store.store_response`, so paper
answers are counted exactly like web answers.

A respondent may skip a question on paper that the web form requires; the
clerk copies the paper as it is, so ``required`` is not enforced here (an
empty form is refused). The response's time is the day written on the form
(midnight, Polish time).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from survey.collection.form import Submission, validate_form
from survey.collection.store import SurveyInfo, open_survey, store_response
from survey.collection.web import MAX_FORM_BYTES, Attribution, read_form
from survey.db.pool import acquire
from survey.errors import BadInput
from survey.i18n import current_language, localized, ngettext
from survey.i18n import gettext as _
from survey.questionnaires.model import NOT_APPLICABLE, Item, Questionnaire
from survey.questionnaires.scales import NOT_APPLICABLE_LABEL
from survey.web import page

WARSAW = ZoneInfo("Europe/Warsaw")
ATTRIBUTION = Attribution(channel="paper", device="paper")
LANGUAGE = "pl"
"""Paper forms are printed in Polish."""
DATE_FIELD, UNIT_FIELD = "data", "komorka"
MAX_AGE_DAYS = 2 * 366
"""A paper form may be dated at most about two years back (what the results pages show)."""
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "survey:paper-import")
_SPLIT = re.compile(r"[\s,;]+")


# --- what the clerk types ----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One input of the screen (one column of the CSV): a questionnaire item and its codes."""

    item: Item
    number: int
    legend: list[tuple[str, str]]
    """(what to type, what it means), shown next to the input."""
    codes: dict[str, int]
    """Typed code → stored code."""
    multiple: bool = False

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def is_text(self) -> bool:
        return self.item.type == "text"


def paper_fields(q: Questionnaire, service_types: Mapping[int, str]) -> list[Field]:
    """The inputs in paper order. Service types are numbered 1, 2, … as the form lists them."""
    fields = []
    for number, item in enumerate(q.items, start=1):
        legend: list[tuple[str, str]] = []
        if item.type == "text":
            pass
        elif item.type == "service_type":
            if not service_types:
                continue
            legend = [(str(k), name) for k, name in enumerate(service_types.values(), start=1)]
        elif item.type in ("single_choice", "multiple_choice"):
            legend = [(str(o.code), localized(o.label)) for o in item.options or []]
        else:
            scale = q.scale_of(item)
            assert scale is not None
            labels = scale.labels.get(current_language()) or scale.labels["pl"]
            if len(labels) == scale.points:
                legend = [(str(c), labels[k]) for k, c in enumerate(scale.codes)]
            else:
                legend = [(str(c), "") for c in scale.codes]
                legend[0] = (legend[0][0], labels[0])
                legend[-1] = (legend[-1][0], labels[-1])
        codes = {typed: int(typed) for typed, _label in legend}
        if item.type == "service_type":
            codes = {typed: sid for (typed, _label), sid in zip(legend, service_types, strict=True)}
        if item.not_applicable:
            na = ["n"] + ([] if "0" in codes else ["0"])
            legend.append(("/".join(na), localized(NOT_APPLICABLE_LABEL)))
            codes.update({c: NOT_APPLICABLE for c in na})
        fields.append(
            Field(
                item=item,
                number=number,
                legend=legend,
                codes=codes,
                multiple=item.type == "multiple_choice",
            )
        )
    return fields


def _codes_hint(f: Field) -> str:
    numbers = [int(t) for t, _l in f.legend if t.isdigit()]
    parts = []
    if numbers and numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 3:
        parts.append(f"{numbers[0]}–{numbers[-1]}")
    else:
        parts.extend(str(n) for n in numbers)
    parts.extend(t for t, _l in f.legend if not t.isdigit())
    return ", ".join(parts)


def convert_field(f: Field, raw: str) -> tuple[list[str], str | None]:
    """The typed text of one input → (values for validate_form, error message or None)."""
    text = raw.strip()
    if f.is_text:
        return ([text] if text else []), None
    if not text:
        return [], None
    tokens = [t for t in _SPLIT.split(text.lower()) if t] if f.multiple else [text.lower()]
    if any(t not in f.codes for t in tokens):
        if f.multiple:
            return [], _("Type codes from the list, separated by commas: %(codes)s.", codes=_codes_hint(f))
        return [], _("Type one of the codes: %(codes)s, or leave the field empty.", codes=_codes_hint(f))
    values = sorted({f.codes[t] for t in tokens})
    if f.multiple and NOT_APPLICABLE in values and len(values) > 1:
        return [], _('"Not applicable" cannot be combined with other answers.')
    return [str(v) for v in values], None


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_POLISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_day(raw: str, today: date) -> tuple[date | None, str | None]:
    """The form's date: YYYY-MM-DD (or DD.MM.YYYY, as Polish spreadsheets write it) or today."""
    text = raw.strip()
    if not text:
        return today, None
    iso, polish = _ISO_DATE.match(text), _POLISH_DATE.match(text)
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif polish:
            day = date(int(polish[3]), int(polish[2]), int(polish[1]))
        else:
            raise ValueError(text)
    except ValueError:
        return None, _("Type the date as YYYY-MM-DD, e.g. %(example)s.", example=today.isoformat())
    if day > today:
        return None, _("The date of the form cannot be in the future.")
    if day < today - timedelta(days=MAX_AGE_DAYS):
        return None, _("The date of the form is more than two years ago.")
    return day, None


def day_hour(day: date) -> datetime:
    """The stored time of a paper form: midnight of its day, Polish time."""
    return datetime.combine(day, time(0), tzinfo=WARSAW)


@dataclass
class Entry:
    """One paper form, converted and validated."""

    submission: Submission | None
    errors: dict[str, str]
    day: date | None = None
    unit_id: int | None = None


def _relaxed(q: Questionnaire) -> Questionnaire:
    """The questionnaire without ``required``: paper cannot force an answer."""
    return msgspec.structs.replace(q, items=[msgspec.structs.replace(i, required=False) for i in q.items])


def convert_entry(
    survey: SurveyInfo,
    fields: list[Field],
    raw: Mapping[str, str],
    *,
    key: uuid.UUID,
    today: date,
    units: Mapping[str, int],
) -> Entry:
    """Typed values (field id → text) → a submission, or every error keyed by field id."""
    errors: dict[str, str] = {}
    form: dict[str, list[str]] = {"idempotency_key": [str(key)]}
    for f in fields:
        values, error = convert_field(f, raw.get(f.id, ""))
        if error:
            errors[f.id] = error
        elif values:
            form[f.id] = values
    day, date_error = parse_day(raw.get(DATE_FIELD, ""), today)
    if date_error:
        errors[DATE_FIELD] = date_error
    unit_slug = raw.get(UNIT_FIELD, "").strip()
    unit_id = None
    if unit_slug:
        unit_id = units.get(unit_slug.lower())
        if unit_id is None:
            errors[UNIT_FIELD] = _("Unknown unit: %(unit)s.", unit=unit_slug[:60])
    if len(form) == 1 and not errors:
        return Entry(None, {"": _("The form is empty: type at least one answer.")})
    # the converted answers go through the same validation as the web form (lengths, ranges)
    q = _relaxed(survey.version.questionnaire)
    result = validate_form(q, form, service_types=list(survey.service_types))
    errors = {**result.errors, **errors}
    if errors or result.submission is None:
        return Entry(None, {k: errors[k] for k in [*raw, ""] if k in errors} | errors)
    return Entry(result.submission, {}, day, unit_id)


async def store_entry(conn: asyncpg.Connection[Any], survey: SurveyInfo, entry: Entry) -> tuple[int, bool]:
    assert entry.submission is not None and entry.day is not None
    return await store_response(
        conn,
        survey,
        entry.submission,
        channel=ATTRIBUTION.channel,
        device=ATTRIBUTION.device or "paper",
        language=LANGUAGE,
        unit_id=entry.unit_id,
        hour=day_hour(entry.day),
    )


async def polish_today(conn: asyncpg.Connection[Any]) -> date:
    return await conn.fetchval("SELECT (now() AT TIME ZONE 'Europe/Warsaw')::date")


async def organisation_units(conn: asyncpg.Connection[Any], organisation_id: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, slug, name FROM unit WHERE organisation_id = $1 ORDER BY name", organisation_id)


# --- CSV import --------------------------------------------------------------------------------


class FileRefused(Exception):
    """The file cannot be read (encoding, header); ``message`` says why in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    """Data rows in the file (blank lines not counted)."""
    valid: int = 0
    stored: int = 0
    already: int = 0
    """Valid rows stored by an earlier import of the same file."""
    refused_rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    all_or_nothing: bool = False
    encoding: str = "UTF-8"
    delimiter: str = ";"

    @property
    def nothing_stored_because_refused(self) -> bool:
        return self.all_or_nothing and self.refused_rows > 0


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text and the encoding's name: UTF-8 (with or without BOM) or Windows-1250."""
    if b"\x00" in data:
        raise FileRefused(_("The file is not a CSV text file."))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250"), "Windows-1250"
    except UnicodeDecodeError:
        raise FileRefused(_("The file is neither UTF-8 nor Windows-1250 text.")) from None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"


def file_key(slug: str, digest: str, row: int) -> uuid.UUID:
    """The idempotency key of one row: the same file imported again stores nothing new."""
    return uuid.uuid5(_NAMESPACE, f"{slug}\n{digest}\n{row}")


async def import_csv(
    conn: asyncpg.Connection[Any],
    slug: str,
    data: bytes,
    *,
    dry_run: bool = False,
    all_or_nothing: bool = False,
) -> ImportReport:
    """Validate every row, then store the valid ones in one transaction (or none, see the flags)."""
    survey = await open_survey(conn, slug, allow_closed=True)
    text, encoding = decode_csv(data)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise FileRefused(_("The file is empty or has no header row."))
    delimiter = _delimiter(lines[0])
    report = ImportReport(dry_run=dry_run, all_or_nothing=all_or_nothing, encoding=encoding, delimiter=delimiter)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileRefused(_("The file cannot be read as CSV: %(reason)s", reason=str(exc))) from None
    header = [h.strip().lower() for h in records[0]]
    fields = paper_fields(survey.version.questionnaire, survey.service_types)
    known = {f.id for f in fields} | {DATE_FIELD, UNIT_FIELD}
    while header and header[-1] == "":
        header.pop()
    unknown = [h or "(…)" for h in header if h not in known]
    if unknown:
        raise FileRefused(
            _(
                "Unknown columns: %(columns)s. Allowed: question ids, %(date)s and %(unit)s.",
                columns=", ".join(unknown[:10]),
                date=DATE_FIELD,
                unit=UNIT_FIELD,
            )
        )
    duplicate = sorted({h for h in header if header.count(h) > 1})
    if duplicate:
        raise FileRefused(_("Columns appear more than once: %(columns)s.", columns=", ".join(duplicate)))
    if len(records) - 1 > MAX_ROWS:
        raise FileRefused(
            ngettext(
                "The file has more than %(num)d row; split it.",
                "The file has more than %(num)d rows; split it.",
                MAX_ROWS,
            )
        )
    digest = hashlib.sha256(data).hexdigest()
    today = await polish_today(conn)
    units = {r["slug"]: r["id"] for r in await organisation_units(conn, survey.organisation_id)}
    entries: list[Entry] = []
    for row_number, record in enumerate(records[1:], start=2):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        report.rows += 1
        if len(cells) > len(header) and any(cells[len(header) :]):
            report.refused_rows += 1
            report.problems.append(
                RowProblem(
                    row_number,
                    "",
                    _(
                        "The row has %(found)d columns, the header has %(expected)d.",
                        found=len(cells),
                        expected=len(header),
                    ),
                )
            )
            continue
        raw = dict(zip(header, cells, strict=False))
        entry = convert_entry(survey, fields, raw, key=file_key(slug, digest, row_number), today=today, units=units)
        if entry.submission is None:
            report.refused_rows += 1
            report.problems.extend(RowProblem(row_number, column, reason) for column, reason in entry.errors.items())
            continue
        entries.append(entry)
    report.valid = len(entries)
    if dry_run or report.nothing_stored_because_refused:
        report.already = await conn.fetchval(
            "SELECT count(*) FROM response WHERE idempotency_key = ANY($1::uuid[])",
            [e.submission.idempotency_key for e in entries if e.submission],
        )
        return report
    async with conn.transaction():
        for entry in entries:
            _id, created = await store_entry(conn, survey, entry)
            if created:
                report.stored += 1
            else:
                report.already += 1
    return report


def report_lines(report: ImportReport) -> list[str]:
    """The outcome of an import in a few sentences (the refused rows are listed separately)."""
    lines = [
        _(
            "Rows with data: %(rows)d; valid: %(valid)d; refused: %(refused)d.",
            rows=report.rows,
            valid=report.valid,
            refused=report.refused_rows,
        )
    ]
    if report.dry_run:
        lines.append(_("Check only: nothing was stored."))
        lines.append(
            _(
                "An import would store %(new)d; imported from this file before: %(already)d.",
                new=report.valid - report.already,
                already=report.already,
            )
        )
    elif report.nothing_stored_because_refused:
        lines.append(_("Nothing was stored because some rows were refused (all or nothing)."))
    elif report.stored:
        lines.append(ngettext("Stored %(num)d form.", "Stored %(num)d forms.", report.stored))
        if report.already:
            lines.append(
                ngettext(
                    "%(num)d row had been imported from this file before; not stored again.",
                    "%(num)d rows had been imported from this file before; not stored again.",
                    report.already,
                )
            )
    elif report.already:
        lines.append(
            ngettext(
                "Nothing new was stored: this file has already been imported (%(num)d form).",
                "Nothing new was stored: this file has already been imported (%(num)d forms).",
                report.already,
            )
        )
    else:
        lines.append(_("Nothing was stored: the file has no valid rows."))
    return lines


# --- web ---------------------------------------------------------------------------------------


class PaperController(Controller):
    """The data-entry screen and the CSV upload for paper questionnaires."""

    path = "/paper"
    include_in_schema = False

    async def _context(self, conn: asyncpg.Connection[Any], slug: str) -> tuple[SurveyInfo, list[Field], Any, date]:
        survey = await open_survey(conn, slug, allow_closed=True)
        fields = paper_fields(survey.version.questionnaire, survey.service_types)
        units = await organisation_units(conn, survey.organisation_id)
        return survey, fields, units, await polish_today(conn)

    def _screen(
        self,
        request: Request[Any, Any, Any],
        survey: SurveyInfo,
        fields: list[Field],
        units: Any,
        today: date,
        *,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        key: uuid.UUID,
        saved: int | None = None,
        status: int = 200,
    ) -> Template:
        order = [f.id for f in fields] + [DATE_FIELD, UNIT_FIELD]
        focus = next((name for name in order if name in errors), fields[0].id if fields else DATE_FIELD)
        return page(
            request,
            "paper/entry.html",
            status_code=status,
            survey=survey,
            q=survey.version.questionnaire,
            fields=fields,
            units=units,
            values=values,
            errors=errors,
            idempotency_key=str(key),
            saved=saved,
            date_field=DATE_FIELD,
            unit_field=UNIT_FIELD,
            focus=focus,
            today=today,
        )

    @get("/{slug:str}", name="paper_entry")
    async def entry(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
    ) -> Template:
        """The empty screen; after a save it names the stored form and keeps the date and unit."""
        async with acquire(request.app.state.pool) as conn:
            survey, fields, units, today = await self._context(conn, slug)
        params = request.query_params
        values = {DATE_FIELD: today.isoformat()}
        day = params.get(DATE_FIELD, "")
        if day and parse_day(day, today)[1] is None:
            values[DATE_FIELD] = day
        unit = params.get(UNIT_FIELD, "")
        if unit and unit in {u["slug"] for u in units}:
            values[UNIT_FIELD] = unit
        saved_raw = params.get("saved", "")
        saved = int(saved_raw) if saved_raw.isdigit() and len(saved_raw) < 19 else None
        return self._screen(
            request,
            survey,
            fields,
            units,
            today,
            values=values,
            errors={},
            key=uuid.uuid4(),
            saved=saved,
        )

    @post("/{slug:str}", name="paper_save", request_max_body_size=MAX_FORM_BYTES)
    async def save(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        form = await read_form(request)
        async with acquire(request.app.state.pool) as conn:
            survey, fields, units, today = await self._context(conn, slug)
            allowed = {f.id for f in fields} | {
                DATE_FIELD,
                UNIT_FIELD,
                "idempotency_key",
                "_csrf_token",
            }
            unknown = sorted(name for name in form if name not in allowed)
            if unknown:
                raise BadInput(f"unknown fields: {', '.join(unknown[:10])}")
            if any(len(v) > 1 for v in form.values()):
                raise BadInput("a field was sent more than once")
            raw = {name: values[0] if values else "" for name, values in form.items()}
            try:
                key = uuid.UUID(raw.get("idempotency_key", ""))
            except ValueError:
                raise BadInput("idempotency_key must be a UUID") from None
            unit_map = {u["slug"]: u["id"] for u in units}
            entry = convert_entry(survey, fields, raw, key=key, today=today, units=unit_map)
            if entry.submission is None:
                return self._screen(
                    request,
                    survey,
                    fields,
                    units,
                    today,
                    values=raw,
                    errors=entry.errors,
                    key=key,
                    status=422,
                )
            response_id, _created = await store_entry(conn, survey, entry)
        query = {
            "saved": str(response_id),
            DATE_FIELD: entry.day.isoformat() if entry.day else "",
            UNIT_FIELD: raw.get(UNIT_FIELD, "").strip(),
        }
        return Redirect(
            path=f"/paper/{slug}?{urlencode({k: v for k, v in query.items() if v})}",
            status_code=303,
        )

    @get("/{slug:str}/import", name="paper_import_form")
    async def import_form(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            survey, fields, _units, _today = await self._context(conn, slug)
        return self._import_page(request, survey, fields)

    @post(
        "/{slug:str}/import",
        name="paper_import",
        request_max_body_size=MAX_UPLOAD_BYTES + 64 * 1024,
    )
    async def upload(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise BadInput("expected a file upload")
        form = await request.form()
        upload = form.get("plik")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        report, file_error = None, None
        async with acquire(request.app.state.pool) as conn:
            survey, fields, _units, _today = await self._context(conn, slug)
            if not data:
                file_error = _("Choose a CSV file to import.")
            elif len(data) > MAX_UPLOAD_BYTES:
                file_error = _(
                    "The file is larger than %(mb)d MB; split it.",
                    mb=MAX_UPLOAD_BYTES // (1024 * 1024),
                )
            else:
                try:
                    report = await import_csv(
                        conn,
                        slug,
                        data,
                        dry_run=form.get("dry_run") == "1",
                        all_or_nothing=form.get("all_or_nothing") == "1",
                    )
                except FileRefused as exc:
                    file_error = exc.message
        status = 422 if file_error or (report and report.nothing_stored_because_refused) else 200
        return self._import_page(request, survey, fields, report=report, file_error=file_error, status=status)

    def _import_page(
        self,
        request: Request[Any, Any, Any],
        survey: SurveyInfo,
        fields: list[Field],
        *,
        report: ImportReport | None = None,
        file_error: str | None = None,
        status: int = 200,
    ) -> Template:
        return page(
            request,
            "paper/import.html",
            status_code=status,
            survey=survey,
            q=survey.version.questionnaire,
            fields=fields,
            report=report,
            file_error=file_error,
            lines=report_lines(report) if report else [],
            date_field=DATE_FIELD,
            unit_field=UNIT_FIELD,
            max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        )
