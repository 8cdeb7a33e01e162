"""Set-up helpers shared by the CLI, the demo and the tests.

Installs the built-in questionnaire library and creates organisations, units,
service types and surveys, each idempotently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg

from survey.questionnaires.model import parse_questionnaire
from survey.questionnaires.store import StoredVersion, import_questionnaire, publish

LIBRARY_DIR = Path(__file__).parent / "questionnaires" / "library"


async def install_library(conn: asyncpg.Connection[Any]) -> dict[str, StoredVersion]:
    """Import and publish every built-in questionnaire; return them by slug."""
    installed = {}
    for path in sorted(LIBRARY_DIR.glob("*.toml")):
        q = parse_questionnaire(path.read_text(encoding="utf-8"), name=path.name)
        await import_questionnaire(conn, q)
        installed[q.slug] = await publish(conn, q.slug)
    return installed


async def ensure_organisation(conn: asyncpg.Connection[Any], slug: str, name: str) -> int:
    return await conn.fetchval(
        """INSERT INTO organisation (slug, name) VALUES ($1, $2)
           ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id""",
        slug,
        name,
    )


async def ensure_unit(
    conn: asyncpg.Connection[Any],
    organisation_id: int,
    slug: str,
    name: str,
    *,
    kind: str = "department",
    headcount: int | None = None,
) -> int:
    return await conn.fetchval(
        """INSERT INTO unit (organisation_id, slug, name, kind, headcount) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (organisation_id, slug) DO UPDATE SET name = EXCLUDED.name,
               headcount = EXCLUDED.headcount
           RETURNING id""",
        organisation_id,
        slug,
        name,
        kind,
        headcount,
    )


async def ensure_service_type(conn: asyncpg.Connection[Any], organisation_id: int, code: str, name: str) -> int:
    return await conn.fetchval(
        """INSERT INTO service_type (organisation_id, code, name) VALUES ($1, $2, $3)
           ON CONFLICT (organisation_id, code) DO UPDATE SET name = EXCLUDED.name RETURNING id""",
        organisation_id,
        code,
        name,
    )


async def ensure_survey(
    conn: asyncpg.Connection[Any],
    organisation_id: int,
    questionnaire_slug: str,
    slug: str,
    *,
    unit_id: int | None = None,
) -> int:
    return await conn.fetchval(
        """INSERT INTO survey (organisation_id, questionnaire_id, slug, unit_id)
           SELECT $1, q.id, $3, $4 FROM questionnaire q WHERE q.slug = $2
           ON CONFLICT (slug) DO UPDATE SET questionnaire_id = EXCLUDED.questionnaire_id
           RETURNING id""",
        organisation_id,
        questionnaire_slug,
        slug,
        unit_id,
    )
