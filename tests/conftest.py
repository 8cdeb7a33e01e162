"""Shared fixtures: a real PostgreSQL, a migrated template database, one clone per test.

The server is the embedded one (``pgserver``) in a temporary folder, or the
one named by ``TEST_DATABASE_URL``. Migrations and the built-in questionnaire
library go into a template database once per session; every test gets its own
database cloned from it (``CREATE DATABASE … TEMPLATE``), so tests are
isolated and fast.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey.app import create_app
from survey.db.embedded import embedded_database_url, stop_embedded
from survey.db.migrate import migrate
from survey.db.pool import connect
from survey.settings import Settings
from survey.setup import ensure_organisation, ensure_service_type, ensure_survey, ensure_unit, install_library

TEMPLATE_DB = "survey_test_template"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    pg_dir = tmp_path_factory.mktemp("pg") / "data"
    yield embedded_database_url(pg_dir)
    stop_embedded(pg_dir)


@pytest.fixture(scope="session")
async def template_url(server_url: str) -> str:
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    url = with_database(server_url, TEMPLATE_DB)
    conn = await connect(url)
    try:
        await migrate(conn)
        await install_library(conn)
    finally:
        await conn.close()
    return url


@pytest.fixture
async def db_url(server_url: str, template_url: str) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
        yield with_database(server_url, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await connect(db_url)
    yield connection
    await connection.close()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url, data_dir=tmp_path, secret_key="test-secret-" + "x" * 20, pool_size=4, min_form_seconds=0
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
async def office(conn: asyncpg.Connection[Any]) -> dict[str, Any]:
    """One office with two units, three service types and the resident survey at /s/test-klient."""
    org = await ensure_organisation(conn, "um-test", "Urząd Miasta Testowo")
    units = {
        "bok": await ensure_unit(conn, org, "bok", "Biuro Obsługi Klienta"),
        "podatki": await ensure_unit(conn, org, "podatki", "Wydział Podatków"),
    }
    services = {
        code: await ensure_service_type(conn, org, code, name)
        for code, name in [("dowod", "Dowód osobisty"), ("meldunek", "Meldunek"), ("podatki", "Podatki")]
    }
    survey = await ensure_survey(conn, org, "klient-urzedu", "test-klient", unit_id=units["bok"])
    kiosk = await ensure_survey(conn, org, "kiosk-buzka", "test-kiosk", unit_id=units["bok"])
    return {"organisation": org, "units": units, "services": services, "survey": survey, "kiosk_survey": kiosk}
