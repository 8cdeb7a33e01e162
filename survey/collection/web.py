"""The public form: ``GET /s/<slug>`` shows it, ``POST /s/<slug>`` stores an answer.

Without JavaScript the form posts normally and gets a 303 to the thank-you
page, or the page again with status 422 and every error. With htmx only the
form is swapped, and a success answers with ``HX-Redirect``.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from survey import i18n
from survey.db.pool import acquire
from survey.collection.form import FormResult, validate_form
from survey.collection.store import SurveyInfo, device_class, open_survey, store_response
from survey.errors import BadInput
from survey.web import is_htmx, page

MAX_FORM_BYTES = 64 * 1024


def _form_context(survey: SurveyInfo, result: FormResult | None) -> dict[str, Any]:
    q = survey.version.questionnaire
    return {
        "survey": survey,
        "q": q,
        "errors": result.errors if result else {},
        "values": result.values if result else {},
        "idempotency_key": str(result.idempotency_key if result else uuid.uuid4()),
    }


def _survey_page(
    request: Request[Any, Any, Any], survey: SurveyInfo, result: FormResult | None, status: int
) -> Template:
    template = "public/_form.html" if is_htmx(request) and result else "public/form.html"
    ctx = _form_context(survey, result)
    return page(request, template, status_code=status, languages=survey.version.questionnaire.languages, **ctx)


class PublicFormController(Controller):
    path = "/s"
    include_in_schema = False

    @get("/{slug:str}", name="survey_form")
    async def show(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            survey = await open_survey(conn, slug)
        return _survey_page(request, survey, None, 200)

    @post("/{slug:str}", name="survey_submit", request_max_body_size=MAX_FORM_BYTES)
    async def submit(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            raise BadInput("expected a form submission")
        form = await request.form()
        fields = {key: [v for v in form.getall(key) if isinstance(v, str)] for key in form}
        pool: asyncpg.Pool[Any] = request.app.state.pool
        async with acquire(pool) as conn:
            survey = await open_survey(conn, slug)
            result = validate_form(
                survey.version.questionnaire, fields, service_types=list(survey.service_types)
            )
            if result.submission is None:
                return _survey_page(request, survey, result, 422)
            await store_response(
                conn,
                survey,
                result.submission,
                channel="web",
                device=device_class(request.headers.get("user-agent")),
                language=i18n.current_language(),
            )
        thanks = request.app.route_reverse("survey_thanks", slug=slug)
        if is_htmx(request):
            return Response(content="", status_code=200, headers={"HX-Redirect": thanks})
        return Redirect(path=thanks, status_code=303)

    @get("/{slug:str}/thanks", name="survey_thanks")
    async def thanks(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            survey = await open_survey(conn, slug)
        return page(
            request, "public/thanks.html", languages=survey.version.questionnaire.languages, survey=survey,
            q=survey.version.questionnaire,
        )
