"""Store a validated submission exactly once, and look up the survey it belongs to.

The response, its answers and its entry in the count queue are written by one
statement (one transaction). The idempotency key is UNIQUE: a retry, a double tap or a replay
from a kiosk's offline queue finds the first row and stores nothing more. The
caller answers 2xx only after this function returns, i.e. after COMMIT.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import asyncpg

from survey.collection.form import Submission
from survey.errors import Gone, NotFound
from survey.questionnaires.store import StoredVersion, load_version


@dataclass(frozen=True)
class SurveyInfo:
    id: int
    slug: str
    organisation_id: int
    organisation_name: str
    unit_id: int | None
    version: StoredVersion
    service_types: dict[int, str]


class SurveyClosed(Gone):
    """The survey closed after it was looked up; nothing was stored."""


_VERSIONS: dict[tuple[str, int], StoredVersion] = {}
"""Published versions by (database, version id). A published version is frozen
by the database, so an entry never goes stale and every worker may keep its
own copy; nothing here is state another worker needs."""


async def _published_version(conn: asyncpg.Connection[Any], database: str, version_id: int) -> StoredVersion:
    version = _VERSIONS.get((database, version_id))
    if version is None:
        version = await load_version(conn, version_id)
        if version.status != "draft":
            if len(_VERSIONS) > 256:
                _VERSIONS.clear()
            _VERSIONS[(database, version_id)] = version
    return version


async def open_survey(
    conn: asyncpg.Connection[Any], slug: str, *, today: date | None = None, allow_closed: bool = False
) -> SurveyInfo:
    """The survey behind ``/s/<slug>`` with its current published version.

    Raises NotFound for an unknown slug or a questionnaire never published,
    and Gone for a closed survey (unless ``allow_closed``, as reports of
    closed surveys stay readable). One query; the version itself is cached.
    """
    row = await conn.fetchrow(
        """SELECT s.id, s.slug, s.organisation_id, o.name AS organisation_name, s.unit_id,
                  s.is_open, s.opens_on, s.closes_on, current_date AS today,
                  current_database() || '@' || pg_postmaster_start_time() AS database,
                  (SELECT v.id FROM questionnaire_version v
                   WHERE v.questionnaire_id = s.questionnaire_id AND v.status = 'published'
                   ORDER BY v.version DESC LIMIT 1) AS version_id,
                  (SELECT coalesce(array_agg(t.id ORDER BY t.name), '{}') FROM service_type t
                   WHERE t.organisation_id = s.organisation_id) AS service_type_ids,
                  (SELECT coalesce(array_agg(t.name ORDER BY t.name), '{}') FROM service_type t
                   WHERE t.organisation_id = s.organisation_id) AS service_type_names
           FROM survey s JOIN organisation o ON o.id = s.organisation_id
           WHERE s.slug = $1""",
        slug,
    )
    if row is None or row["version_id"] is None:
        raise NotFound("survey", slug)
    today = today or row["today"]
    if not allow_closed and (
        not row["is_open"]
        or (row["opens_on"] and today < row["opens_on"])
        or (row["closes_on"] and today > row["closes_on"])
    ):
        raise Gone(slug)
    return SurveyInfo(
        id=row["id"],
        slug=row["slug"],
        organisation_id=row["organisation_id"],
        organisation_name=row["organisation_name"],
        unit_id=row["unit_id"],
        version=await _published_version(conn, row["database"], row["version_id"]),
        service_types=dict(zip(row["service_type_ids"], row["service_type_names"], strict=True)),
    )


async def as_shown(conn: asyncpg.Connection[Any], survey: SurveyInfo, version_id: str | None) -> SurveyInfo:
    """The survey with the questionnaire version the respondent was shown.

    A form opened before a new version was published is still answered, and
    stored, against the version it showed. Anything else keeps the current one.
    """
    if not version_id or not version_id.isdigit() or int(version_id) == survey.version.version_id:
        return survey
    database = await conn.fetchval("SELECT current_database() || '@' || pg_postmaster_start_time()")
    try:
        shown = await _published_version(conn, database, int(version_id))
    except NotFound:
        return survey
    if shown.status == "draft" or shown.questionnaire_id != survey.version.questionnaire_id:
        return survey
    return replace(survey, version=shown)


_STORE_SQL = """
WITH new AS (
    INSERT INTO response (organisation_id, survey_id, questionnaire_version_id, unit_id,
                          service_type_id, channel, device, kiosk_id, link_id, language,
                          submitted_hour, idempotency_key, flagged, flag_reason)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
           date_trunc('hour', coalesce($11, now())), $12, $13::text IS NOT NULL, $13::text
    FROM survey s
    WHERE s.id = $2 AND (NOT $18 OR (s.is_open AND current_date >= coalesce(s.opens_on, current_date)
                                     AND current_date <= coalesce(s.closes_on, current_date)))
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id
), answers AS (
    INSERT INTO answer (response_id, item_id, value)
    SELECT new.id, a.item_id, a.value FROM new, unnest($14::bigint[], $15::smallint[]) AS a(item_id, value)
), texts AS (
    INSERT INTO answer_text (response_id, item_id, body)
    SELECT new.id, t.item_id, t.body FROM new, unnest($16::bigint[], $17::text[]) AS t(item_id, body)
), pending AS (
    INSERT INTO count_pending (response_id) SELECT id FROM new
)
SELECT id FROM new
"""


async def store_response(
    conn: asyncpg.Connection[Any],
    survey: SurveyInfo,
    submission: Submission,
    *,
    channel: str,
    device: str,
    language: str,
    unit_id: int | None = None,
    kiosk_id: int | None = None,
    link_id: int | None = None,
    hour: datetime | None = None,
    flag_reason: str | None = None,
    require_open: bool = False,
) -> tuple[int, bool]:
    """Store the submission; return (response id, True) or (existing id, False) on a replay.

    The response, its answers, its texts and its place in the count queue are
    written by one statement, so they are committed together or not at all.
    ``hour`` overrides the submission time (already truncated to the hour or
    coarser), e.g. for paper forms keyed in later or staff answers stored with
    the wave's date only. ``flag_reason`` stores the response as flagged
    (e.g. ``repeat_taps``): kept and visible, but left out of statistics.
    ``require_open`` stores nothing, and raises :class:`SurveyClosed`, unless
    the survey is open at this moment; callers working from a cached
    :class:`SurveyInfo` rely on it.
    """
    version = survey.version
    item_ids: list[int] = []
    values: list[int] = []
    for code, codes in submission.values.items():
        item_ids.extend([version.item_ids[code]] * len(codes))
        values.extend(codes)
    response_id = await conn.fetchval(
        _STORE_SQL,
        survey.organisation_id,
        survey.id,
        version.version_id,
        unit_id if unit_id is not None else survey.unit_id,
        submission.service_type_id,
        channel,
        device,
        kiosk_id,
        link_id,
        language,
        hour,
        submission.idempotency_key,
        flag_reason,
        item_ids,
        values,
        [version.item_ids[code] for code in submission.texts],
        list(submission.texts.values()),
        require_open,
    )
    if response_id is None:
        existing = await conn.fetchval("SELECT id FROM response WHERE idempotency_key = $1", submission.idempotency_key)
        if existing is None:
            raise SurveyClosed(survey.slug)
        return existing, False
    return response_id, True


def device_class(user_agent: str | None) -> str:
    """A coarse device class from the User-Agent, which itself is never stored."""
    ua = user_agent or ""
    if not ua:
        return "unknown"
    if "iPad" in ua or "Tablet" in ua or ("Android" in ua and "Mobile" not in ua):
        return "tablet"
    if "Mobi" in ua or "iPhone" in ua:
        return "mobile"
    return "desktop"
