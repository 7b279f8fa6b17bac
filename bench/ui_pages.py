"""Benchmark: desk and portal pages with 100,000 tickets — full responses, rows included.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lz_bench \\
        uv run python bench/ui_pages.py [--size 100000] [--requests 200] [--reuse]

Each page is requested through Django's test client (URL routing, middleware, session, the view,
template rendering: everything but the socket) by a signed-in agent or portal user, ``--requests``
times after a warm-up, and timed from request to the last byte of the body. The figures are the
50th and 95th percentile per page; the ceiling is the issue's budget (queue pages 50 ms, the
ticket page with a 30-entry timeline 40 ms, at the 95th percentile), and ``ratio`` is budget /
p95 (above 1: within budget). The queue pages are measured for the agents whose queues are the
fullest in the generated data (first level, and a second-level team).

The database is a throwaway one: without ``--reuse`` the run deletes all tickets, contacts and
organizations in it and generates ``--size`` tickets with ``bench/generate.py``. ``--reuse`` keeps
a database already filled by an earlier run (it must hold at least ``--size`` tickets).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

QUEUE_BUDGET_MS = 50.0
TICKET_BUDGET_MS = 40.0
WARM_UP = 10
TIMELINE_ENTRIES = 30


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true", help="keep an already generated database")
    parser.add_argument("--allow-any-database", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laufzettel.settings")
    import django

    django.setup()
    print(json.dumps(run(args)))


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from bench.generate import generate, wipe
    from laufzettel.tickets.models import Ticket

    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" and "bench" not in name and not args.allow_any_database:
        sys.exit(f"refusing to use database {name!r}: name a throwaway one such as lz_bench")
    call_command("migrate", interactive=False, verbosity=0)
    if not args.reuse or Ticket.objects.count() < args.size:
        wipe()
        generated = generate(args.size, seed=args.seed)
        print(f"generated {args.size} tickets in {generated['seconds']} s", file=sys.stderr)
    # The manifest storage needs collectstatic; the test client needs its host name.
    with override_settings(
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        SECURE_SSL_REDIRECT=False,
    ):
        return measure(args.requests)


def _timeline_ticket() -> Any:
    """A ticket with a 30-entry timeline, made through the life cycle as agents would."""
    from django.contrib.auth.models import User

    from laufzettel.accounts.models import Contact, Team
    from laufzettel.desk.timeline import build_timeline
    from laufzettel.tickets import lifecycle
    from laufzettel.tickets.models import Channel

    intake = Team.objects.intake()
    agent = User.objects.filter(teams=intake).order_by("pk").first()
    contact = Contact.objects.filter(emails__isnull=False, organization__isnull=False).first()
    ticket = lifecycle.create_ticket(
        contact=contact,
        subject="Benchmark: Telefonanlage",
        body="…",
        channel=Channel.PHONE,
        by=agent,
    )
    i = 0
    while len(build_timeline(ticket)) < TIMELINE_ENTRIES:
        if i % 3 == 0:
            lifecycle.reply_to_customer(ticket, by=agent, text=f"Zwischenstand {i}")
        elif i % 3 == 1:
            lifecycle.record_customer_reply(ticket, contact=contact, body=f"Danke {i}\n> zitat")
        else:
            lifecycle.add_note(ticket, by=agent, body=f"Notiz {i}")
        ticket.refresh_from_db()
        i += 1
    return ticket, agent, contact


def _busiest_agents() -> list[Any]:
    """The member of the team with the most open tickets at level 1 and at level 2."""
    from django.contrib.auth.models import User
    from django.db.models import Count, Q

    from laufzettel.accounts.models import Team
    from laufzettel.tickets.models import OPEN_STATES

    chosen = []
    for level in (1, 2):
        team = (
            Team.objects.filter(level=level, members__isnull=False)
            .annotate(n=Count("tickets", filter=Q(tickets__state__in=OPEN_STATES)))
            .order_by("-n")
            .first()
        )
        if team is not None:
            chosen.append(User.objects.filter(teams=team).order_by("pk").first())
    return chosen


def _time(client: Any, url: str, requests: int) -> dict[str, Any]:
    for _ in range(WARM_UP):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    ms = []
    size = 0
    for _ in range(requests):
        began = time.perf_counter_ns()
        response = client.get(url)
        body = b"".join(response) if response.streaming else response.content
        ms.append((time.perf_counter_ns() - began) / 1e6)
        size = len(body)
    ms.sort()
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 2),
        "bytes": size,
    }


def measure(requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from laufzettel.desk.queues import QUEUES
    from laufzettel.portal.actions import account_for
    from laufzettel.portal.models import PortalAccount
    from laufzettel.tickets.models import Ticket

    ticket, first_agent, contact = _timeline_ticket()
    pages: dict[str, dict[str, Any]] = {}

    def page(label: str, client: Any, url: str, budget: float) -> None:
        figures = _time(client, url, requests)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        figures.update(
            queries=len(queries),
            budget_ms=budget,
            ratio=round(budget / figures["p95_ms"], 2) if figures["p95_ms"] else None,
        )
        pages[label] = figures
        print(f"{label}: {figures}", file=sys.stderr)

    # The floor: the cheapest page there is (anonymous login form, no query), measured in the
    # same run. Page time minus the floor is what the desk itself costs on this machine.
    page("floor: login page (anonymous)", Client(), "/login/", QUEUE_BUDGET_MS)
    for agent in _busiest_agents():
        client = Client()
        client.force_login(agent)
        who = f"{agent.get_username()}"
        page(f"desk home ({who})", client, "/", QUEUE_BUDGET_MS)
        for queue in QUEUES:
            page(f"queue {queue.key} ({who})", client, f"/queues/{queue.key}/", QUEUE_BUDGET_MS)
        page(
            f"queue teams, sorted by priority, filtered by level, page 3 ({who})",
            client,
            "/queues/teams/?sort=priority&level=1&page=3",
            QUEUE_BUDGET_MS,
        )
    client = Client()
    client.force_login(first_agent)
    page("ticket page (30-entry timeline)", client, f"/tickets/{ticket.number}/", TICKET_BUDGET_MS)

    # The portal admin of the organization with the most tickets sees all of them.
    busiest_org = (
        Ticket.objects.values("organization")
        .order_by()
        .annotate(n=models_count())
        .order_by("-n")
        .values_list("organization", flat=True)
        .first()
    )
    admin_contact = type(contact).objects.filter(organization=busiest_org).first()
    account = account_for(admin_contact)
    PortalAccount.objects.filter(pk=account.pk).update(is_portal_admin=True)
    portal = Client()
    portal.force_login(account.user)
    page("portal home (portal admin, largest organization)", portal, "/portal/", QUEUE_BUDGET_MS)
    own = account_for(contact)
    portal_own = Client()
    portal_own.force_login(own.user)
    page(
        "portal ticket page (30-entry timeline)",
        portal_own,
        f"/portal/tickets/{ticket.number}/",
        TICKET_BUDGET_MS,
    )
    worst = min(p["ratio"] for label, p in pages.items() if not label.startswith("floor"))
    return {
        "benchmark": "ui_pages",
        "database": connection.vendor,
        "tickets": Ticket.objects.count(),
        "requests_per_page": requests,
        "pages": pages,
        "ceiling": {"queue_p95_ms": QUEUE_BUDGET_MS, "ticket_p95_ms": TICKET_BUDGET_MS},
        # The worst page's budget / p95: above 1 means every page is within its budget.
        "ratio": worst,
    }


def models_count() -> Any:
    from django.db.models import Count

    return Count("pk")


if __name__ == "__main__":
    main()
