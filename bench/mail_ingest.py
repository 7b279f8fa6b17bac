"""Benchmark: mail ingest throughput against the parse-only rate of the same messages.

    uv run python bench/mail_ingest.py [--size 10000] [--workers 1 2] [--corpus DIR]

The Zammad corpus (``../shared/mail-corpus/zammad/*.box``) is replicated to ``--size`` messages,
each copy with a fresh Message-ID. The ceiling is ``parse_message`` alone over all of them in one
process. Ingest is the real pipe pipeline: the messages lie in the spool as ``laufzettel mail
ingest`` leaves them, and one or two worker processes run the worker's mail job
(``laufzettel.mail.ingest.sweep``: store the raw bytes in batches, commit, remove the spool
files; then parse, thread and file ticket/article/attachments/acknowledgement, a batch of
``LAUFZETTEL_MAIL_BATCH`` per transaction) until everything is filed. Measured from the workers'
start to the last one finishing.

The database is a throwaway one: by default a new SQLite file in a temporary LAUFZETTEL_HOME.
With DATABASE_URL set (PostgreSQL) its name must contain "bench" (e.g. lz_bench): the run deletes
all tickets, contacts, organizations and inbound mail in it before each measurement. Prints one
JSON line with the figures (progress goes to stderr).
"""

import argparse
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "mail-corpus" / "zammad"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)

    own_home = None
    if not os.environ.get("DATABASE_URL") or "LAUFZETTEL_HOME" not in os.environ:
        own_home = tempfile.mkdtemp(prefix="lz-bench-mail-")
        os.environ["LAUFZETTEL_HOME"] = own_home
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laufzettel.settings")
    import django

    django.setup()
    try:
        figures = run(args.size, args.workers, args.corpus)
    finally:
        if own_home:
            shutil.rmtree(own_home, ignore_errors=True)
    print(json.dumps(figures))


def replicate(corpus: Path, size: int) -> list[bytes]:
    """``size`` messages from the corpus, round robin, each with its own Message-ID."""
    originals = [p.read_bytes() for p in sorted(corpus.glob("*.box"))]
    if not originals:
        raise SystemExit(f"no *.box files in {corpus}")
    header = re.compile(rb"^Message-I[Dd]:.*\r?\n(?:[ \t].*\r?\n)*", re.MULTILINE | re.IGNORECASE)
    messages = []
    for i in range(size):
        raw = originals[i % len(originals)]
        end = raw.find(b"\n\n")
        head, body = (raw[:end], raw[end:]) if end != -1 else (raw, b"")
        head = header.sub(b"", head + b"\n")[:-1] if head else head
        messages.append(b"Message-ID: <bench-%d@bench.example>\n" % i + head + body)
    return messages


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def parse_only(messages: list[bytes]) -> dict[str, Any]:
    from laufzettel.mail.parse import parse_message

    started = time.perf_counter()
    for raw in messages:
        parse_message(raw)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "per_second": round(len(messages) / seconds, 1)}


def prepare() -> None:
    """An empty database with an intake team, as after installation."""
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    from bench.generate import wipe
    from laufzettel.accounts.models import Team
    from laufzettel.mail.models import InboundMessage
    from laufzettel.outbox.models import OutboundEmail
    from laufzettel.tickets.models import Attachment

    call_command("migrate", interactive=False, verbosity=0)
    tables = [m._meta.db_table for m in (InboundMessage, Attachment, OutboundEmail)]
    sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    connection.ops.execute_sql_flush(sql)
    wipe()
    Team.objects.get_or_create(name="Kundenbetreuung", defaults={"level": 1, "is_intake": True})


def _worker(spool: Path, start: Any, done: Any) -> None:
    from django.conf import settings
    from django.db import connections

    connections.close_all()  # never share the parent's connection
    from laufzettel.mail.ingest import sweep

    settings.LAUFZETTEL_MAIL_SPOOL = spool
    start.wait()
    handled = 0
    try:
        while True:
            round_done = sweep(None)  # type: ignore[arg-type]
            handled += round_done
            if not round_done:
                break
    except BaseException:
        import traceback

        traceback.print_exc()
        handled = -1
    finally:
        done.put(handled)


def ingest_rate(messages: list[bytes], workers: int) -> dict[str, Any]:
    from django.db import connections
    from django.db.models import Count

    from laufzettel.mail.models import InboundMessage, InboundStatus
    from laufzettel.mail.spool import spool_write

    prepare()
    spool = Path(tempfile.mkdtemp(prefix="lz-bench-spool-"))
    for raw in messages:
        spool_write(raw, spool)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start, done = context.Event(), context.Queue()
    processes = [context.Process(target=_worker, args=(spool, start, done)) for _ in range(workers)]
    for process in processes:
        process.start()
    started = time.perf_counter()
    start.set()
    if any(done.get() < 0 for _ in processes):
        raise SystemExit("a worker failed (traceback above)")
    seconds = time.perf_counter() - started
    for process in processes:
        process.join()
    shutil.rmtree(spool, ignore_errors=True)
    states = dict(InboundMessage.objects.values_list("status").annotate(n=Count("pk")))
    assert sum(states.values()) == len(messages), states
    return {
        "workers": workers,
        "seconds": round(seconds, 2),
        "per_second": round(len(messages) / seconds, 1),
        "failed": states.get(InboundStatus.FAILED, 0),
        "states": states,
        "processed": states.get(InboundStatus.PROCESSED, 0),
    }


def run(size: int, workers: list[int], corpus: Path) -> dict[str, Any]:
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" and "bench" not in name:
        sys.exit(f"refusing to wipe database {name!r}: name a throwaway database such as lz_bench")
    print(f"database: {connection.vendor} {name}", file=sys.stderr)
    messages = replicate(corpus, size)
    parse = parse_only(messages)
    print(f"parse only: {parse}", file=sys.stderr)
    runs = []
    for count in workers:
        figures = ingest_rate(messages, count)
        print(f"ingest: {figures}", file=sys.stderr)
        runs.append(figures)
    result: dict[str, Any] = {
        "database": connection.vendor,
        "messages": size,
        "corpus_files": len(list(corpus.glob("*.box"))),
        "parse_only_per_second": parse["per_second"],
        "ingest": runs,
    }
    one = next((r for r in runs if r["workers"] == 1), None)
    two = next((r for r in runs if r["workers"] == 2), None)
    if one:
        result["ingest_share_of_parse"] = round(one["per_second"] / parse["per_second"], 3)
    if one and two:
        result["two_workers_speedup"] = round(two["per_second"] / one["per_second"], 2)
    return result


if __name__ == "__main__":
    main()
