"""Store a validated submission exactly once, and look up the survey it belongs to.

The response, its answers and its entry in the count queue are written in one
transaction. The idempotency key is UNIQUE: a retry, a double tap or a replay
from a kiosk's offline queue finds the first row and stores nothing more. The
caller answers 2xx only after this function returns, i.e. after COMMIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from survey.collection.form import Submission
from survey.errors import Gone, NotFound
from survey.questionnaires.store import StoredVersion, latest_published


@dataclass(frozen=True)
class SurveyInfo:
    id: int
    slug: str
    organisation_id: int
    organisation_name: str
    unit_id: int | None
    version: StoredVersion
    service_types: dict[int, str]


async def open_survey(
    conn: asyncpg.Connection[Any], slug: str, *, today: date | None = None, allow_closed: bool = False
) -> SurveyInfo:
    """The survey behind ``/s/<slug>`` with its current published version.

    Raises NotFound for an unknown slug and Gone for a closed survey (unless
    ``allow_closed``, as reports of closed surveys stay readable).
    """
    row = await conn.fetchrow(
        """SELECT s.id, s.slug, s.organisation_id, o.name AS organisation_name, s.unit_id,
                  s.is_open, s.opens_on, s.closes_on, q.slug AS questionnaire_slug,
                  current_date AS today
           FROM survey s JOIN organisation o ON o.id = s.organisation_id
                         JOIN questionnaire q ON q.id = s.questionnaire_id
           WHERE s.slug = $1""",
        slug,
    )
    if row is None:
        raise NotFound("survey", slug)
    today = today or row["today"]
    if not allow_closed and (not row["is_open"] or (row["opens_on"] and today < row["opens_on"])
            or (row["closes_on"] and today > row["closes_on"])):
        raise Gone(slug)
    version = await latest_published(conn, row["questionnaire_slug"])
    service_types = {
        r["id"]: r["name"]
        for r in await conn.fetch(
            "SELECT id, name FROM service_type WHERE organisation_id = $1 ORDER BY name",
            row["organisation_id"],
        )
    }
    return SurveyInfo(
        id=row["id"],
        slug=row["slug"],
        organisation_id=row["organisation_id"],
        organisation_name=row["organisation_name"],
        unit_id=row["unit_id"],
        version=version,
        service_types=service_types,
    )


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
) -> tuple[int, bool]:
    """Store the submission; return (response id, True) or (existing id, False) on a replay.

    ``hour`` overrides the submission time (already truncated to the hour or
    coarser), e.g. for paper forms keyed in later or staff answers stored with
    the wave's date only. ``flag_reason`` stores the response as flagged
    (e.g. ``repeat_taps``): kept and visible, but left out of statistics.
    """
    version = survey.version
    async with conn.transaction():
        response_id = await conn.fetchval(
            """INSERT INTO response (organisation_id, survey_id, questionnaire_version_id, unit_id,
                                     service_type_id, channel, device, kiosk_id, link_id, language,
                                     submitted_hour, idempotency_key, flagged, flag_reason)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                       date_trunc('hour', coalesce($11, now())), $12, $13 IS NOT NULL, $13)
               ON CONFLICT (idempotency_key) DO NOTHING
               RETURNING id""",
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
        )
        if response_id is None:
            existing = await conn.fetchval(
                "SELECT id FROM response WHERE idempotency_key = $1", submission.idempotency_key
            )
            return existing, False
        item_ids: list[int] = []
        values: list[int] = []
        for code, codes in submission.values.items():
            item_ids.extend([version.item_ids[code]] * len(codes))
            values.extend(codes)
        if item_ids:
            await conn.execute(
                """INSERT INTO answer (response_id, item_id, value)
                   SELECT $1, i, v FROM unnest($2::bigint[], $3::smallint[]) AS t(i, v)""",
                response_id,
                item_ids,
                values,
            )
        if submission.texts:
            await conn.execute(
                """INSERT INTO answer_text (response_id, item_id, body)
                   SELECT $1, i, b FROM unnest($2::bigint[], $3::text[]) AS t(i, b)""",
                response_id,
                [version.item_ids[code] for code in submission.texts],
                list(submission.texts.values()),
            )
        await conn.execute("INSERT INTO count_pending (response_id) VALUES ($1)", response_id)
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
