"""Questionnaires in the database: import as a draft, publish (freeze), export, load.

A published version is frozen by a trigger; importing a changed file for a
questionnaire whose latest version is published creates the next version as a
draft. Responses always point at the exact version they answered, so trends
stay comparable and a change of wording is visible.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec

from survey.errors import NotFound
from survey.questionnaires.model import NOT_APPLICABLE, Questionnaire, questionnaire_from_dict


@dataclass(frozen=True)
class StoredVersion:
    questionnaire_id: int
    version_id: int
    version: int
    status: str
    questionnaire: Questionnaire
    item_ids: dict[str, int]


def _checksum(q: Questionnaire) -> str:
    return hashlib.sha256(msgspec.json.encode(q)).hexdigest()


async def _insert_items(conn: asyncpg.Connection[Any], version_id: int, q: Questionnaire) -> None:
    rows = []
    for position, item in enumerate(q.items, start=1):
        scale = q.scale_of(item)
        rows.append(
            (
                version_id,
                position,
                item.id,
                item.type,
                scale.min if scale else None,
                scale.max if scale else None,
                scale.top if scale else [],
                scale.bottom if scale else [],
                NOT_APPLICABLE if item.not_applicable else None,
                item.required,
            )
        )
    await conn.executemany(
        """INSERT INTO item (questionnaire_version_id, position, code, kind, scale_min, scale_max,
                             top_codes, bottom_codes, not_applicable_code, required)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        rows,
    )


async def import_questionnaire(
    conn: asyncpg.Connection[Any], q: Questionnaire, *, organisation_id: int | None = None
) -> StoredVersion:
    """Store ``q`` as the questionnaire's draft (a new version if the latest is published).

    Importing a file identical to the latest version changes nothing.
    """
    checksum = _checksum(q)
    async with conn.transaction():
        qid = await conn.fetchval(
            """INSERT INTO questionnaire (slug, audience, organisation_id) VALUES ($1, $2, $3)
               ON CONFLICT (slug) DO UPDATE SET audience = EXCLUDED.audience
               RETURNING id""",
            q.slug,
            q.audience,
            organisation_id,
        )
        latest = await conn.fetchrow(
            """SELECT id, version, status, checksum FROM questionnaire_version
               WHERE questionnaire_id = $1 ORDER BY version DESC LIMIT 1 FOR UPDATE""",
            qid,
        )
        if latest is not None and latest["checksum"] == checksum:
            return await load_version(conn, latest["id"])
        if latest is not None and latest["status"] == "draft":
            await conn.execute("DELETE FROM item WHERE questionnaire_version_id = $1", latest["id"])
            await conn.execute(
                "UPDATE questionnaire_version SET definition = $2, checksum = $3 WHERE id = $1",
                latest["id"],
                msgspec.to_builtins(q),
                checksum,
            )
            version_id = latest["id"]
        else:
            version_id = await conn.fetchval(
                """INSERT INTO questionnaire_version (questionnaire_id, version, definition, checksum)
                   VALUES ($1, $2, $3, $4) RETURNING id""",
                qid,
                (latest["version"] + 1) if latest else 1,
                msgspec.to_builtins(q),
                checksum,
            )
        await _insert_items(conn, version_id, q)
        return await load_version(conn, version_id)


async def publish(conn: asyncpg.Connection[Any], slug: str) -> StoredVersion:
    """Publish the questionnaire's draft; from then on it is frozen."""
    version_id = await conn.fetchval(
        """UPDATE questionnaire_version v SET status = 'published', published_at = now()
           FROM questionnaire q
           WHERE q.id = v.questionnaire_id AND q.slug = $1 AND v.status = 'draft'
           RETURNING v.id""",
        slug,
    )
    if version_id is None:
        current = await latest_published(conn, slug)
        return current
    return await load_version(conn, version_id)


async def load_version(conn: asyncpg.Connection[Any], version_id: int) -> StoredVersion:
    row = await conn.fetchrow(
        """SELECT v.id, v.questionnaire_id, v.version, v.status, v.definition
           FROM questionnaire_version v WHERE v.id = $1""",
        version_id,
    )
    if row is None:
        raise NotFound("questionnaire_version", version_id)
    items = await conn.fetch("SELECT code, id FROM item WHERE questionnaire_version_id = $1", version_id)
    return StoredVersion(
        questionnaire_id=row["questionnaire_id"],
        version_id=row["id"],
        version=row["version"],
        status=row["status"],
        questionnaire=questionnaire_from_dict(row["definition"]),
        item_ids={r["code"]: r["id"] for r in items},
    )


async def latest_published(conn: asyncpg.Connection[Any], slug: str) -> StoredVersion:
    version_id = await conn.fetchval(
        """SELECT v.id FROM questionnaire_version v JOIN questionnaire q ON q.id = v.questionnaire_id
           WHERE q.slug = $1 AND v.status = 'published' ORDER BY v.version DESC LIMIT 1""",
        slug,
    )
    if version_id is None:
        raise NotFound("questionnaire", slug)
    return await load_version(conn, version_id)


async def find_version(conn: asyncpg.Connection[Any], ref: str) -> StoredVersion:
    """A version by ``slug`` (latest), ``slug@N`` or numeric version id, for export."""
    if ref.isdigit():
        return await load_version(conn, int(ref))
    slug, _, number = ref.partition("@")
    if number:
        version_id = await conn.fetchval(
            """SELECT v.id FROM questionnaire_version v JOIN questionnaire q ON q.id = v.questionnaire_id
               WHERE q.slug = $1 AND v.version = $2""",
            slug,
            int(number) if number.isdigit() else -1,
        )
    else:
        version_id = await conn.fetchval(
            """SELECT v.id FROM questionnaire_version v JOIN questionnaire q ON q.id = v.questionnaire_id
               WHERE q.slug = $1 ORDER BY v.version DESC LIMIT 1""",
            slug,
        )
    if version_id is None:
        raise NotFound("questionnaire", ref)
    return await load_version(conn, version_id)
