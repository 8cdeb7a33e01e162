"""``survey demo``: a realistic dataset for three offices, loaded with bulk COPY.

Two years of resident responses with weekday, hour and seasonal patterns, a
mix of channels and devices, "nie dotyczy" answers, correlated item ratings,
and one unit (Wydział Komunikacji of the city office) whose satisfaction
really drops in the last two quarters; plus one employee-survey wave per
office. Generation is vectorised with numpy and written with COPY, so a
million responses load in a few minutes.

The demo reserves a block of response ids from the sequence; run it while no
other process is submitting answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import numpy as np

from survey.questionnaires.scales import NOT_APPLICABLE
from survey.questionnaires.store import StoredVersion
from survey.reports.counts import refresh_counts
from survey.setup import ensure_organisation, ensure_service_type, ensure_survey, ensure_unit, install_library


@dataclass(frozen=True)
class Office:
    slug: str
    name: str
    share: float
    units: list[tuple[str, str, int]]  # slug, name, headcount
    services: list[tuple[str, str]]


OFFICES = [
    Office(
        "um-przykladowo",
        "Urząd Miasta Przykładowo",
        0.5,
        [
            ("bok", "Biuro Obsługi Klienta", 12),
            ("komunikacja", "Wydział Komunikacji", 18),
            ("podatki", "Wydział Podatków i Opłat", 15),
            ("usc", "Urząd Stanu Cywilnego", 8),
            ("architektura", "Wydział Architektury i Budownictwa", 14),
            ("ewidencja", "Wydział Spraw Obywatelskich", 10),
        ],
        [
            ("dowod", "Dowód osobisty"),
            ("meldunek", "Meldunek"),
            ("podatki", "Podatki i opłaty lokalne"),
            ("rejestracja", "Rejestracja pojazdu"),
            ("prawo-jazdy", "Prawo jazdy"),
            ("usc", "Akt stanu cywilnego"),
            ("budowa", "Pozwolenie na budowę"),
            ("inna", "Inna sprawa"),
        ],
    ),
    Office(
        "sp-zielona-dolina",
        "Starostwo Powiatowe w Zielonej Dolinie",
        0.3,
        [
            ("komunikacja", "Wydział Komunikacji i Transportu", 16),
            ("geodezja", "Wydział Geodezji", 12),
            ("budownictwo", "Wydział Budownictwa", 9),
            ("kancelaria", "Kancelaria Ogólna", 6),
        ],
        [
            ("rejestracja", "Rejestracja pojazdu"),
            ("prawo-jazdy", "Prawo jazdy"),
            ("mapy", "Mapy i wypisy"),
            ("budowa", "Pozwolenie na budowę"),
            ("inna", "Inna sprawa"),
        ],
    ),
    Office(
        "ug-nowa-wies",
        "Urząd Gminy Nowa Wieś",
        0.2,
        [
            ("sekretariat", "Sekretariat i obsługa mieszkańców", 7),
            ("podatki", "Referat Podatków", 6),
            ("usc", "Urząd Stanu Cywilnego", 3),
            ("gospodarka", "Referat Gospodarki Komunalnej", 8),
        ],
        [
            ("dowod", "Dowód osobisty"),
            ("meldunek", "Meldunek"),
            ("podatki", "Podatki i opłaty lokalne"),
            ("odpady", "Odpady komunalne"),
            ("usc", "Akt stanu cywilnego"),
            ("inna", "Inna sprawa"),
        ],
    ),
]

DECLINING = ("um-przykladowo", "komunikacja")
"""The unit whose satisfaction drops in the last two quarters."""

# Relative monthly volume (Jan..Dec): tax season in spring, a summer dip.
MONTH_WEIGHT = np.array([1.0, 1.05, 1.35, 1.3, 1.05, 0.95, 0.7, 0.65, 1.1, 1.1, 1.0, 0.8])
WEEKDAY_WEIGHT = np.array([1.35, 1.1, 1.0, 1.05, 0.85, 0.0, 0.0])
HOUR_WEIGHT = {7: 0.3, 8: 0.9, 9: 1.2, 10: 1.4, 11: 1.4, 12: 1.2, 13: 1.0, 14: 0.9, 15: 0.6, 16: 0.25, 17: 0.1}

COMMENTS = [
    "Bardzo miła obsługa, dziękuję.",
    "Za długo czekałem w kolejce.",
    "Brakuje miejsc parkingowych.",
    "Pani w okienku wszystko jasno wytłumaczyła.",
    "Automat z numerkami nie działał.",
    "Proszę o dłuższe godziny pracy w czwartki.",
    "Formularze są niezrozumiałe.",
    "Sprawę załatwiłem szybko i sprawnie.",
    "W poczekalni jest za gorąco.",
    "Wszystko w porządku.",
]

ProgressFn = Callable[[int], None]


def _timestamps(rng: np.random.Generator, n: int, end: datetime) -> np.ndarray:
    """Hour-level timestamps over two years with month, weekday and hour patterns."""
    start = end - timedelta(days=730)
    days = np.array([start + timedelta(days=i) for i in range(730)])
    weights = np.array([MONTH_WEIGHT[d.month - 1] * WEEKDAY_WEIGHT[d.weekday()] for d in days])
    day_idx = rng.choice(730, size=n, p=weights / weights.sum())
    hours = np.array(list(HOUR_WEIGHT))
    hour_p = np.array(list(HOUR_WEIGHT.values()))
    hour = rng.choice(hours, size=n, p=hour_p / hour_p.sum())
    base = np.array([datetime(d.year, d.month, d.day).timestamp() for d in days])
    return base[day_idx] + hour * 3600


async def _reserve_ids(conn: asyncpg.Connection[Any], n: int) -> int:
    start: int = await conn.fetchval("SELECT nextval(pg_get_serial_sequence('response', 'id'))")
    await conn.execute("SELECT setval(pg_get_serial_sequence('response', 'id'), $1)", start + n)
    return start


def _ratings(rng: np.random.Generator, latent: np.ndarray, spread: float, bias: float) -> np.ndarray:
    raw = np.rint(latent + bias + rng.normal(0, spread, latent.shape))
    return np.clip(raw, 1, 5).astype(np.int16)


async def _load(
    conn: asyncpg.Connection[Any],
    rng: np.random.Generator,
    *,
    n: int,
    org_id: int,
    survey_id: int,
    version: StoredVersion,
    unit_ids: list[int],
    unit_base: np.ndarray,
    service_ids: list[int],
    declining_unit: int | None,
    employee: bool,
    now: datetime,
    progress: ProgressFn,
    batch: int = 50_000,
) -> None:
    q = version.questionnaire
    start_id = await _reserve_ids(conn, n)
    kiosk_survey = any(item.type == "smiley" for item in q.items)
    cutoff = (now - timedelta(days=182)).timestamp()
    for offset in range(0, n, batch):
        size = min(batch, n - offset)
        ids = np.arange(start_id + offset, start_id + offset + size)
        unit_idx = rng.choice(len(unit_ids), size=size, p=unit_base[1])
        if employee:
            ts = np.full(size, (now - timedelta(days=40)).replace(minute=0, second=0, microsecond=0).timestamp())
        else:
            ts = _timestamps(rng, size, now)
        latent = unit_base[0][unit_idx] + rng.normal(0, 0.7, size)
        # seasonal strain: a little lower in the busy spring months
        months = np.array([datetime.fromtimestamp(t).month for t in ts])
        latent -= np.isin(months, (3, 4)) * 0.15
        if declining_unit is not None:
            latent -= ((unit_idx == declining_unit) & (ts >= cutoff)) * 1.1
        if employee:
            channel = np.full(size, "staff")
            device = rng.choice(["desktop", "mobile"], size=size, p=[0.8, 0.2])
        elif kiosk_survey:
            channel = np.full(size, "kiosk")
            device = np.full(size, "kiosk")
        else:
            channel = rng.choice(["web", "qr", "paper"], size=size, p=[0.35, 0.25, 0.40])
            device = np.where(
                channel == "paper",
                "paper",
                np.where(
                    channel == "qr",
                    "mobile",
                    rng.choice(["desktop", "mobile", "tablet"], size=size, p=[0.55, 0.4, 0.05]),
                ),
            )
        language = rng.choice(["pl", "en", "uk"], size=size, p=[0.94, 0.02, 0.04])
        service = rng.choice(service_ids, size=size) if service_ids and not employee else None
        keys = rng.bytes(16 * size)
        responses = [
            (
                int(ids[i]),
                org_id,
                survey_id,
                version.version_id,
                unit_ids[unit_idx[i]],
                int(service[i]) if service is not None else None,
                str(channel[i]),
                str(device[i]),
                str(language[i]),
                datetime.fromtimestamp(ts[i], UTC),
                uuid.UUID(bytes=keys[16 * i : 16 * i + 16], version=4),
            )
            for i in range(size)
        ]
        await conn.copy_records_to_table(
            "response",
            records=responses,
            columns=[
                "id",
                "organisation_id",
                "survey_id",
                "questionnaire_version_id",
                "unit_id",
                "service_type_id",
                "channel",
                "device",
                "language",
                "submitted_hour",
                "idempotency_key",
            ],
        )
        answer_cols: list[np.ndarray] = []
        for item in q.items:
            item_id = version.item_ids[item.id]
            if item.type in ("rating", "smiley"):
                scale = q.scale_of(item)
                assert scale is not None
                values = _ratings(rng, latent, 0.6, rng.normal(0, 0.15))
                if scale.points != 5:
                    values = np.clip(np.rint(1 + (values - 1) * (scale.points - 1) / 4), 1, scale.points).astype(
                        np.int16
                    )
                answered = rng.random(size) < (0.97 if item.required else 0.9)
                if item.not_applicable:
                    na = rng.random(size) < (0.35 if item.id == "dostepnosc" else 0.06)
                    values = np.where(na, NOT_APPLICABLE, values)
                answer_cols.append(np.stack([ids[answered], np.full(answered.sum(), item_id), values[answered]], 1))
            elif item.type == "nps":
                values = np.clip(np.rint((latent - 1) * 2.4 + rng.normal(0.5, 1.2, size)), 0, 10).astype(np.int16)
                answered = rng.random(size) < 0.8
                answer_cols.append(np.stack([ids[answered], np.full(answered.sum(), item_id), values[answered]], 1))
            elif item.type in ("single_choice", "multiple_choice"):
                codes = np.array([o.code for o in item.options or []])
                if item.type == "multiple_choice":
                    chosen = (rng.random(size) < 0.25) & (latent < 3.5)
                    values = rng.choice(codes, size=size)
                    answer_cols.append(np.stack([ids[chosen], np.full(chosen.sum(), item_id), values[chosen]], 1))
                else:
                    answered = rng.random(size) < 0.75
                    values = rng.choice(codes, size=size)
                    answer_cols.append(np.stack([ids[answered], np.full(answered.sum(), item_id), values[answered]], 1))
        rows = np.concatenate(answer_cols)
        await conn.copy_records_to_table(
            "answer", records=map(tuple, rows.tolist()), columns=["response_id", "item_id", "value"]
        )
        text_items = [item for item in q.items if item.type == "text"]
        if text_items:
            commented = np.flatnonzero(rng.random(size) < 0.04)
            texts = [
                (int(ids[i]), version.item_ids[text_items[0].id], COMMENTS[int(rng.integers(len(COMMENTS)))])
                for i in commented
            ]
            await conn.copy_records_to_table("answer_text", records=texts, columns=["response_id", "item_id", "body"])
        await conn.execute(
            "INSERT INTO count_pending SELECT generate_series($1::bigint, $2::bigint)", int(ids[0]), int(ids[-1])
        )
        progress(size)


async def create_demo(
    conn: asyncpg.Connection[Any],
    *,
    responses: int = 100_000,
    seed: int = 2026,
    progress: ProgressFn = lambda _n: None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Create the three demo offices and load ``responses`` resident responses plus one staff wave each."""
    rng = np.random.default_rng(seed)
    now = now or datetime.now()
    library = await install_library(conn)
    loaded = {"resident": 0, "employee": 0}
    for office in OFFICES:
        org_id = await ensure_organisation(conn, office.slug, office.name)
        unit_ids = [await ensure_unit(conn, org_id, s, name, headcount=h) for s, name, h in office.units]
        service_ids = [await ensure_service_type(conn, org_id, code, name) for code, name in office.services]
        resident_survey = await ensure_survey(conn, org_id, "klient-urzedu", f"{office.slug}-klient")
        kiosk_survey = await ensure_survey(conn, org_id, "kiosk-buzka", f"{office.slug}-kiosk", unit_id=unit_ids[0])
        staff_survey = await ensure_survey(conn, org_id, "pracownik", f"{office.slug}-pracownicy")
        base = 3.4 + rng.normal(0.35, 0.3, len(unit_ids))
        volume = rng.dirichlet(np.full(len(unit_ids), 4.0))
        declining = next((i for i, (s, _n, _h) in enumerate(office.units) if (office.slug, s) == DECLINING), None)
        if declining is not None:
            base[declining] = 4.2  # a good unit that gets worse
        n_office = round(responses * office.share)
        n_kiosk = n_office // 5
        common = dict(
            org_id=org_id,
            unit_ids=unit_ids,
            service_ids=service_ids,
            declining_unit=declining,
            now=now,
            progress=progress,
        )
        await _load(
            conn,
            rng,
            n=n_office - n_kiosk,
            survey_id=resident_survey,
            version=library["klient-urzedu"],
            unit_base=np.stack([base, volume]),
            employee=False,
            **common,
        )  # type: ignore[arg-type]
        kiosk_volume = np.zeros(len(unit_ids))
        kiosk_volume[0] = 1.0
        await _load(
            conn,
            rng,
            n=n_kiosk,
            survey_id=kiosk_survey,
            version=library["kiosk-buzka"],
            unit_base=np.stack([base, kiosk_volume]),
            employee=False,
            **common,
        )  # type: ignore[arg-type]
        headcounts = np.array([h for _s, _n, h in office.units], dtype=float)
        staff = int(headcounts.sum() * 0.8)
        await _load(
            conn,
            rng,
            n=staff,
            survey_id=staff_survey,
            version=library["pracownik"],
            unit_base=np.stack([base - 0.3, headcounts / headcounts.sum()]),
            employee=True,
            **{**common, "declining_unit": None},
        )  # type: ignore[arg-type]
        loaded["resident"] += n_office
        loaded["employee"] += staff
    await refresh_counts(conn)
    await conn.execute("ANALYZE")
    return loaded
