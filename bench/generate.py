"""Fill a database with N realistic tickets, fast: the fixture for every other benchmark.

    uv run python bench/generate.py --size 100000 [--fresh] [--seed 42]

Each ticket gets a contact (with organization, E.164 phone and email), 2-6 articles, the events
its history implies and the outbox rows of its mails, with a mix of channels, topics, levels,
priorities and states and timestamps spread over the past year (weekdays and office hours).

It writes rows directly instead of calling ``tickets.lifecycle``: the life-cycle functions lock,
check and save one ticket per transaction with a dozen queries or more, which would take the
better part of an hour for 100,000 tickets and could not put a ticket's history into the past.
``bench/story.py`` builds the rows those functions would have written (same event kinds, state
pairs and change keys; ``version``, ``updated_at`` and the resolution, follow-up and closing
fields consistent with the events), and ``tests/test_bench_generate.py`` checks that they are.
Change hooks (``tickets/hooks.py``: SLA clocks, webhooks) do not run, so apps that keep their
own rows per ticket get none from here.

The rows go in as plain tuples in chunks (``bench/table.py``: ``executemany`` on SQLite, ``COPY``
on PostgreSQL), one transaction per chunk, while a forked process builds the next chunk: with
``bulk_create`` the per-value preparation of model instances alone took longer than the whole
target (about 300 tickets/s). Row ids are chosen here, not by the database, so the generator
must be the only writer while it runs; on PostgreSQL the id sequences are moved past the new
rows at the end.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from queue import Empty
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

if __name__ == "__main__":  # run as a script: make ``bench`` importable and set Django up
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laufzettel.settings")
    import django

    django.setup()

from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from bench.rows import (
    AFFECTED_COLUMNS,
    ARTICLE_COLUMNS,
    EVENT_COLUMNS,
    LINK_COLUMNS,
    MAIL_COLUMNS,
    TICKET_COLUMNS,
    Ids,
    Rows,
    aware_stamp,
    pick,
    sqlite_stamp,
)
from bench.story import Storyteller
from bench.table import Table
from bench.world import create_customers, ensure_world, next_id
from laufzettel.accounts.models import Contact, ContactEmail, ContactPhone, Organization
from laufzettel.outbox.models import OutboundEmail
from laufzettel.tickets.models import Article, Event, Ticket, TicketLink

TARGET_SECONDS_PER_100K = 120.0
# Tickets created per hour of the day (local time): office hours, a little in the evening.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 6, 25, 55, 62, 60, 52, 34, 45, 52, 46, 34, 16, 7, 4, 3, 2, 2, 1)
# Tables a fresh start empties (and every table that refers to them, e.g. SLA timers).
WIPED = (Ticket, Article, Event, OutboundEmail, TicketLink, Contact, Organization)
# Tables whose ids the generator chooses (the id sequences must follow on PostgreSQL).
SEQUENCED = (Ticket, Article, Event, OutboundEmail, Contact, Organization)


def generate(
    size: int,
    *,
    seed: int = 42,
    now: datetime | None = None,
    chunk_size: int = 5000,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Add ``size`` tickets (and their customers) to the database; return what was written."""
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    rng = Random(seed)
    now_ts = (now or datetime.now(UTC)).timestamp()
    counts: Counter[str] = Counter()
    states: Counter[str] = Counter()
    stamp = sqlite_stamp if connection.vendor == "sqlite" else aware_stamp
    with _bulk_load_pragmas():
        with transaction.atomic():
            world = ensure_world()
            contacts, contact_weights = create_customers(
                rng,
                organizations=max(5, min(400, size // 250)),
                contacts=max(10, size // 5),
                now_ts=now_ts,
                stamp=stamp,
            )
        counts["contacts"] = len(contacts)
        ids = Ids(next_id(Ticket), next_id(Article), next_id(Event), next_id(OutboundEmail))
        teller = Storyteller(rng, world, now_ts, ids, stamp)
        tables = _tables()

        def produce() -> Iterator[Rows]:
            times = _creation_times(rng, size, now_ts)
            for begin in range(0, size, chunk_size):
                teller.rows = Rows()
                for created in times[begin : begin + chunk_size]:
                    teller.tell(created, pick(rng, contacts, contact_weights))
                yield teller.rows

        for rows in _in_background(produce):
            _write(tables, rows, counts)
            states.update(rows.states)
            if progress:
                progress(f"{counts['tickets']} tickets, {_elapsed(started)} s")
    _after_load()
    seconds = time.perf_counter() - started
    target = TARGET_SECONDS_PER_100K * size / 100_000
    return {
        "benchmark": "generate",
        "database": connection.vendor,
        "tickets": counts["tickets"],
        "articles": counts["articles"],
        "events": counts["events"],
        "outbound_emails": counts["mails"],
        "links": counts["links"],
        "contacts": counts["contacts"],
        "states": dict(sorted(states.items())),
        "seconds": round(seconds, 2),
        # Both processes: what a quiet machine needs, whatever else ran during the measurement.
        "cpu_seconds": round(_cpu_seconds() - cpu_started, 2),
        "tickets_per_second": round(size / seconds, 1),
        "target_seconds": round(target, 2),
        "target_tickets_per_second": round(100_000 / TARGET_SECONDS_PER_100K, 1),
        # Above 1: faster than the target (100,000 tickets in 120 s).
        "ratio": round(target / seconds, 2),
    }


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the row producer)."""
    if resource is None:
        return time.process_time()
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 1)


def _creation_times(rng: Random, size: int, now_ts: float) -> list[float]:
    """Creation times over the past year: mostly weekdays and office hours, oldest first."""
    tz = ZoneInfo(settings.TIME_ZONE)
    today = datetime.fromtimestamp(now_ts, tz).date()
    hours = list(range(24))
    cum_hours = list(accumulate(HOUR_WEIGHTS))
    times: list[float] = []
    while len(times) < size:
        day = today - timedelta(days=rng.randrange(365))
        if day.weekday() >= 5 and rng.random() < 0.85:
            continue
        hour = rng.choices(hours, cum_weights=cum_hours)[0]
        local = datetime(
            day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=tz
        )
        if (ts := local.timestamp()) < now_ts:
            times.append(ts)
    times.sort()
    return times


def _tables() -> dict[str, Table]:
    return {
        "tickets": Table(Ticket, TICKET_COLUMNS),
        "articles": Table(Article, ARTICLE_COLUMNS),
        "events": Table(Event, EVENT_COLUMNS),
        "mails": Table(OutboundEmail, MAIL_COLUMNS),
        "links": Table(TicketLink, LINK_COLUMNS),
        "affected": Table(Ticket.affected_contacts.through, AFFECTED_COLUMNS),
    }


def _in_background(produce: Callable[[], Iterator[Rows]]) -> Iterator[Rows]:
    """Run ``produce`` in a forked process while this one writes: the two halves of the work
    (Python building rows, the database inserting them) then overlap on two cores.

    The child only computes; it never touches the database connection it inherited. Where
    ``fork`` is not available the rows are produced inline.
    """
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:
        yield from produce()
        return
    queue: multiprocessing.Queue[Rows | str | None] = ctx.Queue(maxsize=2)
    child = ctx.Process(target=_feed, args=(produce, queue), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = queue.get(timeout=5)
            except Empty:
                if not child.is_alive():
                    raise RuntimeError(f"row producer died (exit code {child.exitcode})") from None
                continue
            if item is None:
                break
            if isinstance(item, str):
                raise RuntimeError(f"row producer failed:\n{item}")
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def _feed(produce: Callable[[], Iterator[Rows]], queue: "multiprocessing.Queue[Any]") -> None:
    try:
        for rows in produce():
            queue.put(rows)
        queue.put(None)
    except BaseException:
        queue.put(traceback.format_exc())


def _write(tables: dict[str, Table], rows: Rows, counts: Counter[str]) -> None:
    """One transaction per chunk, tables in foreign-key order."""
    with transaction.atomic():
        for name, table in tables.items():
            batch = getattr(rows, name)
            table.insert(batch)
            counts[name] += len(batch)


@contextmanager
def _bulk_load_pragmas() -> Iterator[None]:
    """SQLite only, for this connection and this load only: fewer syncs, more page cache.

    A crash during the load can lose the last chunks (never corrupt the file, WAL keeps it
    consistent); a fixture generator can afford that, the application cannot.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")


def _after_load() -> None:
    """Move PostgreSQL's id sequences past the new rows and give its planner fresh statistics."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(SEQUENCED)):
            cursor.execute(sql)
        if not connection.in_atomic_block:
            tables = [m._meta.db_table for m in (*WIPED, ContactEmail, ContactPhone)]
            cursor.execute(f"ANALYZE {', '.join(tables)}")


def wipe() -> None:
    """Delete every ticket, contact and organization (and rows referring to them)."""
    tables = [m._meta.db_table for m in (*WIPED, ContactEmail, ContactPhone)]
    tables.append(Ticket.affected_contacts.through._meta.db_table)
    sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    connection.ops.execute_sql_flush(sql)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="tickets to add")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="first delete ALL tickets, contacts and organizations of the configured database",
    )
    args = parser.parse_args(argv)
    db = connection.settings_dict
    print(f"database: {connection.vendor} {db['NAME']}", file=sys.stderr)
    call_command("migrate", interactive=False, verbosity=0)
    if args.fresh:
        wipe()
    figures = generate(
        args.size,
        seed=args.seed,
        chunk_size=args.chunk_size,
        progress=lambda line: print(line, file=sys.stderr),
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
