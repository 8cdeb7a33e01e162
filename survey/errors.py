"""The one family of domain errors, and how each maps to HTTP.

::

    SurveyError
    ├── NotFound            404  a questionnaire, survey or page does not exist
    ├── Gone                410  the survey exists but is closed
    ├── BadInput            400  malformed request (wrong encoding, bad fields)
    │   └── Forbidden       403  not allowed here (e.g. an unregistered kiosk)
    ├── TooMany             429  over a rate limit; retry later
    └── Unavailable         503  the database cannot be reached; retry later

Handlers in :mod:`survey.app` turn these, and the database's connection
errors, into a page or JSON in the user's language. Nothing raises a bare 500
on bad input: every refusal names what was wrong.
"""

from __future__ import annotations


class SurveyError(Exception):
    """Base of every domain error; ``status`` is the HTTP status it maps to."""

    status = 500
    message = "Wystąpił błąd."

    def __init__(self, *args: object) -> None:
        super().__init__(*args)


class NotFound(SurveyError):
    status = 404

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} not found: {key}")
        self.kind = kind
        self.key = key


class Gone(SurveyError):
    status = 410


class BadInput(SurveyError):
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Forbidden(BadInput):
    status = 403


class TooMany(SurveyError):
    status = 429


class Unavailable(SurveyError):
    status = 503
