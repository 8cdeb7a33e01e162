"""Staff surveys with one-time codes (channel ``staff``).

HR creates a wave for an employee survey and prints one card per employee
with a random code (``survey staff wave`` / ``survey staff codes``). The
employee enters the code at ``/k``, answers the questionnaire and submits to
``/k/answer``. The code gates participation only:

* a code is stored as an HMAC-SHA256 under a key derived from the service's
  secret key, never in plain text, so a copy of the table alone cannot be
  searched offline for unused codes;
* ``staff_code`` holds (wave, hash, unit, used) and nothing else: no time, no
  response id. The response holds nothing about the code;
* marking the code used and storing the response happen in one transaction,
  so a code is consumed exactly when a response is stored;
* the response's time is the wave's opening day (midnight, Polish time), the
  same for every answer of the wave, so time order cannot pair a response with
  a code.

Failed code checks are counted per open wave and minute in ``rate_window``
(shared by every worker); past the limit ``/k`` answers 429.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from survey import i18n
from survey.collection.form import validate_form
from survey.collection.store import SurveyInfo, open_survey, store_response
from survey.collection.web import MAX_FORM_BYTES, Attribution, read_form, render_form
from survey.db.pool import acquire
from survey.errors import BadInput, Gone, NotFound
from survey.i18n import gettext as _
from survey.web import page

WARSAW = ZoneInfo("Europe/Warsaw")
ALPHABET = "23456789ACDEFGHJKMNPQRTUWXY"
"""Code characters: 27 digits and capitals without the look-alikes 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V.
Ten of them carry about 47.5 bits."""
_LOOK_ALIKES = str.maketrans({"S": "5", "Z": "2", "B": "8", "V": "U"})
CODE_LENGTH = 10
MAX_CODES_PER_RUN = 5000
MAX_FAILED_CHECKS_PER_MINUTE = 30
"""Failed code checks allowed per open wave and minute, across all workers."""
_HASH_CONTEXT = b"survey/staff-code/v1"
TODAY = "(now() AT TIME ZONE 'Europe/Warsaw')::date"
"""Today in Poland, whatever the connection's time zone."""
FONTS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"


# --- codes -------------------------------------------------------------------------------------


def new_code() -> str:
    """A random code of :data:`CODE_LENGTH` characters from :data:`ALPHABET`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``K7M2QX9TR4`` → ``K7M2Q-X9TR4`` (two groups of five, easier to copy)."""
    return f"{code[:5]}-{code[5:]}"


def normalise_code(raw: str) -> str | None:
    """The stored form of what a person typed (any case, spaces, dashes); None if malformed."""
    code = "".join(raw.split()).replace("-", "").replace("–", "").upper().translate(_LOOK_ALIKES)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def code_hash(secret_key: str, code: str) -> bytes:
    """HMAC-SHA256 of the normalised code under a key derived from the service's secret key."""
    key = hmac.new(secret_key.encode(), _HASH_CONTEXT, hashlib.sha256).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).digest()


def wave_hour(opens_on: date) -> datetime:
    """The time stored on every response of a wave: midnight of its opening day, Polish time."""
    return datetime.combine(opens_on, time(0), tzinfo=WARSAW)


@dataclass(frozen=True)
class Wave:
    id: int
    name: str
    survey_id: int
    survey_slug: str
    organisation_id: int
    organisation_name: str
    opens_on: date | None
    closes_on: date | None


_WAVE_SQL = """SELECT w.id, w.name, w.survey_id, s.slug AS survey_slug, s.organisation_id,
                      o.name AS organisation_name, w.opens_on, w.closes_on
               FROM staff_wave w JOIN survey s ON s.id = w.survey_id
                                 JOIN organisation o ON o.id = s.organisation_id"""


async def get_wave(conn: asyncpg.Connection[Any], wave_id: int) -> Wave:
    row = await conn.fetchrow(_WAVE_SQL + " WHERE w.id = $1", wave_id)
    if row is None:
        raise NotFound("staff wave", wave_id)
    return Wave(**dict(row))


async def create_wave(
    conn: asyncpg.Connection[Any],
    survey_slug: str,
    name: str,
    *,
    opens_on: date | None = None,
    closes_on: date | None = None,
) -> int:
    """A new wave of the employee survey ``survey_slug``; opens today unless told otherwise."""
    row = await conn.fetchrow(
        f"""SELECT s.id, q.audience, {TODAY} AS today
            FROM survey s JOIN questionnaire q ON q.id = s.questionnaire_id WHERE s.slug = $1""",
        survey_slug,
    )
    if row is None:
        raise NotFound("survey", survey_slug)
    if row["audience"] != "employee":
        raise BadInput(f"survey {survey_slug} asks residents; staff waves need an employee questionnaire")
    opens_on = opens_on or row["today"]
    if closes_on is not None and closes_on < opens_on:
        raise BadInput("the wave cannot close before it opens")
    return await conn.fetchval(
        """INSERT INTO staff_wave (survey_id, name, opens_on, closes_on)
           VALUES ($1, $2, $3, $4) RETURNING id""",
        row["id"],
        name,
        opens_on,
        closes_on,
    )


async def unit_of_wave(conn: asyncpg.Connection[Any], wave: Wave, unit_slug: str) -> tuple[int, str]:
    row = await conn.fetchrow(
        "SELECT id, name FROM unit WHERE organisation_id = $1 AND slug = $2",
        wave.organisation_id,
        unit_slug,
    )
    if row is None:
        raise NotFound("unit", unit_slug)
    return row["id"], row["name"]


async def generate_codes(
    conn: asyncpg.Connection[Any], secret_key: str, wave_id: int, unit_id: int | None, count: int
) -> list[str]:
    """Create ``count`` codes for the wave and unit; return them in plain text (never stored)."""
    if not 1 <= count <= MAX_CODES_PER_RUN:
        raise BadInput(f"count must be between 1 and {MAX_CODES_PER_RUN}")
    codes: list[str] = []
    async with conn.transaction():
        while len(codes) < count:
            batch = list({new_code() for _ in range(count - len(codes))})
            inserted = await conn.fetch(
                """INSERT INTO staff_code (wave_id, code_hash, unit_id)
                   SELECT $1, h, $3 FROM unnest($2::bytea[]) AS t(h)
                   ON CONFLICT DO NOTHING RETURNING code_hash""",
                wave_id,
                [code_hash(secret_key, c) for c in batch],
                unit_id,
            )
            stored = {r["code_hash"] for r in inserted}
            codes.extend(c for c in batch if code_hash(secret_key, c) in stored)
    return codes


@dataclass(frozen=True)
class UnitRate:
    unit: str | None
    issued: int
    used: int

    @property
    def rate(self) -> float:
        return self.used / self.issued if self.issued else 0.0


async def response_rate(conn: asyncpg.Connection[Any], wave_id: int) -> list[UnitRate]:
    """Per unit: codes issued and codes used. Counts of codes only, never answers."""
    rows = await conn.fetch(
        """SELECT u.name AS unit, count(*)::int AS issued,
                  count(*) FILTER (WHERE c.used)::int AS used
           FROM staff_code c LEFT JOIN unit u ON u.id = c.unit_id
           WHERE c.wave_id = $1 GROUP BY u.name ORDER BY u.name NULLS LAST""",
        wave_id,
    )
    return [UnitRate(**dict(r)) for r in rows]


# --- the printable sheet -----------------------------------------------------------------------

COLUMNS, ROWS = 2, 5
MARGIN_X, MARGIN_Y = 10.0, 11.0
CARD_W = (210.0 - 2 * MARGIN_X) / COLUMNS
CARD_H = (297.0 - 2 * MARGIN_Y) / ROWS


def codes_pdf(codes: list[str], *, organisation: str, wave: str, unit: str | None, url: str) -> bytes:
    """An A4 sheet (several if needed) of cards to cut along the dashed lines, one code per card."""
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(_("Access codes: %(wave)s", wave=wave))
    pdf.set_creator("survey")
    pdf.add_font("Sans", "", FONTS_DIR / "DejaVuSans.ttf")
    pdf.add_font("Sans", "B", FONTS_DIR / "DejaVuSans-Bold.ttf")
    pdf.add_font("Mono", "", FONTS_DIR / "DejaVuSansMono.ttf")
    per_page = COLUMNS * ROWS
    for start in range(0, len(codes), per_page):
        pdf.add_page()
        _cut_lines(pdf)
        for index, code in enumerate(codes[start : start + per_page]):
            col, row = index % COLUMNS, index // COLUMNS
            _card(
                pdf,
                MARGIN_X + col * CARD_W,
                MARGIN_Y + row * CARD_H,
                code,
                organisation=organisation,
                wave=wave,
                unit=unit,
                url=url,
            )
    return bytes(pdf.output())


def _cut_lines(pdf: Any) -> None:
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    right, bottom = MARGIN_X + COLUMNS * CARD_W, MARGIN_Y + ROWS * CARD_H
    for k in range(ROWS + 1):
        y = MARGIN_Y + k * CARD_H
        pdf.line(MARGIN_X - 6, y, right + 6, y)
    for k in range(COLUMNS + 1):
        x = MARGIN_X + k * CARD_W
        pdf.line(x, MARGIN_Y - 6, x, bottom + 6)
    pdf.set_dash_pattern()
    pdf.set_font("Sans", "", 11)
    pdf.set_text_color(120, 120, 120)
    pdf.set_xy(1.5, MARGIN_Y - 3.2)
    pdf.cell(6, 6, "✂")


def _card(
    pdf: Any,
    x: float,
    y: float,
    code: str,
    *,
    organisation: str,
    wave: str,
    unit: str | None,
    url: str,
) -> None:
    pad = 6.0
    width = CARD_W - 2 * pad
    left = x + pad
    pdf.set_text_color(20, 20, 20)
    _fitted_cell(pdf, left, y + 4.5, width, 5, organisation, "B", 10.5)
    pdf.set_text_color(70, 70, 70)
    _fitted_cell(pdf, left, y + 9.8, width, 4.2, wave, "", 9)
    if unit:
        _fitted_cell(pdf, left, y + 14, width, 4.2, _("Unit: %(unit)s", unit=unit), "", 9)
    # the code, large, on a light box
    pdf.set_fill_color(238, 241, 245)
    pdf.set_draw_color(160, 168, 178)
    pdf.set_line_width(0.3)
    pdf.rect(left, y + 19.2, width, 14.8, style="DF", round_corners=True, corner_radius=1.5)
    pdf.set_text_color(70, 70, 70)
    pdf.set_font("Sans", "", 7.5)
    pdf.set_xy(left + 2.5, y + 20)
    pdf.cell(width - 5, 3.5, _("Access code").upper())
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Mono", "", 23)
    pdf.set_xy(left, y + 23.3)
    pdf.cell(width, 10, format_code(code), align="C")
    # the address in bold (fpdf's markdown), then the promise; smaller type if four lines do not do
    instruction = _("Go to %(url)s and enter the code.", url="\x00")
    before, _sep, after = instruction.partition("\x00")
    where = f"{_md(before)}**{_md(url)}**{_md(after)}"
    promise = _("The code can be used once and is not linked to your answers.")
    size, line = 8.5, 4.0
    while size > 6.5:
        pdf.set_font("Sans", "", size)
        lines = len(pdf.multi_cell(width, line, where, markdown=True, dry_run=True, output="LINES"))
        pdf.set_font("Sans", "B", size)
        lines += len(pdf.multi_cell(width, line, promise, dry_run=True, output="LINES"))
        if 36.0 + lines * line <= CARD_H - 1.5:
            break
        size, line = size - 0.5, line - 0.25
    pdf.set_text_color(20, 20, 20)
    pdf.set_font("Sans", "", size)
    pdf.set_xy(left, y + 36)
    pdf.multi_cell(width, line, where, align="L", markdown=True)
    pdf.set_font("Sans", "B", size)
    pdf.set_x(left)
    pdf.multi_cell(width, line, promise, align="L")


def _md(text: str) -> str:
    """Text for fpdf's markdown mode with its markers (``**``, ``__``, ``--``) neutralised."""
    for marker in ("**", "__", "--", "~~"):
        text = text.replace(marker, marker[0] + "\u200b" + marker[1])
    return text


def _fitted_cell(pdf: Any, x: float, y: float, width: float, height: float, text: str, style: str, size: float) -> None:
    """One line of text, in smaller type (down to 7.5 pt) if needed, cut with … as a last resort."""
    while size > 7.5 and (pdf.set_font("Sans", style, size) or pdf.get_string_width(text) > width):
        size -= 0.5
    pdf.set_font("Sans", style, size)
    pdf.set_xy(x, y)
    pdf.cell(width, height, _fit(pdf, text, width))


def _fit(pdf: Any, text: str, width: float) -> str:
    """Shorten ``text`` with an ellipsis until it fits on one line."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


# --- rate limit --------------------------------------------------------------------------------


async def _open_wave_ids(conn: asyncpg.Connection[Any]) -> list[int]:
    return [
        r["id"]
        for r in await conn.fetch(
            f"""SELECT w.id FROM staff_wave w JOIN survey s ON s.id = w.survey_id
               WHERE s.is_open AND (w.opens_on IS NULL OR w.opens_on <= {TODAY})
                 AND (w.closes_on IS NULL OR w.closes_on >= {TODAY})"""
        )
    ]


def _buckets(wave_ids: list[int]) -> list[str]:
    return [f"staff-wave:{w}" for w in wave_ids] or ["staff-wave:none"]


async def guessing_blocked(conn: asyncpg.Connection[Any]) -> bool:
    """True when an open wave has had too many failed code checks this minute."""
    hits = await conn.fetchval(
        """SELECT max(hits) FROM rate_window
           WHERE bucket = ANY($1::text[]) AND window_start = date_trunc('minute', now())""",
        _buckets(await _open_wave_ids(conn)),
    )
    return hits is not None and hits >= MAX_FAILED_CHECKS_PER_MINUTE


async def record_failed_check(conn: asyncpg.Connection[Any]) -> bool:
    """Count a failed check for every open wave (a wrong code names none); True if over limit."""
    buckets = _buckets(await _open_wave_ids(conn))
    hits = await conn.fetch(
        """INSERT INTO rate_window AS r (bucket, window_start, hits)
           SELECT b, date_trunc('minute', now()), 1 FROM unnest($1::text[]) AS t(b)
           ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1
           RETURNING hits""",
        buckets,
    )
    await conn.execute(
        """DELETE FROM rate_window
           WHERE bucket = ANY($1::text[]) AND window_start < now() - interval '1 hour'""",
        buckets,
    )
    return max(r["hits"] for r in hits) > MAX_FAILED_CHECKS_PER_MINUTE


# --- checking and redeeming a code --------------------------------------------------------------


@dataclass(frozen=True)
class CodeState:
    wave: Wave
    used: bool


async def find_code(conn: asyncpg.Connection[Any], secret_key: str, code: str) -> CodeState | None:
    """The wave of an issued code (of any wave of an open survey), without consuming it."""
    row = await conn.fetchrow(
        _WAVE_SQL.replace("SELECT ", "SELECT c.used, ", 1)
        + """ JOIN staff_code c ON c.wave_id = w.id
           WHERE c.wave_id = ANY(ARRAY(SELECT w2.id FROM staff_wave w2
                                       JOIN survey s2 ON s2.id = w2.survey_id
                                       WHERE s2.is_open))
             AND c.code_hash = $1""",
        code_hash(secret_key, code),
    )
    if row is None:
        return None
    fields = dict(row)
    used = fields.pop("used")
    return CodeState(wave=Wave(**fields), used=used)


class CodeUsed(Exception):
    """The code was consumed by an earlier response."""


class _Replay(Exception):
    """The idempotency key was stored before: roll back and store nothing."""


async def redeem(
    conn: asyncpg.Connection[Any],
    secret_key: str,
    code: str,
    wave: Wave,
    survey: SurveyInfo,
    submission: Any,
    *,
    language: str,
    attribution: Attribution | None = None,
) -> bool:
    """Consume the code and store the response in one transaction; False on a replay.

    The two statements share nothing but the transaction: the UPDATE returns
    only the unit the code was issued for, the response gets that unit and the
    wave's opening day as its time. Any failure rolls back both. A code that
    is already used raises :class:`CodeUsed` unless this very submission (same
    idempotency key) was stored before, which is a replay.
    """
    attribution = attribution or Attribution(channel="staff", device="unknown")
    today = await conn.fetchval("SELECT " + TODAY)
    try:
        async with conn.transaction():
            consumed = await conn.fetchrow(
                """UPDATE staff_code SET used = true
                   WHERE wave_id = $1 AND code_hash = $2 AND NOT used RETURNING unit_id""",
                wave.id,
                code_hash(secret_key, code),
            )
            if consumed is None:
                replay = await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM response WHERE idempotency_key = $1)",
                    submission.idempotency_key,
                )
                if replay:
                    return False
                raise CodeUsed(code)
            _id, created = await store_response(
                conn,
                survey,
                submission,
                channel=attribution.channel,
                device=attribution.device or "unknown",
                language=language,
                unit_id=consumed["unit_id"],
                hour=wave_hour(wave.opens_on or today),
            )
            if not created:
                raise _Replay
    except _Replay:
        return False
    return True


# --- web ---------------------------------------------------------------------------------------


def _check_wave_dates(wave: Wave, today: date) -> None:
    if (wave.opens_on and today < wave.opens_on) or (wave.closes_on and today > wave.closes_on):
        raise Gone(f"staff wave {wave.id}")


def _too_many() -> str:
    return _("Too many wrong codes were entered. Please wait a minute and try again.")


class StaffCodeController(Controller):
    """``/k``: enter a one-time code, answer the employee questionnaire, submit once."""

    path = "/k"
    include_in_schema = False

    @get("/", name="staff_code")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        return _code_page(request)

    @post("/", name="staff_code_check", request_max_body_size=4096)
    async def check(self, request: Request[Any, Any, Any]) -> Response[Any]:
        fields = await read_form(request)
        typed = _single(fields, "code")[:100]
        async with acquire(request.app.state.pool) as conn:
            if await guessing_blocked(conn):
                return _code_page(request, error=_too_many(), status=429, value=typed)
            code, state = await _lookup(request, conn, typed)
            if code is None or state is None or state.used:
                return await _refuse(request, conn, state, typed)
            _check_wave_dates(state.wave, await conn.fetchval("SELECT " + TODAY))
            survey = await open_survey(conn, state.wave.survey_slug)
        return _form(request, survey, state.wave, code)

    @post("/answer", name="staff_answer", request_max_body_size=MAX_FORM_BYTES)
    async def answer(self, request: Request[Any, Any, Any]) -> Response[Any]:
        fields = await read_form(request)
        typed = _single(fields, "code")[:100]
        answers = {k: v for k, v in fields.items() if k != "code"}
        settings = request.app.state.settings
        async with acquire(request.app.state.pool) as conn:
            if await guessing_blocked(conn):
                # Say nothing about the code, but keep the answers: the page sends them again.
                resend = [(k, v) for k, vs in fields.items() if k != "_csrf_token" for v in vs]
                return _no_store(
                    page(
                        request,
                        "staff/retry.html",
                        status_code=429,
                        fields=resend,
                        message=_too_many(),
                    )
                )
            code, state = await _lookup(request, conn, typed)
            if code is None or state is None:
                return await _refuse(request, conn, state, typed)
            wave = state.wave
            _check_wave_dates(wave, await conn.fetchval("SELECT " + TODAY))
            survey = await open_survey(conn, wave.survey_slug)
            result = validate_form(survey.version.questionnaire, answers, service_types=list(survey.service_types))
            if result.submission is None:
                if state.used:
                    return await _refuse(request, conn, state, typed)
                return _form(request, survey, wave, code, result=result, status=422)
            try:
                await redeem(
                    conn,
                    settings.secret_key,
                    code,
                    wave,
                    survey,
                    result.submission,
                    language=i18n.current_language(),
                )
            except CodeUsed:
                return await _refuse(request, conn, state, typed)
        return Redirect(path=f"/k/thanks/{wave.id}", status_code=303)

    @get("/thanks/{wave_id:int}", name="staff_thanks")
    async def thanks(self, request: Request[Any, Any, Any], wave_id: FromPath[int]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            wave = await get_wave(conn, wave_id)
            survey = await open_survey(conn, wave.survey_slug, allow_closed=True)
        q = survey.version.questionnaire
        return page(request, "staff/thanks.html", languages=q.languages, survey=survey, q=q)


def _no_store(template: Template) -> Template:
    """Pages carrying a code are not kept by the browser (a shared computer shows nothing later)."""
    template.headers["Cache-Control"] = "no-store"
    return template


def _code_page(
    request: Request[Any, Any, Any], *, error: str | None = None, status: int = 200, value: str = ""
) -> Template:
    return _no_store(page(request, "staff/code.html", status_code=status, error=error, value=value))


def _form(
    request: Request[Any, Any, Any],
    survey: SurveyInfo,
    wave: Wave,
    code: str,
    result: Any = None,
    status: int = 200,
) -> Template:
    return _no_store(
        render_form(
            request,
            survey,
            action="/k/answer",
            result=result,
            status=status,
            template="staff/form.html",
            code=code,
            wave=wave,
        )
    )


async def _lookup(
    request: Request[Any, Any, Any], conn: asyncpg.Connection[Any], typed: str
) -> tuple[str | None, CodeState | None]:
    code = normalise_code(typed)
    state = await find_code(conn, request.app.state.settings.secret_key, code) if code else None
    return code, state


async def _refuse(
    request: Request[Any, Any, Any],
    conn: asyncpg.Connection[Any],
    state: CodeState | None,
    typed: str,
) -> Template:
    """A failed check: counted for the rate limit, answered in the user's language."""
    if await record_failed_check(conn):
        return _code_page(request, error=_too_many(), status=429, value=typed)
    if state is not None and state.used:
        return _code_page(request, error=_("This code has already been used."), status=409)
    return _code_page(
        request,
        error=_("Unknown code. Check the code on your card and type it again."),
        status=422,
        value=typed,
    )


def _single(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name, [])
    if len(values) > 1:
        raise BadInput(f"field {name} sent more than once")
    return values[0] if values else ""


class StaffRateController(Controller):
    """``/results/staff/<wave>``: codes issued and used per unit; nothing about answers."""

    path = "/results/staff"
    include_in_schema = False

    @get("/{wave_id:int}", name="staff_rate")
    async def rate(self, request: Request[Any, Any, Any], wave_id: FromPath[int]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            wave = await get_wave(conn, wave_id)
            rates = await response_rate(conn, wave_id)
        total = UnitRate(unit=None, issued=sum(r.issued for r in rates), used=sum(r.used for r in rates))
        return page(request, "staff/rate.html", wave=wave, rates=rates, total=total)
