"""Languages: the request's locale, gettext catalogs and Polish number/date formats.

Catalogs are the ``.po`` files in ``locales/<lang>/LC_MESSAGES/messages.po``,
compiled in memory at start-up (nothing to build). The current locale lives in
a ContextVar set per request, so templates and Python code share it. Polish has
three plural forms; ``ngettext`` receives integers only, decimals are
formatted separately with babel (``4,25``, ``22 listopada 2026``).
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

from survey.settings import PROJECT_ROOT

LOCALES_DIR = PROJECT_ROOT / "locales"
SUPPORTED = ("pl", "en", "uk")
DEFAULT = "pl"
LANGUAGE_NAMES = {"pl": "polski", "en": "English", "uk": "українська"}

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    _current.set(language if language in SUPPORTED else DEFAULT)


@cache
def translations(language: str) -> NullTranslations:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(message: str, **variables: object) -> str:
    text = translations(current_language()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_language()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext


def babel_locale() -> Locale:
    return Locale.parse({"pl": "pl_PL", "en": "en_GB", "uk": "uk_UA"}[current_language()])


def fmt_number(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=babel_locale())


def fmt_percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value, format=pattern, locale=babel_locale())


def fmt_date(value: date | datetime, form: str = "long") -> str:
    return format_date(value, format=form, locale=babel_locale())


def fmt_month(value: date) -> str:
    return format_date(value, format="LLLL y", locale=babel_locale())


def pick_language(
    query: str | None, cookie: str | None, accept: str | None, allowed: tuple[str, ...] | list[str] = SUPPORTED
) -> str:
    """The first supported language from ?lang=, the cookie, then Accept-Language."""
    for candidate in (query, cookie):
        if candidate in allowed:
            return candidate
    if accept:
        weighted = []
        for part in accept.split(","):
            tag, _, params = part.strip().partition(";")
            q = 1.0
            if params.strip().startswith("q="):
                try:
                    q = float(params.strip()[2:])
                except ValueError:
                    q = 0.0
            weighted.append((q, tag.strip().lower()[:2]))
        for _q, tag in sorted(weighted, key=lambda t: -t[0]):
            if tag in allowed:
                return tag
    return DEFAULT if DEFAULT in allowed else allowed[0]


def localized(text: dict[str, str] | None, language: str | None = None) -> str:
    """A questionnaire text in the current language, falling back to Polish."""
    if not text:
        return ""
    language = language or current_language()
    return text.get(language) or text.get(DEFAULT) or next(iter(text.values()))
