"""The ``survey`` command: run the service, migrate, load demo data, manage questionnaires.

::

    survey run [--demo] [--workers N]      serve on http://127.0.0.1:8000
    survey migrate                         apply pending database migrations
    survey demo [--responses N]            load the demo offices and responses
    survey questionnaire import FILE [--publish]
    survey questionnaire export REF [-o FILE]
    survey questionnaire list
    survey staff wave SURVEY --name NAME   a wave of an employee survey with one-time codes
    survey staff codes WAVE --unit UNIT --count N [-o FILE.pdf]
    survey staff rate WAVE                 codes issued and used per unit
    survey paper import SURVEY FILE.csv [--dry-run] [--all-or-nothing]
    survey link add SURVEY --unit UNIT --location PLACE
    survey link list SURVEY
    survey link poster CODE [-o FILE.pdf]
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import click

from survey.db.migrate import MigrationError, migrate
from survey.db.pool import connect, resolve_database_url
from survey.i18n import gettext as _
from survey.i18n import ngettext
from survey.settings import get_settings

T = TypeVar("T")


def _with_connection(action: Callable[[asyncpg.Connection[Any]], Awaitable[T]], *, migrate_first: bool = True) -> T:
    async def run() -> T:
        conn = await connect(resolve_database_url(get_settings()))
        try:
            if migrate_first:
                await migrate(conn)
            return await action(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(run())
    except MigrationError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def main() -> None:
    """Satisfaction surveys for Polish local government."""


@main.command("migrate")
def migrate_command() -> None:
    """Apply pending database migrations."""

    async def action(conn: asyncpg.Connection[Any]) -> list[int]:
        return await migrate(conn)

    applied = _with_connection(action, migrate_first=False)
    click.echo(f"applied migrations: {applied}" if applied else "database is up to date")


def _load_demo(responses: int) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from survey.demo import OFFICES, create_demo

    staff = sum(int(sum(h for _s, _n, h in o.units) * 0.8) for o in OFFICES)
    with Progress(
        TextColumn("[bold]Loading demo responses"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
    ) as bar:
        task = bar.add_task("demo", total=responses + staff)

        async def action(conn: asyncpg.Connection[Any]) -> dict[str, int]:
            return await create_demo(conn, responses=responses, progress=lambda n: bar.advance(task, n))

        loaded = _with_connection(action)
    click.echo(f"loaded {loaded['resident']} resident and {loaded['employee']} employee responses")


@main.command("demo")
@click.option(
    "--responses",
    default=100_000,
    show_default=True,
    type=click.IntRange(1, 20_000_000),
    help="Number of resident responses to create.",
)
def demo_command(responses: int) -> None:
    """Create three demo offices with two years of responses."""
    _load_demo(responses)


@main.command("run")
@click.option("--host", default=None, help="Address to listen on (default SURVEY_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default SURVEY_PORT or 8000).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--demo/--no-demo", default=False, help="Load demo data first if the database has no responses.")
@click.option("--demo-responses", default=100_000, show_default=True, type=int)
def run_command(host: str | None, port: int | None, workers: int, demo: bool, demo_responses: int) -> None:
    """Serve the application (starting the embedded PostgreSQL when no DATABASE_URL is set)."""
    import uvicorn

    settings = get_settings()
    url = resolve_database_url(settings)
    os.environ["DATABASE_URL"] = url  # workers connect to the same server
    get_settings.cache_clear()

    async def count(conn: asyncpg.Connection[Any]) -> int:
        return int(await conn.fetchval("SELECT count(*) FROM response"))

    if demo and _with_connection(count) == 0:
        _load_demo(demo_responses)
    else:
        _with_connection(count)  # applies migrations once, before workers start
    uvicorn.run(
        "survey.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
    )


@main.group()
def questionnaire() -> None:
    """Import, export and list questionnaires."""


@questionnaire.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish (freeze) the imported version.")
def questionnaire_import(file: Path, publish: bool) -> None:
    """Validate FILE and store it as the questionnaire's draft version."""
    from survey.questionnaires.model import QuestionnaireInvalid, parse_questionnaire
    from survey.questionnaires.store import import_questionnaire
    from survey.questionnaires.store import publish as publish_version

    try:
        q = parse_questionnaire(file.read_bytes(), name=file.name)
    except QuestionnaireInvalid as exc:
        click.echo(f"{file}: refused, {len(exc.problems)} problem(s):", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)

    async def action(conn: asyncpg.Connection[Any]) -> str:
        stored = await import_questionnaire(conn, q)
        if publish:
            stored = await publish_version(conn, q.slug)
        return f"{q.slug} version {stored.version} ({stored.status}), {len(q.items)} items"

    click.echo(_with_connection(action))


@questionnaire.command("export")
@click.argument("ref")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def questionnaire_export(ref: str, output: Path | None) -> None:
    """Print a stored questionnaire as TOML. REF: slug, slug@VERSION or version id."""
    from survey.errors import NotFound
    from survey.questionnaires.model import to_toml
    from survey.questionnaires.store import find_version

    async def action(conn: asyncpg.Connection[Any]) -> str:
        return to_toml((await find_version(conn, ref)).questionnaire)

    try:
        text = _with_connection(action)
    except NotFound:
        raise click.ClickException(f"no questionnaire '{ref}'") from None
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@questionnaire.command("list")
def questionnaire_list() -> None:
    """List questionnaires and their versions."""

    async def action(conn: asyncpg.Connection[Any]) -> list[asyncpg.Record]:
        return await conn.fetch(
            """SELECT q.slug, q.audience, v.version, v.status, v.id
               FROM questionnaire q JOIN questionnaire_version v ON v.questionnaire_id = q.id
               ORDER BY q.slug, v.version"""
        )

    for row in _with_connection(action):
        click.echo(f"{row['slug']}@{row['version']}\t{row['status']}\t{row['audience']}\tid={row['id']}")


@main.group()
def kiosk() -> None:
    """Register kiosk tablets."""


@kiosk.command("add")
@click.argument("survey_slug")
@click.option("--location", required=True, help='Where the kiosk stands, e.g. "Sala obsługi, parter".')
@click.option("--unit", "unit_slug", default=None, help="Unit the kiosk's answers belong to.")
def kiosk_add(survey_slug: str, location: str, unit_slug: str | None) -> None:
    """Register a kiosk and print its one-time enrolment link (open it on the device)."""
    from survey.channels.kiosk import register_kiosk
    from survey.errors import NotFound

    async def action(conn: asyncpg.Connection[Any]) -> tuple[int, str]:
        return await register_kiosk(conn, survey_slug, location, unit_slug)

    try:
        kiosk_id, token = _with_connection(action)
    except NotFound as exc:
        raise click.ClickException(f"no {exc.kind} '{exc.key}'") from None
    click.echo(f"kiosk {kiosk_id} registered; open this link once on the device:")
    click.echo(f"{get_settings().public_url}/kiosk/enrol/{token}")


@kiosk.command("list")
def kiosk_list() -> None:
    """List kiosks, their location and whether they are enrolled."""

    async def action(conn: asyncpg.Connection[Any]) -> list[asyncpg.Record]:
        return await conn.fetch(
            """SELECT k.id, s.slug, u.name AS unit, k.location, k.token_hash IS NOT NULL AS enrolled, k.active
               FROM kiosk k JOIN survey s ON s.id = k.survey_id LEFT JOIN unit u ON u.id = k.unit_id
               ORDER BY k.id"""
        )

    for r in _with_connection(action):
        state = ("enrolled" if r["enrolled"] else "waiting for enrolment") if r["active"] else "disabled"
        click.echo(f"{r['id']}\t{r['slug']}\t{r['unit'] or '-'}\t{r['location']}\t{state}")


@main.group()
def link() -> None:
    """Short links and QR posters that attribute answers to a unit and place."""


def _link_action(action: Callable[[asyncpg.Connection[Any]], Awaitable[T]]) -> T:
    """Run ``action``; turn an unknown survey, unit or link and bad input into a clear message."""
    from survey.errors import BadInput, NotFound
    from survey.i18n import gettext as _

    try:
        return _with_connection(action)
    except NotFound as exc:
        messages = {
            "survey": _("There is no survey '%(key)s'."),
            "unit": _("The survey's office has no unit '%(key)s'."),
            "link": _("There is no link with the code '%(key)s'."),
        }
        raise click.ClickException(messages[exc.kind] % {"key": exc.key}) from None
    except BadInput as exc:
        raise click.ClickException(exc.detail) from None


@link.command("add")
@click.argument("survey_slug")
@click.option("--unit", "unit_slug", default=None, help="Unit (slug) the link's answers belong to.")
@click.option("--location", default=None, help='Where the poster hangs, e.g. "Stanowisko 3".')
def link_add(survey_slug: str, unit_slug: str | None, location: str | None) -> None:
    """Create a short link for SURVEY_SLUG and print its address."""
    from survey.channels.links import Link, create_link, link_url

    async def action(conn: asyncpg.Connection[Any]) -> Link:
        return await create_link(conn, survey_slug, unit_slug=unit_slug, location=location)

    created = _link_action(action)
    click.echo(link_url(get_settings().public_url, created.code))


@link.command("list")
@click.argument("survey_slug")
def link_list(survey_slug: str) -> None:
    """List the links of SURVEY_SLUG: address, unit, place and responses so far."""
    from survey.channels.links import Link, link_url, list_links
    from survey.i18n import ngettext

    async def action(conn: asyncpg.Connection[Any]) -> list[tuple[Link, int]]:
        return await list_links(conn, survey_slug)

    base = get_settings().public_url
    for item, responses in _link_action(action):
        count = ngettext("%(num)d response", "%(num)d responses", responses)
        place = f"{item.unit_slug or '-'}\t{item.location or '-'}"
        click.echo(f"{link_url(base, item.code)}\t{place}\t{count}")


@link.command("poster")
@click.argument("code")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PDF file to write (default: plakat-CODE.pdf).",
)
def link_poster(code: str, output: Path | None) -> None:
    """Write the printable A4 poster (PDF) of the link CODE."""
    from survey.channels.links import Link, find_link, link_url, poster_pdf
    from survey.i18n import gettext as _

    async def action(conn: asyncpg.Connection[Any]) -> Link:
        return await find_link(conn, code)

    found = _link_action(action)
    output = output or Path(f"plakat-{found.code}.pdf")
    output.write_bytes(poster_pdf(found, link_url(get_settings().public_url, found.code)))
    click.echo(_("Poster written to %(file)s.") % {"file": output})


@main.group()
def staff() -> None:
    """Employee surveys with one-time access codes."""


def _staff_action(action: Callable[[asyncpg.Connection[Any]], Awaitable[T]]) -> T:
    from survey.errors import BadInput, NotFound

    try:
        return _with_connection(action)
    except NotFound as exc:
        raise click.ClickException(f"no {exc.kind} '{exc.key}'") from None
    except BadInput as exc:
        raise click.ClickException(exc.detail) from None


@staff.command("wave")
@click.argument("survey_slug")
@click.option("--name", required=True, help='Name printed on the cards, e.g. "Badanie 2026".')
@click.option(
    "--opens",
    "opens_on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First day (default today); every answer of the wave is dated with it.",
)
@click.option(
    "--closes", "closes_on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day codes are accepted."
)
def staff_wave(survey_slug: str, name: str, opens_on: Any, closes_on: Any) -> None:
    """Create a wave of the employee survey SURVEY_SLUG and print its id."""
    from survey.channels.staff import create_wave

    async def action(conn: asyncpg.Connection[Any]) -> int:
        return await create_wave(
            conn,
            survey_slug,
            name.strip(),
            opens_on=opens_on.date() if opens_on else None,
            closes_on=closes_on.date() if closes_on else None,
        )

    click.echo(_staff_action(action))


@staff.command("codes")
@click.argument("wave_id", type=int)
@click.option("--unit", "unit_slug", default=None, help="Unit of the codes (and of the answers).")
@click.option("--count", type=click.IntRange(1, 5000), required=True, help="Number of codes.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write an A4 PDF of cards to cut up."
)
def staff_codes(wave_id: int, unit_slug: str | None, count: int, output: Path | None) -> None:
    """Generate one-time codes for WAVE_ID and print them once; only their hashes are stored."""
    from survey.channels.staff import codes_pdf, format_code, generate_codes, get_wave, unit_of_wave

    settings = get_settings()

    async def action(conn: asyncpg.Connection[Any]) -> tuple[Any, str | None, list[str]]:
        wave = await get_wave(conn, wave_id)
        unit_id, unit_name = (None, None)
        if unit_slug:
            unit_id, unit_name = await unit_of_wave(conn, wave, unit_slug)
        codes = await generate_codes(conn, settings.secret_key, wave.id, unit_id, count)
        return wave, unit_name, codes

    wave, unit_name, codes = _staff_action(action)
    if output:
        output.write_bytes(
            codes_pdf(
                codes,
                organisation=wave.organisation_name,
                wave=wave.name,
                unit=unit_name,
                url=f"{settings.public_url}/k",
            )
        )
    for code in codes:
        click.echo(format_code(code))
    if output:
        click.echo(
            ngettext(
                "%(num)d card written to %(file)s", "%(num)d cards written to %(file)s", len(codes), file=str(output)
            ),
            err=True,
        )


@staff.command("rate")
@click.argument("wave_id", type=int)
def staff_rate(wave_id: int) -> None:
    """Codes issued, codes used and the response rate per unit of WAVE_ID."""
    from survey.channels.staff import UnitRate, get_wave, response_rate
    from survey.i18n import fmt_percent

    async def action(conn: asyncpg.Connection[Any]) -> list[UnitRate]:
        await get_wave(conn, wave_id)
        return await response_rate(conn, wave_id)

    rates = _staff_action(action)
    issued, used = sum(r.issued for r in rates), sum(r.used for r in rates)
    total = UnitRate(unit=_("Total"), issued=issued, used=used)
    rows = [(r.unit or _("(no unit)"), str(r.issued), str(r.used), fmt_percent(r.rate, 1)) for r in [*rates, total]]
    header = (_("Unit"), _("Codes issued"), _("Codes used"), _("Response rate"))
    width = max(len(r[0]) for r in [header, *rows])
    number_width = max(len(h) for h in header[1:]) + 2
    for unit, *numbers in [header, *rows]:
        click.echo(unit.ljust(width) + "".join(n.rjust(number_width) for n in numbers))


@main.group()
def paper() -> None:
    """Paper questionnaires: import forms typed into a spreadsheet."""


@paper.command("import")
@click.argument("survey_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row, store nothing.")
@click.option("--all-or-nothing", is_flag=True, help="Store nothing if any row is refused.")
def paper_import(survey_slug: str, file: Path, dry_run: bool, all_or_nothing: bool) -> None:
    """Import paper forms from FILE (CSV: item ids as columns, optional data and komorka).

    Exit status 1 when the file or some of its rows were refused.
    """
    from survey.channels.paper import FileRefused, ImportReport, import_csv, report_lines

    async def action(conn: asyncpg.Connection[Any]) -> ImportReport:
        return await import_csv(conn, survey_slug, file.read_bytes(), dry_run=dry_run, all_or_nothing=all_or_nothing)

    try:
        report = _staff_action(action)
    except FileRefused as exc:
        raise click.ClickException(exc.message) from None
    for line in report_lines(report):
        click.echo(line)
    if report.problems:
        click.echo(_("Refused rows:"))
        rows = [(_("Row"), _("Column"), _("Reason"))]
        rows += [(str(p.row), p.column or "—", p.reason) for p in report.problems]
        widths = [max(len(r[k]) for r in rows) for k in range(2)]
        for row, column, reason in rows:
            click.echo(f"  {row.rjust(widths[0])}  {column.ljust(widths[1])}  {reason}")
        sys.exit(1)


if __name__ == "__main__":
    main()
