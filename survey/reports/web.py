"""The results pages for office managers: per item n, distribution, mean and top-2-box.

``/results`` lists surveys; ``/results/<slug>`` shows every rating item over
the chosen months, and for one item a unit × month table. Every figure comes
from the count tables; groups below the minimum size are hidden.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from survey.collection.store import open_survey
from survey.db.pool import acquire
from survey.errors import BadInput
from survey.reports.counts import item_counts, pivot, refresh_counts, response_totals
from survey.reports.summary import ItemResult, analysis_scale, merge, summarize, suppress_table
from survey.web import page

PERIODS = (3, 6, 12, 24)


def _month_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


class ResultsController(Controller):
    path = "/results"
    include_in_schema = False

    @get("/", name="results_index")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        async with acquire(request.app.state.pool) as conn:
            await refresh_counts(conn)
            surveys = await conn.fetch(
                """SELECT s.slug, o.name AS organisation, v.definition->'title' AS title,
                          coalesce(sum(c.n), 0)::bigint AS responses
                   FROM survey s JOIN organisation o ON o.id = s.organisation_id
                        JOIN LATERAL (SELECT definition FROM questionnaire_version
                                      WHERE questionnaire_id = s.questionnaire_id AND status = 'published'
                                      ORDER BY version DESC LIMIT 1) v ON true
                        LEFT JOIN response_count c ON c.survey_id = s.id AND NOT c.flagged
                   GROUP BY s.slug, o.name, v.definition
                   ORDER BY o.name, s.slug"""
            )
        return page(request, "reports/index.html", surveys=surveys)

    @get("/{slug:str}", name="results_survey")
    async def survey(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        months: FromQuery[int] = 12,
        item: FromQuery[str | None] = None,
        unit: FromQuery[int | None] = None,
    ) -> Template:
        if months not in PERIODS:
            raise BadInput("months must be one of 3, 6, 12, 24")
        min_group = request.app.state.settings.min_group_size
        async with acquire(request.app.state.pool) as conn:
            await refresh_counts(conn)
            survey = await open_survey(conn, slug, allow_closed=True)
            today = await conn.fetchval("SELECT current_date")
            since, until = _month_back(today, months), today
            rows = await item_counts(conn, survey.id, since=since, until=until)
            totals = await response_totals(conn, survey.id, since=since, until=until)
            flagged = await response_totals(conn, survey.id, since=since, until=until, flagged=True)
            units = {
                r["id"]: r["name"]
                for r in await conn.fetch(
                    "SELECT id, name FROM unit WHERE organisation_id = $1 ORDER BY name",
                    survey.organisation_id,
                )
            }
        if unit is not None and unit not in units:
            raise BadInput("unknown unit")
        q = survey.version.questionnaire
        rated = [(it, analysis_scale(q, it)) for it in q.items]
        rated = [(it, sc) for it, sc in rated if sc is not None]
        if item is not None and item not in {it.id for it, _ in rated}:
            raise BadInput("unknown item")
        table = pivot(rows)

        hiding = {
            it.id: suppress_table({cell: sum(c.values()) for cell, c in table.get(it.id, {}).items()}, min_group)
            for it, _scale in rated
        }
        overall = []
        for it, scale in rated:
            cells = table.get(it.id, {})
            if unit is not None and unit in hiding[it.id].units:
                overall.append((it, scale, ItemResult(total=0, summary=None, suppressed=True)))
                continue
            chosen = [c for (u, _m), c in cells.items() if unit is None or u == unit]
            overall.append((it, scale, summarize(merge(chosen), scale, min_group)))

        selected = next((pair for pair in rated if pair[0].id == item), rated[0] if rated else None)
        matrix: dict[tuple[int | None, date], Any] = {}
        month_list: list[date] = sorted({m for (_u, m) in table.get(selected[0].id, {})}) if selected else []
        unit_rows: list[int | None] = []
        month_totals: dict[date, Any] = {}
        if selected:
            it, scale = selected
            cells = table.get(it.id, {})
            hidden = hiding[it.id]
            for cell, counts in cells.items():
                matrix[cell] = None if cell in hidden.cells else summarize(counts, scale, min_group)
            for month in month_list:
                month_totals[month] = (
                    ItemResult(total=0, summary=None, suppressed=True)
                    if month in hidden.months
                    else summarize(merge(c for (_u, m), c in cells.items() if m == month), scale, min_group)
                )
            present = {u for (u, _m) in cells}
            unit_rows = sorted(present, key=lambda u: (u is None, units.get(u, "") if u else ""))
        total_responses = sum(n for (u, _m), n in totals.items() if unit is None or u == unit)
        if 0 < total_responses < min_group:
            total_responses = 0  # a count below the minimum group size is not shown either
        flagged_responses = sum(n for (u, _m), n in flagged.items() if unit is None or u == unit)
        return page(
            request,
            "reports/survey.html",
            survey=survey,
            q=q,
            months=months,
            periods=PERIODS,
            since=since,
            until=until,
            unit=unit,
            units=units,
            overall=overall,
            selected=selected[0] if selected else None,
            rated_items=[it for it, _ in rated],
            month_list=month_list,
            unit_rows=unit_rows,
            matrix=matrix,
            month_totals=month_totals,
            total_responses=total_responses,
            flagged_responses=flagged_responses,
            min_group=min_group,
        )
