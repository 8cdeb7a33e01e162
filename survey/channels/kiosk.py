"""Kiosk mode: a registered tablet in the customer hall collects smiley answers.

A kiosk is registered to an office, unit and location by ``survey kiosk add``,
which prints a one-time enrolment link. Opening it on the device stores a
random device token in a cookie (only its hash is kept here): the kiosk holds
a token, never a person's identity. The kiosk page works as a plain form; its
script (``static/js/kiosk.js``) adds the touch flow, the automatic reset and
an offline outbox that replays answers with their idempotency keys, so each
is stored exactly once however often it is sent.

Bursts of answers from one device (more than two within 20 seconds of the
resident's own clock) are stored flagged, left out of statistics and shown to
managers. Replays from the outbox carry the time the answer was given, so a
queue emptied at once after an outage is not mistaken for a burst.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from survey import i18n
from survey.collection.abuse import hit, limit
from survey.collection.form import validate_form
from survey.collection.store import open_survey, store_response
from survey.collection.web import MAX_FORM_BYTES, answer_language, read_form
from survey.db.pool import acquire
from survey.errors import Forbidden, NotFound
from survey.web import page

COOKIE = "kiosk"
BURST_WINDOW_SECONDS = 20
BURST_ALLOWED = 2
"""More answers than this from one kiosk within one window are flagged as repeat taps."""
DEVICE_LIMIT_PER_MINUTE = 40
"""Hard limit per device; well above human speed, so only a stuck or hostile device meets it."""
REPLAY_HORIZON = timedelta(days=7)


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Kiosk:
    id: int
    survey_slug: str
    unit_id: int | None
    location: str


async def register_kiosk(
    conn: asyncpg.Connection[Any], survey_slug: str, location: str, unit_slug: str | None = None
) -> tuple[int, str]:
    """Create a kiosk; return its id and the one-time enrolment token."""
    survey = await conn.fetchrow("SELECT id, organisation_id FROM survey WHERE slug = $1", survey_slug)
    if survey is None:
        raise NotFound("survey", survey_slug)
    unit_id = None
    if unit_slug:
        unit_id = await conn.fetchval(
            "SELECT id FROM unit WHERE organisation_id = $1 AND slug = $2", survey["organisation_id"], unit_slug
        )
        if unit_id is None:
            raise NotFound("unit", unit_slug)
    token = secrets.token_urlsafe(24)
    kiosk_id = await conn.fetchval(
        """INSERT INTO kiosk (organisation_id, survey_id, unit_id, location, enrolment_hash)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        survey["organisation_id"],
        survey["id"],
        unit_id,
        location,
        _hash(token),
    )
    return kiosk_id, token


async def _kiosk_for(request: Request[Any, Any, Any], conn: asyncpg.Connection[Any]) -> Kiosk:
    token = request.cookies.get(COOKIE)
    row = None
    if token:
        row = await conn.fetchrow(
            """SELECT k.id, s.slug, k.unit_id, k.location FROM kiosk k JOIN survey s ON s.id = k.survey_id
               WHERE k.token_hash = $1 AND k.active""",
            _hash(token),
        )
    if row is None:
        raise Forbidden("this device is not a registered kiosk")
    return Kiosk(row["id"], row["slug"], row["unit_id"], row["location"])


def _answered_at(raw: str | None, now: datetime) -> datetime:
    """When the resident answered (sent by the kiosk, in ms), trusted only within a week."""
    try:
        at = datetime.fromtimestamp(int(raw or "") / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return now
    return at if now - REPLAY_HORIZON <= at <= now + timedelta(minutes=5) else now


class KioskController(Controller):
    path = "/kiosk"
    include_in_schema = False

    @get("/enrol/{token:str}", name="kiosk_enrol_page")
    async def enrol_page(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        """Ask before enrolling: link previewers and mail scanners open links with GET."""
        async with acquire(request.app.state.pool) as conn:
            row = await conn.fetchrow(
                """SELECT k.location, o.name AS organisation FROM kiosk k
                   JOIN organisation o ON o.id = k.organisation_id
                   WHERE k.enrolment_hash = $1 AND k.active""",
                _hash(token),
            )
        if row is None:
            raise NotFound("kiosk enrolment", "…")
        return page(request, "kiosk/enrol.html", location=row["location"], organisation=row["organisation"])

    @post("/enrol/{token:str}", name="kiosk_enrol")
    async def enrol(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
        device_token = secrets.token_urlsafe(32)
        async with acquire(request.app.state.pool) as conn:
            kiosk_id = await conn.fetchval(
                """UPDATE kiosk SET token_hash = $2, enrolment_hash = NULL
                   WHERE enrolment_hash = $1 AND active RETURNING id""",
                _hash(token),
                _hash(device_token),
            )
        if kiosk_id is None:
            raise NotFound("kiosk enrolment", "…")
        settings = request.app.state.settings
        return Redirect(
            path="/kiosk",
            status_code=303,
            cookies=[
                Cookie(
                    key=COOKIE,
                    value=device_token,
                    max_age=5 * 365 * 24 * 3600,
                    httponly=True,
                    samesite="strict",
                    secure=settings.secure_cookies,
                    path="/kiosk",
                )
            ],
        )

    @get("/", name="kiosk_page")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        settings = request.app.state.settings
        async with acquire(request.app.state.pool) as conn:
            kiosk = await _kiosk_for(request, conn)
            survey = await open_survey(conn, kiosk.survey_slug)
        q = survey.version.questionnaire
        main_item = next((item for item in q.items if item.type in ("smiley", "rating", "nps")), None)
        return page(
            request,
            "kiosk/kiosk.html",
            languages=q.languages,
            survey=survey,
            q=q,
            main_item=main_item,
            follow_up=[item for item in q.items if item is not main_item and item.type != "service_type"],
            kiosk=kiosk,
            idle_seconds=settings.kiosk_idle_seconds,
            idle_action=settings.kiosk_idle_action,
            reset_seconds=settings.kiosk_reset_seconds,
            retry_seconds=settings.kiosk_retry_seconds,
        )

    @post("/answer", name="kiosk_answer", request_max_body_size=MAX_FORM_BYTES)
    async def answer(self, request: Request[Any, Any, Any]) -> Response[Any]:
        fields = await read_form(request)
        answer_language(fields)
        answered = _answered_at(next(iter(fields.pop("answered_at", [])), None), datetime.now(UTC))
        wants_json = "application/json" in request.headers.get("accept", "")
        async with acquire(request.app.state.pool) as conn:
            kiosk = await _kiosk_for(request, conn)
            await limit(conn, f"kiosk-device:{kiosk.id}", DEVICE_LIMIT_PER_MINUTE, 60)
            survey = await open_survey(conn, kiosk.survey_slug)
            result = validate_form(survey.version.questionnaire, fields, service_types=list(survey.service_types))
            if result.submission is None:
                if wants_json:
                    return Response({"status": "invalid", "errors": result.errors}, status_code=422)
                return Redirect(path="/kiosk", status_code=303)
            known = await conn.fetchval(
                "SELECT id FROM response WHERE idempotency_key = $1", result.submission.idempotency_key
            )
            if known is not None:  # a replay: answer as before, count nothing
                return (
                    Response({"status": "duplicate"}, status_code=200)
                    if wants_json
                    else Redirect(path="/kiosk/thanks", status_code=303)
                )
            async with conn.transaction():
                burst = await hit(conn, f"kiosk-burst:{kiosk.id}", BURST_WINDOW_SECONDS, answered)
                _, created = await store_response(
                    conn,
                    survey,
                    result.submission,
                    channel="kiosk",
                    device="kiosk",
                    language=i18n.current_language(),
                    unit_id=kiosk.unit_id,
                    kiosk_id=kiosk.id,
                    hour=answered,
                    flag_reason="repeat_taps" if burst > BURST_ALLOWED else None,
                )
        if wants_json:
            return Response({"status": "stored" if created else "duplicate"}, status_code=201 if created else 200)
        return Redirect(path="/kiosk/thanks", status_code=303)

    @get("/thanks", name="kiosk_thanks")
    async def thanks(self, request: Request[Any, Any, Any]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            kiosk = await _kiosk_for(request, conn)
            survey = await open_survey(conn, kiosk.survey_slug)
        return page(
            request,
            "kiosk/thanks.html",
            languages=survey.version.questionnaire.languages,
            survey=survey,
            q=survey.version.questionnaire,
        )
