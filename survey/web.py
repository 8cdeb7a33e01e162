"""Shared web plumbing: the Jinja environment, the request's language, page rendering.

Every page handler renders through :func:`page`, which puts the language,
the language switch and the formatting filters into the template context.
Rendering is synchronous inside the request, so the language ContextVar set
by :func:`language_middleware` is what gettext sees.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template
from litestar.types import ASGIApp, Receive, Scope, Send

from survey import i18n
from survey.questionnaires.scales import NOT_APPLICABLE_LABEL
from survey.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"
HTMX_FILE = "vendor/htmx-2.0.11.min.js"


def _gettext(message: str) -> str:
    return i18n.translations(i18n.current_language()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(i18n.current_language()).ngettext(singular, plural, n)


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        number=i18n.fmt_number,
        percent=i18n.fmt_percent,
        date=i18n.fmt_date,
        month=i18n.fmt_month,
        localized=i18n.localized,
        option_pairs=lambda options: [(o.code, i18n.localized(o.label)) for o in options],
    )
    env.globals.update(
        current_language=i18n.current_language,
        language_names=i18n.LANGUAGE_NAMES,
        htmx_file=HTMX_FILE,
        not_applicable_label=lambda: i18n.localized(NOT_APPLICABLE_LABEL),
    )
    return env


def language_middleware(app: ASGIApp) -> ASGIApp:
    """Set the request's language from ?lang=, the ``lang`` cookie or Accept-Language."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request: Request[Any, Any, Any] = Request(scope)
            i18n.set_language(
                i18n.pick_language(
                    request.query_params.get("lang"),
                    request.cookies.get("lang"),
                    request.headers.get("accept-language"),
                )
            )
        await app(scope, receive, send)

    return middleware


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    languages: list[str] | tuple[str, ...] = i18n.SUPPORTED,
    **context: Any,
) -> Template:
    """Render ``template`` with the shared context; remember an explicit ?lang= choice."""
    language = i18n.current_language()
    if language not in languages:
        language = i18n.DEFAULT
        i18n.set_language(language)
    cookies = []
    chosen = request.query_params.get("lang")
    if chosen in languages:
        cookies.append(Cookie(key="lang", value=chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True))
    return Template(
        template_name=template,
        context={"languages": list(languages), "path": request.url.path, **context},
        status_code=status_code,
        cookies=cookies,
        headers={"Vary": "HX-Request, Accept-Language, Cookie"},
    )


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"
