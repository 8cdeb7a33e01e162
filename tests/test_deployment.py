"""Deployment files: compose runs migrations before the app, against a PostgreSQL 16 server."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_app_uses_the_database_service_and_migrates_first() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    app, migrate = services["app"], services["migrate"]
    assert "@db:5432/" in app["environment"]["DATABASE_URL"]
    assert app["environment"]["DATABASE_URL"] == migrate["environment"]["DATABASE_URL"]
    assert migrate["command"] == ["survey", "migrate"]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"


def test_ci_script_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make run" in readme
    assert "\nmake test" in ci
    assert "SURVEY_REQUIRE_BROWSER=1" in ci


def test_vendored_htmx_matches_package_json() -> None:
    import json

    version = json.loads((ROOT / "package.json").read_text())["dependencies"]["htmx.org"]
    vendored = ROOT / "survey" / "static" / "vendor" / f"htmx-{version}.min.js"
    assert vendored.is_file()
    assert version.startswith("2.0.")
