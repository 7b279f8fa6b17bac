"""Benchmark: 10,000 due status updates, fired and delivered by the worker into an SMTP sink.

    uv run python bench/sla_status_mail.py [--size 10000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lz_bench uv run python bench/sla_status_mail.py

Without DATABASE_URL it runs on a new SQLite file in a temporary LAUFZETTEL_HOME; with it, the
PostgreSQL database must be a throwaway one (its name contains "bench"): its tickets are deleted.
``--size`` open tickets get a status-update timer due now (``bench/sla_fill.py``). The measured
time runs from the first sweep to the last message accepted by a local aiosmtpd server
(``python -m aiosmtpd`` with its Sink handler, in its own process; ``--in-process-sink`` uses
``tests/smtp_sink.py`` in a thread instead, which also checks each Message-ID arrived once):
``fire_due_timers`` renders each status mail (level in customer words,
latest public note, what happens next) into the outbox and plans the next update, then
``worker.drain`` delivers the outbox over one SMTP connection. Target (the ceiling): at least
200 mails per second end to end.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_PER_SECOND = 200.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="due status updates")
    parser.add_argument("--allow-any-database", action="store_true")
    parser.add_argument(
        "--in-process-sink",
        action="store_true",
        help="use the tests' SMTP sink in a thread (counts Message-IDs; slower: shares the GIL)",
    )
    args = parser.parse_args(argv)
    own_home = None
    if not os.environ.get("DATABASE_URL"):
        own_home = tempfile.mkdtemp(prefix="lz-bench-")
        os.environ["LAUFZETTEL_HOME"] = own_home
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laufzettel.settings")
    import django

    django.setup()
    try:
        figures = run(args.size, args.allow_any_database, args.in_process_sink)
    finally:
        if own_home:
            shutil.rmtree(own_home, ignore_errors=True)
    print(json.dumps(figures))


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("the SMTP sink did not start")


def run(size: int, allow_any_database: bool, in_process: bool) -> dict[str, Any]:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench import sla_fill
    from laufzettel.ops.worker import drain
    from laufzettel.outbox.models import DeliveryState, MailKind, OutboundEmail
    from laufzettel.sla.models import TicketSla, Timer
    from laufzettel.sla.timers import fire_due_timers
    from tests.smtp_sink import SmtpSink, free_port

    sla_fill.refuse_foreign_database(allow_any_database)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}", file=sys.stderr)
    call_command("migrate", interactive=False, verbosity=0)
    sla_fill.wipe()
    world = sla_fill.world()
    world["team"].public_name = "bei unserer Kundenbetreuung"
    world["team"].save(update_fields=["public_name"])
    now = timezone.now()
    first, last = sla_fill.fill_open_tickets(size, world, now, waiting_every=0)
    # Only the status updates are due; the other planned timers lie days ahead.
    sla_fill.make_due(list(range(first, last + 1)), "status_update", "", now)
    sla_fill.analyze()

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    sink: Any = None
    server: subprocess.Popen[bytes] | None = None
    if in_process:
        # The tests' sink counts every Message-ID, but shares this process's GIL.
        sink = SmtpSink()
        sink.start()
        port = sink.port
    else:
        # aiosmtpd's own server in a process of its own, discarding what it accepts.
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Sink",
                "-l",
                f"127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait_for_port(port)
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        began = time.perf_counter()
        fired = fire_due_timers()
        fired_at = time.perf_counter()
        drain()
        if sink is not None and not sink.wait_for(size, timeout=120):
            raise SystemExit(f"the sink received {len(sink.message_ids())} of {size} mails")
        ended = time.perf_counter()
    finally:
        if sink is not None:
            sink.stop()
        if server is not None:
            server.terminate()
            server.wait()

    mails = OutboundEmail.objects.filter(kind=MailKind.STATUS_UPDATE)
    # SENT is recorded only after the server's 250 for that message.
    sent = mails.filter(delivery_state=DeliveryState.SENT).count()
    if sent != size:
        raise SystemExit(f"expected {size} mails sent; sent {sent}")
    if sink is not None:
        received = sink.message_ids()
        if len(received) != size or max(received.values()) != 1:
            raise SystemExit(f"expected {size} mails received once each")
    seconds = ended - began
    rate = size / seconds
    sample = mails.first()
    return {
        "benchmark": "sla_status_mail",
        "database": connection.vendor,
        "sink": "aiosmtpd thread in this process" if in_process else "aiosmtpd process",
        "status_updates": size,
        "timers_fired": fired,
        "fire_seconds": round(fired_at - began, 2),
        "fire_per_second": round(size / (fired_at - began), 1),
        "deliver_seconds": round(ended - fired_at, 2),
        "deliver_per_second": round(size / (ended - fired_at), 1),
        "seconds": round(seconds, 2),
        "mails_per_second": round(rate, 1),
        "next_updates_planned": Timer.objects.filter(
            kind="status_update", fired_at__isnull=True
        ).count(),
        "updates_counted": TicketSla.objects.filter(status_updates_sent=1).count(),
        "sample_subject": sample.subject if sample else "",
        # Figures from a busy machine are not comparable with a quiet one's.
        "load_average_1min": round(os.getloadavg()[0], 2),
        "ceiling": {"name": "issue target", "mails_per_second": TARGET_PER_SECOND},
        # Above 1: faster than the target.
        "ratio": round(rate / TARGET_PER_SECOND, 2),
    }


if __name__ == "__main__":
    main()
