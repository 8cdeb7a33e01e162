"""The only wiring point: :func:`create_app` builds the Litestar application.

The lifespan opens the asyncpg pool (starting the embedded PostgreSQL when no
``DATABASE_URL`` is set) and applies pending migrations. Domain errors and
the database's connection errors are mapped to pages here, in one place.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, MediaType, Request, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine as Engine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from survey import i18n
from survey.channels.kiosk import KioskController
from survey.channels.links import LinkController
from survey.channels.paper import PaperController
from survey.channels.staff import StaffCodeController, StaffRateController
from survey.collection.web import PublicFormController
from survey.db.migrate import migrate
from survey.db.pool import acquire, create_pool, resolve_database_url
from survey.errors import SurveyError
from survey.reports.web import ResultsController
from survey.settings import PROJECT_ROOT, Settings, get_settings
from survey.web import language_middleware, make_environment, page

log = logging.getLogger(__name__)

DB_UNAVAILABLE = (
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.QueryCanceledError,
    ConnectionError,
    TimeoutError,
    OSError,
)


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where shown."""
    return message


_STATUS_MESSAGES = {
    400: (N_("Invalid request"), N_("The form sent could not be read. Please go back and try again.")),
    403: (N_("Request refused"), N_("The form has expired. Please reload the page and send it again.")),
    404: (N_("Page not found"), N_("There is no such page or survey. Check the address.")),
    405: (N_("Method not allowed"), N_("This address does not accept this kind of request.")),
    410: (N_("Survey closed"), N_("This survey is no longer collecting answers. Thank you for your interest.")),
    413: (N_("Too much data"), N_("The form sent is too large. Shorten the answers and try again.")),
    422: (N_("Check your answers"), N_("Some answers need correcting.")),
    429: (N_("Too many attempts"), N_("Please wait a moment and try again.")),
    500: (N_("Something went wrong"), N_("An unexpected error occurred. Please try again later.")),
    503: (N_("Service temporarily unavailable"), N_("We cannot save answers right now. Please try again in a moment.")),
}


def _error_response(request: Request[Any, Any, Any], status: int) -> Response[Any]:
    title, text = _STATUS_MESSAGES.get(status, _STATUS_MESSAGES[500])
    headers = {"Retry-After": "5"} if status == 503 else {}
    if request.url.path.startswith("/api/"):
        return Response(
            {"status": status, "error": i18n.gettext(title), "detail": i18n.gettext(text)},
            status_code=status,
            headers=headers,
            media_type=MediaType.JSON,
        )
    template = page(request, "error.html", status_code=status, title=title, text=text, status=status)
    template.headers.update(headers)
    return template  # type: ignore[return-value]


def _handle_survey_error(request: Request[Any, Any, Any], exc: SurveyError) -> Response[Any]:
    if exc.status >= 500:
        log.warning("request failed: %s", exc)
    return _error_response(request, exc.status)


def _handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return _error_response(request, exc.status_code)


def _handle_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.warning("database unavailable: %r", exc)
    return _error_response(request, 503)


def _lost_connection(exc: Exception) -> bool:
    """asyncpg reports a connection the server has just closed as a client-side error."""
    return isinstance(exc, asyncpg.exceptions.InternalClientError) or (
        isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc)
    )


def _handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, asyncpg.exceptions.DataError):  # e.g. an id in the address too large for bigint
        return _error_response(request, 404)
    if isinstance(exc, DB_UNAVAILABLE) or _lost_connection(exc):
        return _handle_unavailable(request, exc)
    if isinstance(exc, ExceptionGroup):
        inner = exc.exceptions[0]
        if isinstance(inner, SurveyError):
            return _handle_survey_error(request, inner)
        if isinstance(inner, DB_UNAVAILABLE):
            return _handle_unavailable(request, inner)
    log.exception("unexpected error", exc_info=exc)
    return _error_response(request, 500)


@get("/", name="home", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Template:
    async with acquire(request.app.state.pool) as conn:
        surveys = await conn.fetch(
            """SELECT s.slug, o.name AS organisation, q.slug AS questionnaire, q.audience,
                      v.definition->'title' AS title
               FROM survey s JOIN organisation o ON o.id = s.organisation_id
                             JOIN questionnaire q ON q.id = s.questionnaire_id
                             JOIN LATERAL (SELECT definition FROM questionnaire_version
                                           WHERE questionnaire_id = q.id AND status = 'published'
                                           ORDER BY version DESC LIMIT 1) v ON true
               WHERE s.is_open
               ORDER BY o.name, s.slug"""
        )
    return page(request, "home.html", surveys=surveys)


@get("/dostepnosc", name="accessibility_statement", include_in_schema=False)
async def accessibility_statement(request: Request[Any, Any, Any]) -> Template:
    """Deklaracja dostępności, required of every public body's website."""
    async with acquire(request.app.state.pool) as conn:
        organisations = [r["name"] for r in await conn.fetch("SELECT name FROM organisation ORDER BY name")]
    return page(request, "accessibility.html", organisations=organisations, settings=request.app.state.settings)


@get("/health", name="health", include_in_schema=False)
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    async with acquire(request.app.state.pool) as conn:
        await conn.fetchval("SELECT 1")
    return Response({"status": "ok"})


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        url = resolve_database_url(settings)
        pool = await create_pool(url, size=settings.pool_size)
        async with acquire(pool) as conn:
            applied = await migrate(conn)
            if applied:
                log.info("applied migrations %s", applied)
        app.state.pool = pool
        app.state.settings = settings
        app.state.survey_cache = {}
        try:
            yield
        finally:
            await pool.close()

    return Litestar(
        route_handlers=[
            home,
            health,
            PublicFormController,
            ResultsController,
            StaffCodeController,
            StaffRateController,
            PaperController,
            LinkController,
            KioskController,
            accessibility_statement,
            create_static_files_router(
                path="/static",
                directories=[PROJECT_ROOT / "survey" / "static"],
                name="static",
                include_in_schema=False,
                send_as_attachment=False,
            ),
        ],
        lifespan=[lifespan],
        template_config=TemplateConfig(instance=Engine.from_environment(make_environment())),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
            # The kiosk answers with a SameSite=Strict device cookie; its offline replays carry no form token.
            exclude=["/api/", "/kiosk/answer"],
        ),
        middleware=[language_middleware],
        exception_handlers={
            SurveyError: _handle_survey_error,
            HTTPException: _handle_http_error,
            Exception: _handle_unexpected,
        },
        request_max_body_size=256 * 1024,
        debug=settings.debug,
    )
