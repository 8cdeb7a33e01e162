"""The public form: ``GET /s/<slug>`` shows it, ``POST /s/<slug>`` stores an answer.

Without JavaScript the form posts normally and gets a 303 to the thank-you
page, or the page again with status 422 and every error. With htmx only the
form is swapped, and a success answers with ``HX-Redirect``.

:func:`render_form` and :func:`submit_form` are the page flow the web form and QR
links share, each with its own attribution; kiosks, staff codes and paper use the
same validation and :func:`~survey.collection.store.store_response` directly.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from survey import i18n
from survey.collection.abuse import STAMP, check_human, form_stamp, limit
from survey.collection.form import FormResult, validate_form
from survey.collection.store import SurveyClosed, SurveyInfo, as_shown, device_class, open_survey, store_response
from survey.db.pool import acquire
from survey.errors import BadInput
from survey.web import is_htmx, page

MAX_FORM_BYTES = 64 * 1024
PUBLIC_CHANNELS = frozenset({"web", "qr"})
"""Open channels, where bots are checked for. Kiosks hold a device token and staff answers a one-time code;
the paper screen is for office staff and must sit behind the office network or the proxy (no login yet)."""
LINK_LIMIT_PER_MINUTE = 120


@dataclass(frozen=True)
class Attribution:
    """Where an answer came from; stored on the response."""

    channel: str = "web"
    unit_id: int | None = None
    kiosk_id: int | None = None
    link_id: int | None = None
    device: str | None = None
    """Fixed device class (kiosk, paper); otherwise derived from the User-Agent and not stored."""


def render_form(
    request: Request[Any, Any, Any],
    survey: SurveyInfo,
    *,
    action: str,
    result: FormResult | None = None,
    stamp: str | None = None,
    status: int = 200,
    template: str = "public/form.html",
    **context: Any,
) -> Template:
    """The form page (or, for htmx after a failed POST, only the form)."""
    q = survey.version.questionnaire
    if is_htmx(request) and result is not None:
        template = "public/_form.html"
    return page(
        request,
        template,
        status_code=status,
        languages=q.languages,
        survey=survey,
        q=q,
        action=action,
        errors=result.errors if result else {},
        values=result.values if result else {},
        idempotency_key=str(result.idempotency_key if result else uuid.uuid4()),
        # after a failed post keep the stamp already verified, so a quick correction is not "too fast"
        form_started=stamp or form_stamp(request.app.state.settings.secret_key),
        **context,
    )


def answer_language(fields: dict[str, list[str]]) -> None:
    """Use the language the form was shown in (its ``lang`` field), not the cookie at posting time.

    Matters for a kiosk replaying answers after it has switched back to Polish.
    """
    posted = next(iter(fields.get("lang", ())), None)
    if posted in i18n.SUPPORTED:
        i18n.set_language(posted)


async def read_form(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise BadInput("expected a form submission")
    form = await request.form()
    return {key: [v for v in form.getall(key) if isinstance(v, str)] for key in form}


async def submit_form(
    request: Request[Any, Any, Any],
    slug: str,
    *,
    action: str,
    thanks: str,
    attribution: Attribution,
    fields: dict[str, list[str]] | None = None,
    template: str = "public/form.html",
    **context: Any,
) -> Response[Any]:
    """Validate and store one answer; 303 (or HX-Redirect) to ``thanks``, or 422 with every error."""
    fields = fields if fields is not None else await read_form(request)
    answer_language(fields)
    settings = request.app.state.settings
    if attribution.channel in PUBLIC_CHANNELS:
        check_human(fields, settings.secret_key, settings.min_form_seconds)
    async with acquire(request.app.state.pool) as conn:
        survey = await as_shown(
            conn, await _recent_survey(request, conn, slug), next(iter(fields.get("questionnaire_version", ())), None)
        )
        if attribution.channel in PUBLIC_CHANNELS:
            if settings.survey_rate_limit:
                await limit(conn, f"survey:{survey.id}", settings.survey_rate_limit, 60)
            if attribution.link_id is not None:
                await limit(conn, f"link:{attribution.link_id}", LINK_LIMIT_PER_MINUTE, 60)
        result = validate_form(survey.version.questionnaire, fields, service_types=list(survey.service_types))
        if result.submission is None:
            return render_form(  # type: ignore[return-value]
                request,
                survey,
                action=action,
                result=result,
                stamp=next(iter(fields.get(STAMP, ())), None),
                status=422,
                template=template,
                **context,
            )
        try:
            await store_response(
                conn,
                survey,
                result.submission,
                channel=attribution.channel,
                device=attribution.device or device_class(request.headers.get("user-agent")),
                language=i18n.current_language(),
                unit_id=attribution.unit_id,
                kiosk_id=attribution.kiosk_id,
                link_id=attribution.link_id,
                require_open=True,
            )
        except SurveyClosed:
            request.app.state.survey_cache.pop(slug, None)
            raise
    if is_htmx(request):
        return Response(content="", status_code=200, headers={"HX-Redirect": thanks})
    return Redirect(path=thanks, status_code=303)


SURVEY_CACHE_SECONDS = 10.0


async def _recent_survey(request: Request[Any, Any, Any], conn: Any, slug: str) -> SurveyInfo:
    """The survey as looked up at most a few seconds ago by this worker.

    Saves a query on the busiest path. It is safe because the store statement
    itself checks that the survey is still open (``require_open``), and a
    respondent's answers belong to the version they were shown anyway.
    """
    cache: dict[str, tuple[float, SurveyInfo]] = request.app.state.survey_cache
    now = time.monotonic()
    cached = cache.get(slug)
    if cached is not None and now - cached[0] < SURVEY_CACHE_SECONDS:
        return cached[1]
    survey = await open_survey(conn, slug)
    cache[slug] = (now, survey)
    return survey


class PublicFormController(Controller):
    path = "/s"
    include_in_schema = False

    @get("/{slug:str}", name="survey_form")
    async def show(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            survey = await open_survey(conn, slug)
        return render_form(request, survey, action=f"/s/{slug}")

    @post("/{slug:str}", name="survey_submit", request_max_body_size=MAX_FORM_BYTES)
    async def submit(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        return await submit_form(
            request, slug, action=f"/s/{slug}", thanks=f"/s/{slug}/thanks", attribution=Attribution()
        )

    @get("/{slug:str}/thanks", name="survey_thanks")
    async def thanks(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            survey = await open_survey(conn, slug)
        return page(
            request,
            "public/thanks.html",
            languages=survey.version.questionnaire.languages,
            survey=survey,
            q=survey.version.questionnaire,
            again=f"/s/{slug}",
        )
