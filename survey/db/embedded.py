"""An embedded PostgreSQL server (the ``pgserver`` package) in a data folder.

Used when no ``DATABASE_URL`` is configured, so a newcomer needs nothing
installed. The server lives in ``<data_dir>/pg``, is reused across runs and is
stopped when the last process holding it exits.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def embedded_database_url(pg_dir: Path) -> str:
    """Start (or reuse) the embedded server in ``pg_dir`` and return its URL."""
    pg_dir = pg_dir.resolve()
    if pg_dir not in _servers:
        os.environ.setdefault("XDG_RUNTIME_DIR", str(pg_dir.parent))
        pg_dir.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG settings
            import pgserver

            log.info("starting embedded PostgreSQL in %s", pg_dir)
            _servers[pg_dir] = pgserver.get_server(pg_dir, cleanup_mode="stop")
    return str(_servers[pg_dir].get_uri())


def stop_embedded(pg_dir: Path) -> None:
    """Stop the embedded server this process started, if any."""
    server = _servers.pop(pg_dir.resolve(), None)
    if server is not None:
        server.cleanup()
