"""Fill a throwaway database with open tickets and their SLA state for the SLA benchmarks.

Open tickets are inserted set-wise (``INSERT … SELECT`` over ``generate_series`` on PostgreSQL,
a recursive CTE on SQLite), because the timer sweep's cost depends on the timer table's and the
ticket table's size, not on the tickets' histories. ``bench/generate.py`` writes whole histories
at about 120 s per 100,000 tickets (so some 20 minutes for a million) and spreads them over a
year, so most of its tickets are closed; here every ticket is open. Each ticket gets its
``TicketSla`` row, a running resolution clock and three pending timers due 1-30 days ahead, as
``laufzettel.sla.clocks`` would have planned them.
"""

import sys
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection

from laufzettel.accounts.actions import create_contact
from laufzettel.accounts.models import Level, Organization, Team
from laufzettel.sla.models import Calendar, SlaPolicy, TicketClock, TicketSla, Timer
from laufzettel.tickets.models import Ticket

DATABASE_HINT = "name a throwaway database such as lz_bench in DATABASE_URL"


def refuse_foreign_database(allow_any: bool) -> None:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" and "bench" not in name and not allow_any:
        sys.exit(f"refusing to wipe database {name!r}: {DATABASE_HINT}")


def wipe() -> None:
    from bench.generate import wipe as wipe_tickets

    # Truncating the tickets cascades to every SLA table that refers to them.
    wipe_tickets()
    Timer.objects.all().delete()


def world() -> dict[str, Any]:
    """A first-level team with a lead and a member who get warnings, a customer, a policy."""
    team, _ = Team.objects.get_or_create(
        name="Bench Kundenbetreuung", defaults={"level": Level.FIRST, "is_intake": True}
    )
    lead, _ = User.objects.get_or_create(
        username="bench-lead", defaults={"email": "lead@support.example"}
    )
    team.lead = lead
    team.save(update_fields=["lead"])
    team.members.add(lead)
    org = Organization.objects.create(name=f"Bench GmbH {datetime.now().timestamp()}")  # noqa: DTZ005
    contact = create_contact(
        "Petra Bench", organization=org, email=f"petra.{org.pk}@bench.example", phone=""
    )
    calendar, _ = Calendar.objects.get_or_create(name="Bench 24/7", defaults={"always_open": True})
    policy, _ = SlaPolicy.objects.get_or_create(
        name="Bench",
        defaults={
            "calendar": calendar,
            "first_response_minutes": 60,
            "update_interval_minutes": 240,
            "resolution_minutes": 480,
        },
    )
    return {"team": team, "contact": contact, "org": org, "policy": policy}


def _series(size: int) -> str:
    if connection.vendor == "postgresql":
        return f"SELECT g AS n FROM generate_series(1, {size}) AS g"
    return (
        f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {size}) "
        "SELECT n FROM s"
    )


def _stamp(moment: datetime) -> Any:
    return moment if connection.vendor == "postgresql" else moment.isoformat(" ")


def fill_open_tickets(
    size: int, w: dict[str, Any], now: datetime, *, waiting_every: int = 10
) -> tuple[int, int]:
    """Insert ``size`` open tickets with SLA rows; returns the id range (first, last).

    Every ``waiting_every``-th ticket waits for the customer (0: none does).
    """
    first = (Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    t, s = Ticket._meta.db_table, TicketSla._meta.db_table
    c, tm = TicketClock._meta.db_table, Timer._meta.db_table
    series = _series(size)
    offset = first - 1
    # Days ahead as SQL, per vendor: pending timers due 1-30 days from now.
    if connection.vendor == "postgresql":
        ahead = "%s + ((n %% 30) + 1) * interval '1 day' + (n %% 1440) * interval '1 minute'"
    else:
        ahead = (
            "strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '+' || ((n %% 30) + 1) || ' days', "
            "'+' || (n %% 1440) || ' minutes')"
        )
    stamp = _stamp(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {t} (id, subject, contact_id, organization_id, topic_id, priority, "
            "channel, team_id, owner_id, state, initial_situation, affected_persons_text, "
            "solution_attempts, measures_taken, resolution, created_at, updated_at, version) "
            f"SELECT n + {offset}, 'Bench-Ticket ' || n, %s, %s, NULL, 'normal', 'email', %s, "
            f"NULL, CASE WHEN n %% {waiting_every or size + 1} = 0 "
            "THEN 'waiting_for_customer' ELSE 'open' END, "
            f"'Ausgangslage', '', '', '', '', %s, %s, 1 FROM ({series}) AS s",
            [w["contact"].pk, w["org"].pk, w["team"].pk, stamp, stamp],
        )
        cursor.execute(
            f"INSERT INTO {s} (ticket_id, policy_id, generation, status_updates_paused, "
            "status_anchor, status_updates_sent, asked_at, reminded_at) "
            f"SELECT n + {offset}, %s, 1, FALSE, %s, 0, NULL, NULL FROM ({series}) AS s",
            [w["policy"].pk, stamp],
        )
        cursor.execute(
            f"INSERT INTO {c} (ticket_id, kind, status, target_seconds, warn_percent, "
            "spent_seconds, running_since, deadline, warned_at, breached_at, stopped_at, level) "
            f"SELECT n + {offset}, 'resolution', 'running', 28800, 80, 0, %s, {ahead}, NULL, "
            f"NULL, NULL, NULL FROM ({series}) AS s",
            [stamp, stamp],
        )
        pending = (("warning", "resolution"), ("breach", "resolution"), ("status_update", ""))
        for kind, clock in pending:
            cursor.execute(
                f"INSERT INTO {tm} (ticket_id, kind, clock, due_at, generation, fired_at) "
                f"SELECT n + {offset}, %s, %s, {ahead}, 1, NULL FROM ({series}) AS s",
                [kind, clock, stamp],
            )
    if connection.vendor == "postgresql":
        # The generator's convention: ids chosen here, sequences moved past them.
        with connection.cursor() as cursor:
            for table in (t, c, tm):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
    return first, first + size - 1


def make_due(ticket_ids: list[int], kind: str, clock: str, due: datetime) -> None:
    """Plan one due timer on each of these tickets (generation 1, as their SLA rows say)."""
    Timer.objects.bulk_create(
        Timer(ticket_id=pk, kind=kind, clock=clock, due_at=due, generation=1) for pk in ticket_ids
    )


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
