"""Benchmark: durable submissions per second through the real submit path.

Runs two servers one after the other on this machine, each a single uvicorn
worker against the same PostgreSQL (the embedded one, or ``DATABASE_URL``'s
server), and drives each with the same asyncio HTTP client:

* **submit path**: ``POST /s/<slug>`` of the real application – CSRF check,
  abuse checks, validation of every field, idempotency key, response and
  answers written and committed in one transaction, 303 to the thank-you page;
* **baseline**: a minimal Litestar + asyncpg endpoint that inserts one row
  (autocommit) and answers 201.

Both commit with ``synchronous_commit = on``. It prints requests per second
for each and their ratio (the target is at least 0.5), checks that every
request was answered 2xx/303 and that the database holds exactly one row per
request. Nothing is asserted about time.

The load comes from ``wrk`` (Debian package ``wrk``) when it is installed, so
the client is not the bottleneck; otherwise from an asyncio ``httpx`` client,
which on two cores limits both servers alike and understates the gap. Run:
``python bench/bench_submissions.py [--seconds 5] [--rounds 5] [--concurrency 16]``.
The two servers run side by side and are loaded in alternating rounds; the
ratio is that of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote_plus, urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey.db.embedded import embedded_database_url  # noqa: E402
from survey.db.migrate import migrate  # noqa: E402
from survey.db.pool import connect  # noqa: E402
from survey.setup import ensure_organisation, ensure_survey, ensure_unit, install_library  # noqa: E402

MINIMAL_APP = """
import os

import asyncpg
from litestar import Litestar, Request, post


async def open_pool(app: Litestar) -> None:
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=10, max_size=10)


@post("/row", status_code=201)
async def row(request: Request) -> None:
    form = await request.form()
    async with request.app.state.pool.acquire() as conn:
        await conn.execute("INSERT INTO bench_minimal (payload) VALUES ($1)", form.get("payload"))


app = Litestar([row], on_startup=[open_pool])
"""


ANSWERS = {
    "czas_oczekiwania": "4",
    "uprzejmosc": "5",
    "kompetencje": "5",
    "zrozumialosc": "-1",
    "godziny_pracy": "3",
    "dostepnosc": "4",
    "warunki_lokalowe": "4",
    "ocena_ogolna": "5",
    "polecenie": "9",
    "komentarz": "Sprawna obsługa.",
    "wiek": "2",
    "czestotliwosc": "1",
}
"""The answers every benchmark submission sends (a full resident questionnaire)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


async def prepare(server_url: str) -> str:
    admin = await asyncpg.connect(server_url)
    await admin.execute('DROP DATABASE IF EXISTS "bench_submit" WITH (FORCE)')
    await admin.execute('CREATE DATABASE "bench_submit"')
    await admin.close()
    url = with_database(server_url, "bench_submit")
    conn = await connect(url)
    await migrate(conn)
    await install_library(conn)
    org = await ensure_organisation(conn, "um-bench", "Urząd Miasta Benchmark")
    unit = await ensure_unit(conn, org, "bok", "Biuro Obsługi Klienta")
    await ensure_survey(conn, org, "klient-urzedu", "bench-klient", unit_id=unit)
    await conn.execute("CREATE TABLE bench_minimal (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text)")
    await conn.close()
    return url


def start(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(log.read_text())


async def drive(requests: int, concurrency: int, send: object) -> tuple[float, dict[int, int]]:
    statuses: dict[int, int] = {}
    queue = iter(range(requests))

    async def worker() -> None:
        for i in queue:
            status = await send(i)  # type: ignore[operator]
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, statuses


async def bench_submit_path(base: str, requests: int, concurrency: int) -> tuple[float, dict[int, int]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        page = (await client.get("/s/bench-klient")).text
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))

        async def send(_i: int) -> int:
            data = {**hidden, **ANSWERS, "idempotency_key": str(uuid.uuid4())}
            return (await client.post("/s/bench-klient", data=data)).status_code

        await drive(50, concurrency, send)  # warm-up
        return await drive(requests, concurrency, send)


async def bench_baseline(base: str, requests: int, concurrency: int) -> tuple[float, dict[int, int]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def send(i: int) -> int:
            return (await client.post("/row", data={"payload": f"row {i}"})).status_code

        await drive(50, concurrency, send)
        return await drive(requests, concurrency, send)


WRK_SCRIPT = """
local counter = 0
local function hex(n)
  local t = {}
  for i = 1, n do t[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(t)
end
function setup(thread) thread:set("id", math.random(1, 1000000000)) end
function init(args) math.randomseed(id + os.time()) end
request = function()
  counter = counter + 1
  local key = hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-a" .. hex(3) .. "-" .. hex(12)
  return wrk.format("POST", PATH, HEADERS, BODY:gsub("{key}", key):gsub("{n}", tostring(counter)))
end
"""


def wrk(
    base: str, path: str, headers: dict[str, str], body: str, seconds: int, concurrency: int, workdir: Path
) -> tuple[float, int, int]:
    """Run wrk for ``seconds``; return (requests per second, completed, non-2xx/3xx)."""
    lua_headers = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"
    script = workdir / "post.lua"
    script.write_text(f'PATH = "{path}"\nHEADERS = {lua_headers}\nBODY = "{body}"\n' + WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    done = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, done, int(errors[1]) if errors else 0


def form_body(fields: dict[str, str]) -> str:
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in fields.items())


async def wrk_submit_path(base: str, seconds: int, concurrency: int, workdir: Path) -> tuple[float, int, int]:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/s/bench-klient")
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    hidden.pop("idempotency_key")
    body = form_body({**hidden, **ANSWERS}) + "&idempotency_key={key}"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    return wrk(base, "/s/bench-klient", headers, body, seconds, concurrency, workdir)


async def wrk_baseline(base: str, seconds: int, concurrency: int, workdir: Path) -> tuple[float, int, int]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return wrk(base, "/row", headers, "payload=row+{n}", seconds, concurrency, workdir)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="load duration per server and round (wrk)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per server")
    parser.add_argument("--requests", type=int, default=3000, help="requests per server (without wrk)")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-submit-"))
    server_url = os.environ.get("DATABASE_URL") or embedded_database_url(workdir / "pg")
    url = await prepare(server_url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SURVEY_DATA_DIR": str(workdir),
        "SURVEY_MIN_FORM_SECONDS": "0",
        "SURVEY_SECRET_KEY": "bench-secret-key-0123456789abcdef",
    }
    (workdir / "minimal_app.py").write_text(MINIMAL_APP)
    use_wrk = shutil.which("wrk") is not None
    print(
        f"load generator: {'wrk' if use_wrk else 'httpx (install wrk for a stronger client)'}, "
        f"{args.concurrency} connections"
    )

    servers = {
        "submit path": ([sys.executable, "-m", "survey.cli", "run"], bench_submit_path, wrk_submit_path),
        "baseline": (
            [sys.executable, "-m", "uvicorn", "--app-dir", str(workdir), "minimal_app:app"],
            bench_baseline,
            wrk_baseline,
        ),
    }
    processes, bases = [], {}
    try:
        for name, (command, _python_runner, _wrk_runner) in servers.items():
            port = free_port()
            log = workdir / f"{name.replace(' ', '_')}.log"
            processes.append(start([*command, "--port", str(port)], env, port, log))
            bases[name] = f"http://127.0.0.1:{port}"
        # Alternate the two servers over several rounds, so drift in the machine's load
        # affects both alike; compare the medians.
        rates: dict[str, list[float]] = {name: [] for name in servers}
        for round_number in range(1, args.rounds + 1):
            for name, (_command, python_runner, wrk_runner) in servers.items():
                if use_wrk:
                    rate, done, errors = await wrk_runner(bases[name], args.seconds, args.concurrency, workdir)
                    detail = f"{done} requests in {args.seconds} s, non-2xx/3xx: {errors}"
                else:
                    elapsed, statuses = await python_runner(bases[name], args.requests, args.concurrency)
                    rate = args.requests / elapsed
                    detail = f"{args.requests} requests in {elapsed:.2f} s, statuses {statuses}"
                rates[name].append(rate)
                print(f"round {round_number}, {name}: {rate:,.0f}/s ({detail})")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=15)

    conn = await asyncpg.connect(url)
    stored = await conn.fetchval("SELECT count(*) FROM response")
    answers = await conn.fetchval("SELECT count(*) FROM answer")
    rows = await conn.fetchval("SELECT count(*) FROM bench_minimal")
    sync = await conn.fetchval("SHOW synchronous_commit")
    await conn.close()
    print(f"stored: {stored} responses with {answers} answers; {rows} baseline rows; synchronous_commit={sync}")
    submit, baseline = statistics.median(rates["submit path"]), statistics.median(rates["baseline"])
    print(
        f"median of {args.rounds} rounds: submit path {submit:,.0f}/s; baseline {baseline:,.0f}/s; "
        f"ratio {submit / baseline:.2f} (target >= 0.5)"
    )


if __name__ == "__main__":
    asyncio.run(main())
