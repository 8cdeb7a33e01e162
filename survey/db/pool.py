"""The asyncpg connection pool and its per-connection set-up.

One pool per process, created in the application lifespan. Every connection
gets a JSONB codec (msgspec) and a statement timeout so a slow report can never
hang a worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
import msgspec

from survey.db.embedded import embedded_database_url
from survey.errors import Unavailable
from survey.settings import Settings


def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's when none is configured."""
    return settings.database_url or embedded_database_url(settings.pg_dir)


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: msgspec.json.encode(value).decode(),
        decoder=msgspec.json.decode,
        schema="pg_catalog",
    )


async def _keep_session(conn: asyncpg.Connection[Any]) -> None:
    """Nothing to reset on release: the service keeps no session state (no LISTEN,
    no session advisory locks, no SET), so asyncpg's default reset round trip is saved."""


async def create_pool(url: str, *, size: int = 10) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=size,
        init=_init_connection,
        reset=_keep_session,
        server_settings={
            "application_name": "survey",
            # The server cancels runaway statements; a client-side timeout per query would cost
            # a timer on every call of the hot submit path.
            "statement_timeout": "60000",
            "timezone": "Europe/Warsaw",
        },
    )
    assert pool is not None
    return pool


async def connect(url: str) -> asyncpg.Connection[Any]:
    """A single connection with the same codecs (CLI commands, migrations)."""
    conn: asyncpg.Connection[Any] = await asyncpg.connect(url, server_settings={"timezone": "Europe/Warsaw"})
    await _init_connection(conn)
    return conn


BROKEN_CONNECTION = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.InterfaceError,
    ConnectionError,
)
"""Errors after which a pooled connection must not be used again."""


@asynccontextmanager
async def acquire(pool: asyncpg.Pool[Any]) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A pooled connection; failing to get one means the database is unavailable (503)."""
    try:
        conn = await pool.acquire(timeout=10)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise Unavailable(f"cannot connect to the database: {exc!r}") from exc
    try:
        yield conn
    except BROKEN_CONNECTION as exc:
        if isinstance(exc, asyncpg.exceptions.DataError):  # bad input, healthy connection
            raise
        with suppress(asyncpg.InterfaceError):  # already detached by asyncpg itself
            conn.terminate()  # the pool replaces it instead of handing out a broken connection again
        raise
    finally:
        await pool.release(conn)
