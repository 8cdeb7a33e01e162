"""Numbered migrations: applied once, serialised, and refused when code and database disagree."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from survey.db.migrate import MIGRATIONS_DIR, MigrationError, load_migrations, migrate
from survey.db.pool import connect
from tests.conftest import with_database


async def test_template_is_fully_migrated_and_rerun_is_a_no_op(conn: asyncpg.Connection[Any]) -> None:
    versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migration ORDER BY 1")]
    assert versions == [m.version for m in load_migrations()]
    assert await migrate(conn) == []


async def test_concurrent_migrations_apply_once(server_url: str, tmp_path: Path) -> None:
    admin = await asyncpg.connect(server_url)
    await admin.execute('CREATE DATABASE "migrate_race"')
    try:
        url = with_database(server_url, "migrate_race")
        conns = [await connect(url) for _ in range(3)]
        results = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, len(load_migrations())]
        for c in conns:
            await c.close()
    finally:
        await admin.execute('DROP DATABASE "migrate_race" WITH (FORCE)')
        await admin.close()


async def test_edited_migration_is_refused(conn: asyncpg.Connection[Any], tmp_path: Path) -> None:
    edited = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, edited)
    first = sorted(edited.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="was edited after it was applied"):
        await migrate(conn, edited)


async def test_database_ahead_of_code_is_refused(conn: asyncpg.Connection[Any]) -> None:
    await conn.execute("INSERT INTO schema_migration (version, name, checksum) VALUES (999, 'future', 'x')")
    with pytest.raises(MigrationError, match="database is ahead of the code"):
        await migrate(conn)


def test_migration_files_are_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="without gaps"):
        load_migrations(tmp_path)
