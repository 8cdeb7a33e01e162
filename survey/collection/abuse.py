"""Cheap abuse controls that still let a whole office behind one address answer.

- A honeypot field (``website``) that people never see and bots fill in.
- A minimum completion time: the form carries a signed stamp of when it was
  shown; an answer sent sooner is refused.
- Fixed-window rate limits kept in PostgreSQL (``rate_window``), so every
  worker shares them. Buckets are per kiosk device, per link or per survey,
  never per IP address: one office NAT must not block its residents.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from survey.errors import BadInput, TooMany

HONEYPOT = "website"
STAMP = "form_started"


def form_stamp(secret: str, now: float | None = None) -> str:
    """``<unix seconds>.<hmac>`` marking when a form was shown."""
    issued = str(int(now if now is not None else time.time()))
    mac = hmac.new(secret.encode(), issued.encode(), hashlib.sha256).hexdigest()[:24]
    return f"{issued}.{mac}"


def check_human(fields: Mapping[str, Sequence[str]], secret: str, min_seconds: float, now: float | None = None) -> None:
    """Refuse a filled honeypot or an answer sent faster than a person could."""
    if any(v.strip() for v in fields.get(HONEYPOT, ())):
        raise BadInput("honeypot field filled")
    if min_seconds <= 0:
        return
    stamp = next(iter(fields.get(STAMP, ())), "")
    issued, _, mac = stamp.partition(".")
    expected = hmac.new(secret.encode(), issued.encode(), hashlib.sha256).hexdigest()[:24]
    if not issued.isdigit() or not hmac.compare_digest(mac, expected):
        raise BadInput("missing or forged form stamp")
    elapsed = (now if now is not None else time.time()) - int(issued)
    if elapsed < min_seconds:
        raise TooFast(elapsed)


class TooFast(BadInput):
    """The form came back sooner than a person can fill it in."""

    def __init__(self, elapsed: float) -> None:
        super().__init__(f"form sent {elapsed:.1f} s after it was shown")


async def hit(conn: asyncpg.Connection[Any], bucket: str, window_seconds: int, at: datetime | None = None) -> int:
    """Count one event in ``bucket``'s window containing ``at``; return the window's count."""
    at = at or datetime.now(UTC)
    epoch = int(at.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % window_seconds, UTC)
    hits: int = await conn.fetchval(
        """INSERT INTO rate_window AS w (bucket, window_start, hits) VALUES ($1, $2, 1)
           ON CONFLICT (bucket, window_start) DO UPDATE SET hits = w.hits + 1
           RETURNING hits""",
        bucket,
        start,
    )
    if hits == 1:  # a new window: forget this bucket's old ones
        await conn.execute(
            "DELETE FROM rate_window WHERE bucket = $1 AND window_start < $2::timestamptz - interval '1 day'",
            bucket,
            start,
        )
    return hits


async def limit(conn: asyncpg.Connection[Any], bucket: str, allowed: int, window_seconds: int) -> None:
    """Raise :class:`TooMany` (429) once ``bucket`` exceeds ``allowed`` events per window."""
    if await hit(conn, bucket, window_seconds) > allowed:
        raise TooMany(bucket)
