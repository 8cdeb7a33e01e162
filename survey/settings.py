"""Typed settings read once from the environment (and an optional ``.env`` file).

The real environment always wins over ``.env``. Every setting has a safe
default so that ``survey run`` works on a fresh machine with nothing set.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Service configuration. Field docs double as the README's configuration table."""

    database_url: str | None = None
    """PostgreSQL URL. Unset: an embedded PostgreSQL is started in ``data_dir/pg``."""
    data_dir: Path = PROJECT_ROOT / "var"
    """Folder for the embedded database and other local state."""
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    """Signs CSRF cookies and form stamps, keys staff-code hashes. Unset: a key kept in
    ``data_dir/secret_key``, shared by every worker and the CLI on this machine."""
    public_url: str = "http://127.0.0.1:8000"
    """Address residents reach the service at; printed links and QR codes use it."""
    min_group_size: int = 5
    """Smallest group whose results may leave the database (anonymity threshold k)."""
    min_form_seconds: float = 3.0
    """A web answer sent sooner than this after the form was shown is refused as automated."""
    kiosk_idle_seconds: int = 30
    """A kiosk left with a partial answer this long asks whether to continue, then resets."""
    kiosk_reset_seconds: int = 6
    """How long a kiosk shows its thank-you screen before the next person."""
    kiosk_retry_seconds: int = 10
    """How often a kiosk retries sending answers it holds while offline."""
    kiosk_idle_action: str = "discard"
    """What a kiosk does with a partial answer on idle reset: ``discard`` or ``submit``."""
    accessibility_contact: str = ""
    """Name, e-mail and phone of the person handling accessibility requests (deklaracja dostępności)."""
    accessibility_published: str = "2026-11-22"
    """Date the service was published (deklaracja dostępności)."""
    accessibility_updated: str = "2026-11-22"
    """Date the accessibility statement was last reviewed; by law at least every 31 March."""
    survey_rate_limit: int = 0
    """Answers per minute one survey accepts over the open web (a flood guard, not a
    per-person limit). 0, the default, leaves flood control of the open form to the reverse
    proxy: a shared counter row would serialise every submission of a busy survey."""
    pool_size: int = 10
    debug: bool = False
    secure_cookies: bool = False
    """Set true behind HTTPS so cookies carry the Secure flag."""

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "pg"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = {**_read_dotenv(Path.cwd() / ".env"), **(environ if environ is not None else os.environ)}
        kwargs: dict[str, object] = {}
        if env.get("DATABASE_URL"):
            kwargs["database_url"] = env["DATABASE_URL"]
        if env.get("SURVEY_DATA_DIR"):
            kwargs["data_dir"] = Path(env["SURVEY_DATA_DIR"]).resolve()
        if env.get("SURVEY_HOST"):
            kwargs["host"] = env["SURVEY_HOST"]
        if env.get("SURVEY_PORT"):
            kwargs["port"] = int(env["SURVEY_PORT"])
        if env.get("SURVEY_SECRET_KEY"):
            kwargs["secret_key"] = env["SURVEY_SECRET_KEY"]
        if env.get("SURVEY_PUBLIC_URL"):
            kwargs["public_url"] = env["SURVEY_PUBLIC_URL"].rstrip("/")
        if env.get("SURVEY_MIN_GROUP_SIZE"):
            kwargs["min_group_size"] = int(env["SURVEY_MIN_GROUP_SIZE"])
        if env.get("SURVEY_MIN_FORM_SECONDS"):
            kwargs["min_form_seconds"] = float(env["SURVEY_MIN_FORM_SECONDS"])
        if env.get("SURVEY_KIOSK_IDLE_SECONDS"):
            kwargs["kiosk_idle_seconds"] = int(env["SURVEY_KIOSK_IDLE_SECONDS"])
        for name in ("kiosk_reset_seconds", "kiosk_retry_seconds"):
            if env.get(f"SURVEY_{name.upper()}"):
                kwargs[name] = int(env[f"SURVEY_{name.upper()}"])
        if env.get("SURVEY_KIOSK_IDLE_ACTION") in ("discard", "submit"):
            kwargs["kiosk_idle_action"] = env["SURVEY_KIOSK_IDLE_ACTION"]
        for name in ("accessibility_contact", "accessibility_published", "accessibility_updated"):
            if env.get(f"SURVEY_{name.upper()}"):
                kwargs[name] = env[f"SURVEY_{name.upper()}"]
        if env.get("SURVEY_RATE_LIMIT"):
            kwargs["survey_rate_limit"] = int(env["SURVEY_RATE_LIMIT"])
        if env.get("SURVEY_POOL_SIZE"):
            kwargs["pool_size"] = int(env["SURVEY_POOL_SIZE"])
        kwargs["debug"] = env.get("SURVEY_DEBUG", "").lower() in {"1", "true", "yes"}
        kwargs["secure_cookies"] = env.get("SURVEY_SECURE_COOKIES", "").lower() in {"1", "true", "yes"}
        settings = cls(**kwargs)  # type: ignore[arg-type]
        if not settings.secret_key:
            settings = replace(settings, secret_key=_local_secret(settings.data_dir))
        return settings


def _local_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.is_file():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
