"""``survey demo``: realistic volume, patterns and the unit whose satisfaction drops."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from survey.demo import create_demo


async def test_demo_dataset_has_the_promised_shape(conn: asyncpg.Connection[Any]) -> None:
    now = datetime(2026, 11, 22, 12)
    progress: list[int] = []
    loaded = await create_demo(conn, responses=6000, now=now, progress=progress.append)
    assert loaded["resident"] == 6000 and loaded["employee"] > 100
    assert sum(progress) == loaded["resident"] + loaded["employee"]
    assert await conn.fetchval("SELECT count(*) FROM organisation") == 3
    assert await conn.fetchval("SELECT count(*) FROM response WHERE channel <> 'staff'") == 6000
    assert await conn.fetchval("SELECT count(*) FROM count_pending") == 0  # counts are current

    # weekdays only, office hours, hour-level timestamps, two years
    weekdays = {
        r[0]
        for r in await conn.fetch(
            "SELECT DISTINCT extract(isodow FROM submitted_hour AT TIME ZONE 'Europe/Warsaw') FROM response"
        )
    }
    assert weekdays <= {1, 2, 3, 4, 5}
    span = await conn.fetchval(
        "SELECT max(submitted_hour) - min(submitted_hour) FROM response WHERE channel <> 'staff'"
    )
    assert span.days > 700
    assert (
        await conn.fetchval("SELECT count(*) FROM response WHERE submitted_hour <> date_trunc('hour', submitted_hour)")
        == 0
    )
    channels = {r[0] for r in await conn.fetch("SELECT DISTINCT channel FROM response")}
    assert channels == {"web", "qr", "paper", "kiosk", "staff"}

    # Wydział Komunikacji of the city office: top-2-box of the overall rating falls in the last two quarters
    rows = await conn.fetch(
        """SELECT c.month >= date '2026-06-01' AS recent,
                  sum(c.n) FILTER (WHERE c.value >= 4)::float / sum(c.n) AS t2b
           FROM answer_count c JOIN item i ON i.id = c.item_id JOIN unit u ON u.id = c.unit_id
                JOIN organisation o ON o.id = u.organisation_id JOIN survey s ON s.id = c.survey_id
           WHERE o.slug = 'um-przykladowo' AND u.slug = 'komunikacja' AND i.code = 'ocena_ogolna'
                 AND s.slug = 'um-przykladowo-klient' AND c.value > 0
           GROUP BY 1"""
    )
    t2b = {r["recent"]: r["t2b"] for r in rows}
    assert t2b[False] - t2b[True] > 0.25

    # "nie dotyczy" is frequent on the accessibility item, and counts match the raw answers
    na = await conn.fetchval(
        """SELECT sum(n) FROM answer_count c JOIN item i ON i.id = c.item_id
           WHERE i.code = 'dostepnosc' AND c.value = -1"""
    )
    assert na > 500
    assert await conn.fetchval("SELECT sum(n) FROM answer_count") == await conn.fetchval("SELECT count(*) FROM answer")
