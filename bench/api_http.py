"""Benchmark: the REST API over HTTP on a production server, against a minimal JSON endpoint.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lz_bench \
        uv run python bench/api_http.py [--prefill 100000] [--seconds 10] [--concurrency 8]

The database is filled with ``--prefill`` generated tickets (``bench/generate.py``; the run
deletes all tickets, contacts and organizations of the database first, so it must be a throwaway
one whose name contains "bench"). Then gunicorn serves the application with 2 sync workers and
``--concurrency`` client processes, each on its own keep-alive connection, send requests for
``--seconds`` per scenario:

- ``ceiling``: ``GET /api/ping`` - the same server and middleware answering a small JSON body
  without touching the database or the API layer;
- ``create``: ``POST /api/v1/tickets`` with an integration token (the full domain write:
  ticket, article, event, acknowledgement mail, webhook hook);
- ``list``: ``GET /api/v1/tickets?limit=50`` (newest first) and with a state and team filter;
- ``read``: ``GET /api/v1/tickets/{number}`` of random tickets.

It prints requests per second and p50/p95 latency per scenario and, as its last line, JSON with
the figures, the ceiling and the ratio create/ceiling (target: at least 0.30; list and read p95
under 50 ms).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.30
TARGET_P95_MS = 50.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(
    port: int,
    scenario: dict[str, Any],
    seconds: float,
    start_at: float,
    seed: int,
    out: "multiprocessing.Queue[Any]",
) -> None:
    """One client process: one keep-alive connection, requests back to back until time is up."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": "127.0.0.1", **scenario.get("headers", {})}
    latencies: list[float] = []
    errors = 0
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + seconds
    i = 0
    while time.time() < end:
        method, path, body = scenario["request"](rng, i, seed)
        i += 1
        began = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status < 400
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        latencies.append(time.perf_counter() - began)
        errors += 0 if ok else 1
    out.put((latencies, errors))


def run_scenario(
    port: int, name: str, scenario: dict[str, Any], seconds: float, concurrency: int
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue[Any] = ctx.Queue()
    start_at = time.time() + 0.5
    procs = [
        ctx.Process(target=_client, args=(port, scenario, seconds, start_at, n, out))
        for n in range(concurrency)
    ]
    for p in procs:
        p.start()
    latencies: list[float] = []
    errors = 0
    for _ in procs:
        lat, err = out.get()
        latencies += lat
        errors += err
    for p in procs:
        p.join()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else latencies * 99
    figures = {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(q[49] * 1000, 2),
        "p95_ms": round(q[94] * 1000, 2),
    }
    print(f"{name:>12}: {figures}", file=sys.stderr)
    return figures


def wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/ping", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not come up")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefill", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-prefill", action="store_true", help="use the database as it is")
    parser.add_argument("--allow-any-database", action="store_true")
    args = parser.parse_args(argv)

    own_home = None
    if "LAUFZETTEL_HOME" not in os.environ:
        own_home = tempfile.mkdtemp(prefix="lz-bench-api-")
        os.environ["LAUFZETTEL_HOME"] = own_home
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laufzettel.settings")
    import django

    django.setup()
    try:
        figures = run(args)
    finally:
        if own_home:
            shutil.rmtree(own_home, ignore_errors=True)
    print(json.dumps(figures))


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import generate, wipe
    from laufzettel.accounts.models import Contact, Team
    from laufzettel.api.models import Scope
    from laufzettel.api.tokens import create_integration_token
    from laufzettel.tickets.models import NUMBER_OFFSET, Ticket

    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "postgresql":
        print("warning: the issue's figures are for PostgreSQL (set DATABASE_URL)", file=sys.stderr)
    elif "bench" not in name and not args.allow_any_database:
        raise SystemExit(f"refusing to wipe database {name!r}: use a throwaway lz_bench")
    call_command("migrate", interactive=False, verbosity=0)
    if not args.skip_prefill:
        wipe()
        generated = generate(args.prefill)
        print(
            f"prefilled {generated['tickets']} tickets in {generated['seconds']} s", file=sys.stderr
        )
    token = create_integration_token("Benchmark", scope=Scope.WRITE).secret
    contact_ids = list(
        Contact.objects.filter(emails__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    bounds = Ticket.objects.order_by("pk").values_list("pk", flat=True)
    lowest, highest = bounds.first(), bounds.last()
    team = Team.objects.order_by("level", "pk").values_list("pk", flat=True).first()
    connection.close()
    return {
        "token": token,
        "contacts": contact_ids,
        "numbers": (NUMBER_OFFSET + lowest, NUMBER_OFFSET + highest),
        "team": team,
        "tickets": Ticket.objects.count(),
        "database": connection.vendor,
    }


def scenarios(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    auth = {"Authorization": f"Bearer {world['token']}"}
    contacts = world["contacts"]
    low, high = world["numbers"]

    def create(rng: random.Random, i: int, seed: int) -> tuple[str, str, str]:
        body = {
            "contact_id": rng.choice(contacts),
            "subject": f"Benchmark {seed}-{i}: Telefonanlage klingelt nicht",
            "body": "Seit heute früh klingeln die Apparate im Lager nicht mehr.",
        }
        return "POST", "/api/v1/tickets", json.dumps(body)

    return {
        "ceiling": {"request": lambda rng, i, s: ("GET", "/api/ping", None)},
        "create": {
            "request": create,
            "headers": {**auth, "Content-Type": "application/json"},
        },
        "list": {
            "request": lambda rng, i, s: ("GET", "/api/v1/tickets?limit=50", None),
            "headers": auth,
        },
        "list_filtered": {
            "request": lambda rng, i, s: (
                "GET",
                f"/api/v1/tickets?limit=50&state=open&team_id={world['team']}",
                None,
            ),
            "headers": auth,
        },
        "read": {
            "request": lambda rng, i, s: ("GET", f"/api/v1/tickets/{rng.randint(low, high)}", None),
            "headers": auth,
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    world = prepare(args)
    port = free_port()
    env = {
        **os.environ,
        "LAUFZETTEL_API_RATE_LIMIT": "100000000",
        "EMAIL_URL": "memory://",
        "PYTHONPATH": str(ROOT / "src"),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn),
            "laufzettel.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        wait_for(port, server)
        results: dict[str, Any] = {}
        for name, scenario in scenarios(world).items():
            # A short warm-up so both workers have connections and caches, then the measurement.
            run_scenario(port, f"{name} warm", scenario, 1.0, args.concurrency)
            results[name] = run_scenario(port, name, scenario, args.seconds, args.concurrency)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    ceiling = results["ceiling"]["rps"]
    ratio = round(results["create"]["rps"] / ceiling, 3) if ceiling else 0.0
    return {
        "benchmark": "api_http",
        "database": world["database"],
        "server": f"gunicorn, {args.workers} sync workers",
        "concurrency": args.concurrency,
        "tickets": world["tickets"],
        "seconds_per_scenario": args.seconds,
        **results,
        "ceiling_rps": ceiling,
        "create_rps": results["create"]["rps"],
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "list_p95_ms": results["list"]["p95_ms"],
        "read_p95_ms": results["read"]["p95_ms"],
        "target_p95_ms": TARGET_P95_MS,
    }


if __name__ == "__main__":
    main()
