"""The count tables: kept current from the pending queue, read by every report.

A submission adds its response id to ``count_pending`` in its own
transaction. :func:`refresh_counts` moves everything pending into
``answer_count`` and ``response_count`` in one statement, so a report costs
the number of groups, not the number of responses. Months are calendar months
in Polish time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

_REFRESH_LOCK = 0x434F_554E  # "COUN"

_REFRESH_SQL = """
WITH pending AS (
    DELETE FROM count_pending RETURNING response_id
), fresh AS (
    SELECT r.id, r.organisation_id, r.survey_id, r.unit_id, r.service_type_id, r.channel,
           date_trunc('month', r.submitted_hour, 'Europe/Warsaw')::date AS month, r.flagged
    FROM response r JOIN pending p ON p.response_id = r.id
), responses AS (
    INSERT INTO response_count AS c
        (organisation_id, survey_id, unit_id, service_type_id, channel, month, flagged, n)
    SELECT organisation_id, survey_id, unit_id, service_type_id, channel, month, flagged, count(*)
    FROM fresh
    GROUP BY organisation_id, survey_id, unit_id, service_type_id, channel, month, flagged
    ON CONFLICT (survey_id, unit_id, service_type_id, channel, month, flagged)
    DO UPDATE SET n = c.n + EXCLUDED.n
    RETURNING 1
)
INSERT INTO answer_count AS c
    (organisation_id, survey_id, item_id, unit_id, service_type_id, channel, month, flagged, value, n)
SELECT f.organisation_id, f.survey_id, a.item_id, f.unit_id, f.service_type_id, f.channel,
       f.month, f.flagged, a.value, count(*)
FROM fresh f JOIN answer a ON a.response_id = f.id
GROUP BY f.organisation_id, f.survey_id, a.item_id, f.unit_id, f.service_type_id, f.channel,
         f.month, f.flagged, a.value
ON CONFLICT (survey_id, item_id, unit_id, service_type_id, channel, month, flagged, value)
DO UPDATE SET n = c.n + EXCLUDED.n
"""


async def refresh_counts(conn: asyncpg.Connection[Any]) -> None:
    """Fold every pending response into the count tables (serialised by an advisory lock)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _REFRESH_LOCK)
        await conn.execute(_REFRESH_SQL)


@dataclass(frozen=True)
class CountRow:
    item_code: str
    unit_id: int | None
    month: date
    value: int
    n: int


async def item_counts(conn: asyncpg.Connection[Any], survey_id: int, *, since: date, until: date) -> list[CountRow]:
    """Counts per item code × unit × month × value (flagged responses left out).

    Items are matched across questionnaire versions by their code, so a trend
    spans versions as long as the item keeps its code and scale.
    """
    rows = await conn.fetch(
        """SELECT i.code, c.unit_id, c.month, c.value, sum(c.n)::bigint AS n
           FROM answer_count c JOIN item i ON i.id = c.item_id
           WHERE c.survey_id = $1 AND NOT c.flagged AND c.month >= $2 AND c.month <= $3
           GROUP BY i.code, c.unit_id, c.month, c.value""",
        survey_id,
        since,
        until,
    )
    return [CountRow(r["code"], r["unit_id"], r["month"], r["value"], r["n"]) for r in rows]


async def response_totals(
    conn: asyncpg.Connection[Any], survey_id: int, *, since: date, until: date, flagged: bool = False
) -> dict[tuple[int | None, date], int]:
    """Responses per (unit, month); ``flagged=True`` counts the flagged ones instead."""
    rows = await conn.fetch(
        """SELECT unit_id, month, sum(n)::bigint AS n FROM response_count
           WHERE survey_id = $1 AND flagged = $4 AND month >= $2 AND month <= $3
           GROUP BY unit_id, month""",
        survey_id,
        since,
        until,
        flagged,
    )
    return {(r["unit_id"], r["month"]): r["n"] for r in rows}


def pivot(rows: list[CountRow]) -> dict[str, dict[tuple[int | None, date], dict[int, int]]]:
    """item code → (unit, month) → value → n."""
    table: dict[str, dict[tuple[int | None, date], dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        cell = table[row.item_code][(row.unit_id, row.month)]
        cell[row.value] = cell.get(row.value, 0) + row.n
    return table
