"""Benchmark: creating tickets through the domain layer, against a bare INSERT as the ceiling.

    uv run python bench/create_tickets.py [--size 2000] [--prefill 10000]

Each measured ticket is ``lifecycle.create_ticket`` with channel phone for an existing contact
with an email address, as the desk does it: the ticket, its phone-note article, the CREATED
event, the acknowledgement mail's article and its outbox row, in one transaction. The ceiling,
measured in the same run and interleaved with it in blocks so that a noisy machine hits both
alike, is a plain ``Ticket.objects.create`` of the same row (no article, event or mail). The
ratio (domain rate / bare rate) says what the domain layer costs on top of the one INSERT every
ticket needs; it is comparable between runs and machines where the absolute rates are not.

The database is a throwaway one: by default a new SQLite file in a temporary LAUFZETTEL_HOME.
With DATABASE_URL set (PostgreSQL) it must name a database for benchmarks, e.g. lz_bench: the
run deletes all tickets, contacts and organizations in it before pre-filling it with
``--prefill`` generated tickets (so indexes are not empty).
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BLOCK = 50  # domain and bare creates alternate in blocks of this many
WARM_UP = 10


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000, help="tickets created per variant")
    parser.add_argument("--prefill", type=int, default=10_000, help="generated tickets first")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--allow-any-database",
        action="store_true",
        help="run even if the PostgreSQL database name does not contain 'bench'",
    )
    args = parser.parse_args(argv)

    own_home = None
    sqlite = not os.environ.get("DATABASE_URL")
    if sqlite or "LAUFZETTEL_HOME" not in os.environ:
        # SQLite: never the user's data folder, always a new one (removed afterwards).
        own_home = tempfile.mkdtemp(prefix="lz-bench-")
        os.environ["LAUFZETTEL_HOME"] = own_home
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laufzettel.settings")
    import django

    django.setup()
    try:
        figures = run(args.size, args.prefill, args.seed, args.allow_any_database)
    finally:
        if own_home:
            shutil.rmtree(own_home, ignore_errors=True)
    print(json.dumps(figures))


def run(size: int, prefill: int, seed: int, allow_any_database: bool) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import generate, wipe

    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" and "bench" not in name and not allow_any_database:
        sys.exit(
            f"refusing to wipe database {name!r}: name a throwaway database such as lz_bench "
            "in DATABASE_URL (or pass --allow-any-database)"
        )
    print(f"database: {connection.vendor} {name}", file=sys.stderr)
    call_command("migrate", interactive=False, verbosity=0)
    wipe()
    started = time.perf_counter()
    generated = generate(prefill, seed=seed) if prefill else {"seconds": 0}
    print(f"prefilled {prefill} tickets in {generated['seconds']} s", file=sys.stderr)
    return {"prefill": prefill, **measure(size, seed), "total_seconds": _since(started)}


def measure(size: int, seed: int) -> dict[str, Any]:
    from random import Random

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import texts
    from laufzettel.accounts.models import Contact, Team
    from laufzettel.outbox.models import OutboundEmail
    from laufzettel.tickets.lifecycle import create_ticket
    from laufzettel.tickets.models import Channel, State, Ticket

    rng = Random(seed)
    intake = Team.objects.intake()
    agent = User.objects.filter(teams=intake).order_by("pk").first()
    contact_ids = list(
        Contact.objects.filter(emails__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    if agent is None or not contact_ids:
        raise SystemExit("no agent or contact: run with --prefill of at least 10")
    cases = [
        texts.draw_case(rng, rng.choice(texts.TOPIC_NAMES), "Petra Müller", "Berlin")
        for _ in range(200)
    ]

    def domain(i: int) -> int:
        contact = Contact.objects.get(pk=contact_ids[i % len(contact_ids)])
        case = cases[i % len(cases)]
        began = time.perf_counter_ns()
        create_ticket(
            contact=contact,
            subject=case.subject,
            body=case.description,
            channel=Channel.PHONE,
            by=agent,
        )
        return time.perf_counter_ns() - began

    def bare(i: int) -> int:
        contact = Contact.objects.get(pk=contact_ids[i % len(contact_ids)])
        case = cases[i % len(cases)]
        began = time.perf_counter_ns()
        Ticket.objects.create(
            subject=case.subject,
            contact=contact,
            organization_id=contact.organization_id,
            channel=Channel.PHONE,
            team=intake,
            state=State.NEW,
            initial_situation=case.description,
        )
        return time.perf_counter_ns() - began

    for i in range(WARM_UP):  # templates compiled, connections and caches warm
        domain(i)
        bare(i)
    contact = Contact.objects.get(pk=contact_ids[0])
    with CaptureQueriesContext(connection) as queries:
        create_ticket(
            contact=contact,
            subject=cases[0].subject,
            body=cases[0].description,
            channel=Channel.PHONE,
            by=agent,
        )
    mails_before = OutboundEmail.objects.count()
    domain_ns: list[int] = []
    bare_ns: list[int] = []
    for begin in range(0, size, BLOCK):
        block = range(begin, min(begin + BLOCK, size))
        domain_ns.extend(domain(i) for i in block)
        bare_ns.extend(bare(i) for i in block)
    mails = OutboundEmail.objects.count() - mails_before
    if mails != size:
        raise SystemExit(f"expected {size} outbox rows, found {mails}")

    figures = _figures(domain_ns)
    ceiling = _figures(bare_ns)
    return {
        "benchmark": "create_tickets",
        "database": connection.vendor,
        "size": size,
        **figures,
        "queries_per_ticket": len(queries),
        "outbound_emails": mails,
        "ceiling": {"name": "bare Ticket.objects.create", **ceiling},
        # Share of the bare INSERT rate the domain layer reaches (1.0 = no overhead).
        "ratio": round(figures["tickets_per_second"] / ceiling["tickets_per_second"], 3),
    }


def _figures(latencies_ns: list[int]) -> dict[str, float]:
    ms = sorted(ns / 1e6 for ns in latencies_ns)
    return {
        "tickets_per_second": round(len(ms) / (sum(ms) / 1000), 1),
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 3),
    }


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


if __name__ == "__main__":
    main()
