"""Numbered SQL migrations, applied in order and recorded with checksums.

Files are ``survey/db/migrations/NNNN_slug.sql``. Each missing one is applied in
its own transaction while holding an advisory lock, so concurrent workers
starting together apply it once. The runner refuses a database that has a
migration the code does not know (the database is ahead of the code) or whose
applied file has since been edited (checksum mismatch).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x5355_5256  # "SURV"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The database schema and the code disagree; the message says how."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name not understood: {path.name}")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


async def migrate(conn: asyncpg.Connection[Any], directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every pending migration; return the versions applied."""
    migrations = load_migrations(directory)
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migration (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migration ORDER BY version")
        known = {m.version: m for m in migrations}
        for row in rows:
            local = known.get(row["version"])
            if local is None:
                raise MigrationError(
                    f"the database has migration {row['version']:04d}_{row['name']}, which this "
                    "version of the code does not know: the database is ahead of the code; "
                    "upgrade the code before starting it"
                )
            if local.checksum != row["checksum"]:
                raise MigrationError(
                    f"migration {local.version:04d}_{local.name}.sql was edited after it was applied "
                    "(checksum differs); add a new migration instead of editing an applied one"
                )
        done = {row["version"] for row in rows}
        for migration in migrations:
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(migration.version)
    return applied_now
