"""Short links and QR posters (channel ``qr``).

A link belongs to one survey and carries the unit and the place (a desk, a
counter, a waiting room) where its poster hangs, so every answer that comes
through it is attributed to them. ``/l/<code>`` shows the survey's usual form
and stores answers through the shared submit path; ``/l/<code>/poster.pdf``
is an A4 poster with the QR code and the short address, for printing.

Codes are 8 random characters from an alphabet without look-alikes (no 0/O/o,
1/I/i/l), so a code read off a poster can be typed without guessing.
"""

from __future__ import annotations

import asyncio
import io
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import segno
from fpdf import FPDF
from fpdf.enums import MethodReturnValue
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response, Template

from survey import i18n
from survey.collection.store import open_survey
from survey.collection.web import MAX_FORM_BYTES, Attribution, render_form, submit_form
from survey.db.pool import acquire
from survey.errors import BadInput, NotFound
from survey.i18n import gettext as _
from survey.i18n import ngettext
from survey.web import page

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz"
"""Letters and digits without 0, O, o, 1, I, i and l."""
CODE_LENGTH = 8
MAX_LOCATION = 200
FONTS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"


@dataclass(frozen=True)
class Link:
    id: int
    code: str
    survey_id: int
    survey_slug: str
    organisation_name: str
    unit_id: int | None
    unit_slug: str | None
    unit_name: str | None
    location: str | None


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def is_code(text: str) -> bool:
    """Whether ``text`` can be a stored code (4–32 ASCII letters and digits, as the CHECK says)."""
    return 4 <= len(text) <= 32 and text.isascii() and text.isalnum()


def link_url(base: str, code: str) -> str:
    return f"{base.rstrip('/')}/l/{code}"


_LINK_QUERY = """
    SELECT l.id, l.code, l.survey_id, s.slug AS survey_slug, o.name AS organisation_name,
           l.unit_id, u.slug AS unit_slug, u.name AS unit_name, l.location
    FROM survey_link l JOIN survey s ON s.id = l.survey_id
                       JOIN organisation o ON o.id = s.organisation_id
                       LEFT JOIN unit u ON u.id = l.unit_id
"""


def _link(row: asyncpg.Record) -> Link:
    return Link(**{name: row[name] for name in Link.__dataclass_fields__})


async def find_link(conn: asyncpg.Connection[Any], code: str) -> Link:
    """The link behind ``/l/<code>``; NotFound for an unknown or malformed code."""
    row = await conn.fetchrow(_LINK_QUERY + " WHERE l.code = $1", code) if is_code(code) else None
    if row is None:
        raise NotFound("link", code)
    return _link(row)


async def create_link(
    conn: asyncpg.Connection[Any],
    survey_slug: str,
    *,
    unit_slug: str | None = None,
    location: str | None = None,
) -> Link:
    """A new link with a fresh random code, for a unit of the survey's own office and a place."""
    survey = await conn.fetchrow("SELECT id, organisation_id FROM survey WHERE slug = $1", survey_slug)
    if survey is None:
        raise NotFound("survey", survey_slug)
    unit_id = None
    if unit_slug is not None:
        unit_id = await conn.fetchval(
            "SELECT id FROM unit WHERE organisation_id = $1 AND slug = $2",
            survey["organisation_id"],
            unit_slug,
        )
        if unit_id is None:
            raise NotFound("unit", unit_slug)
    location = " ".join(location.split()) if location else None
    if location and len(location) > MAX_LOCATION:
        raise BadInput(
            ngettext(
                "The place may have at most %(num)d character.",
                "The place may have at most %(num)d characters.",
                MAX_LOCATION,
            )
        )
    if location and not location.isprintable():
        raise BadInput(_("The place may not contain control characters."))
    for _attempt in range(5):
        code = new_code()
        try:
            await conn.execute(
                """INSERT INTO survey_link (survey_id, code, unit_id, location)
                   VALUES ($1, $2, $3, $4)""",
                survey["id"],
                code,
                unit_id,
                location or None,
            )
        except asyncpg.UniqueViolationError:
            continue  # 55^8 codes: a collision is rare, two in a row practically impossible
        return await find_link(conn, code)
    raise RuntimeError("could not find a free link code")


async def list_links(conn: asyncpg.Connection[Any], survey_slug: str) -> list[tuple[Link, int]]:
    """The survey's links, oldest first, each with the number of responses that came through it."""
    if await conn.fetchval("SELECT id FROM survey WHERE slug = $1", survey_slug) is None:
        raise NotFound("survey", survey_slug)
    rows = await conn.fetch(
        f"""SELECT links.*,
                   (SELECT count(*) FROM response r WHERE r.link_id = links.id) AS responses
            FROM ({_LINK_QUERY} WHERE s.slug = $1) links ORDER BY links.id""",
        survey_slug,
    )
    return [(_link(row), int(row["responses"])) for row in rows]


# --- the poster -----------------------------------------------------------------------------

NAVY = (23, 52, 89)
INK = (33, 37, 41)
MUTED = (88, 94, 102)
RULE = (196, 204, 214)


def _fit_size(pdf: FPDF, text: str, width: float, size: float, smallest: float) -> None:
    """Set the largest font size from ``size`` down to ``smallest`` at which ``text`` fits."""
    pdf.set_font_size(size)
    while size > smallest and pdf.get_string_width(text) > width:
        size = max(smallest, size - 0.5)
        pdf.set_font_size(size)


def poster_pdf(link: Link, url: str, *, language: str = "pl") -> bytes:
    """A printable A4 poster: office and place, invitation, a large QR code and the short address.

    All text is real text in an embedded Unicode font (DejaVu Sans), the QR code
    is vector graphics with an alternative text, and the document declares its
    title and language, so screen readers and text search work on it.
    """
    _ = i18n.translations(language).gettext
    heading = _("Rate our service")

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", FONTS_DIR / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", FONTS_DIR / "DejaVuSans-Bold.ttf")
    pdf.set_lang(language)
    pdf.set_title(f"{heading} – {link.organisation_name}")
    pdf.set_subject(_("Link to the survey: %(url)s") % {"url": url})
    pdf.set_author(link.organisation_name)
    pdf.set_creator("survey")
    pdf.set_display_mode(zoom="fullpage")
    pdf.add_page()
    width = pdf.epw

    # Who and where: the office, then the unit and the desk.
    pdf.set_y(22)
    pdf.set_text_color(*NAVY)
    pdf.set_font("DejaVu", "B", 17)
    pdf.multi_cell(width, 8, link.organisation_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*MUTED)
    pdf.set_font("DejaVu", "", 13)
    for line in (link.unit_name, link.location):
        if line:
            pdf.multi_cell(width, 6.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.6)
    rule_y = pdf.get_y() + 5
    pdf.line(pdf.l_margin + 45, rule_y, pdf.l_margin + width - 45, rule_y)

    # The invitation.
    pdf.set_y(rule_y + 10)
    pdf.set_text_color(*NAVY)
    pdf.set_font("DejaVu", "B", 40)
    _fit_size(pdf, heading, width, 40, 24)
    pdf.multi_cell(width, 17, heading, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "", 15)
    pdf.set_x(pdf.l_margin + 12)
    pdf.multi_cell(
        width - 24,
        7.5,
        _("Scan the code with your phone and answer a few questions – it takes a minute. The survey is anonymous."),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )

    # The QR code, as large as the space allows, in a light frame (the frame's padding is the
    # code's quiet zone), and under it the short address for those who cannot scan; the
    # whole block is centred between the invitation and the footer.
    footer_top = 266.0
    pdf.set_font("DejaVu", "B", 20)
    _fit_size(pdf, url, width, 20, 12)
    url_size, url_text, url_line = pdf.font_size_pt, url, max(6.0, pdf.font_size_pt * 0.42)
    if pdf.get_string_width(url) > width:  # still too long: break after a slash, not mid-word
        slashes = [i for i, c in enumerate(url) if c == "/"]
        cut = max((i for i in slashes if pdf.get_string_width(url[: i + 1]) <= width), default=None)
        if cut is not None:
            url_text = url[: cut + 1] + "\n" + url[cut + 1 :]
    url_lines = len(pdf.multi_cell(width, url_line, url_text, dry_run=True, output=MethodReturnValue.LINES))
    pad, gap, address_height = 10.0, 9.0, 8.5 + url_line * url_lines
    region_top, region_bottom = pdf.get_y() + 8, footer_top - 8
    side = min(105.0, region_bottom - region_top - 2 * pad - gap - address_height)
    block = side + 2 * pad + gap + address_height
    frame_top = region_top + (region_bottom - region_top - block) / 2
    qr = segno.make(url, error="m")
    svg = io.BytesIO()
    qr.save(svg, kind="svg", border=0, xmldecl=False, omitsize=True, dark="#000")
    svg.seek(0)
    x = (pdf.w - side) / 2
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.4)
    frame = side + 2 * pad
    pdf.rect(x - pad, frame_top, frame, frame, round_corners=True, corner_radius=4)
    pdf.image(
        svg, x=x, y=frame_top + pad, w=side, h=side, alt_text=_("QR code that opens the survey: %(url)s") % {"url": url}
    )

    pdf.set_y(frame_top + side + 2 * pad + gap)
    pdf.set_text_color(*MUTED)
    pdf.set_font("DejaVu", "", 12)
    pdf.multi_cell(
        width,
        6,
        _("Cannot scan the code? Type this address into your browser:"),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2.5)
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "B", url_size)
    pdf.multi_cell(width, url_line, url_text, align="C", new_x="LMARGIN", new_y="NEXT")

    # Footer.
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.line(pdf.l_margin, footer_top, pdf.l_margin + width, footer_top)
    pdf.set_y(footer_top + 3.5)
    pdf.set_text_color(*MUTED)
    pdf.set_font("DejaVu", "", 9)
    for line in (
        _("Anonymous survey: we do not store IP addresses or any data about your device."),
        _("Thank you – your opinion helps us serve residents better."),
    ):
        pdf.multi_cell(width, 4.6, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(width, 4, _("Poster code: %(code)s") % {"code": link.code}, align="C")
    return bytes(pdf.output())


# --- pages ----------------------------------------------------------------------------------


class LinkController(Controller):
    """``/l/<code>``: the survey's form, attributed to the link's unit and place."""

    path = "/l"
    include_in_schema = False

    @get("/{code:str}", name="link_form")
    async def show(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            link = await find_link(conn, code)
            survey = await open_survey(conn, link.survey_slug)
        return render_form(request, survey, action=f"/l/{link.code}")

    @post("/{code:str}", name="link_submit", request_max_body_size=MAX_FORM_BYTES)
    async def submit(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
        async with acquire(request.app.state.pool) as conn:
            link = await find_link(conn, code)
        return await submit_form(
            request,
            link.survey_slug,
            action=f"/l/{link.code}",
            thanks=f"/l/{link.code}/thanks",
            attribution=Attribution(channel="qr", unit_id=link.unit_id, link_id=link.id),
        )

    @get("/{code:str}/thanks", name="link_thanks")
    async def thanks(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            link = await find_link(conn, code)
            survey = await open_survey(conn, link.survey_slug)
        q = survey.version.questionnaire
        return page(request, "public/thanks.html", languages=q.languages, survey=survey, q=q, again=f"/l/{link.code}")

    @get("/{code:str}/poster.pdf", name="link_poster")
    async def poster(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Response[bytes]:
        async with acquire(request.app.state.pool) as conn:
            link = await find_link(conn, code)
        url = link_url(request.app.state.settings.public_url, link.code)
        content = await asyncio.to_thread(poster_pdf, link, url)
        return Response(
            content=content,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="plakat-{link.code}.pdf"'},
        )
