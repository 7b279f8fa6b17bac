"""``laufzettel mail ingest|fetch|lmtp|reprocess``: the ways mail comes in, and the retry."""

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from laufzettel.mail.models import InboundMessage, InboundStatus, Source
from laufzettel.mail.spool import EX_TEMPFAIL, pipe_main


class Command(BaseCommand):
    help = "Receive email: from an MTA pipe, IMAP mailboxes or LMTP; re-process failed mail."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser("ingest", help="Read one message from stdin (exit 75 to retry).")
        ingest.add_argument(
            "--now",
            action="store_true",
            help="Store in the database and file at once instead of spooling for the worker.",
        )
        fetch = sub.add_parser("fetch", help="Poll the IMAP mailboxes configured in the admin.")
        fetch.add_argument("--idle", action="store_true", help="Keep running, wait with IDLE.")
        fetch.add_argument("--mailbox", help="Only this mailbox (name).")
        lmtp = sub.add_parser("lmtp", help="Run an LMTP listener.")
        lmtp.add_argument("--host", default="127.0.0.1")
        lmtp.add_argument("--port", type=int, default=8024)
        reprocess = sub.add_parser("reprocess", help="File failed (or given) messages again.")
        reprocess.add_argument("ids", nargs="*", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "ingest":
            sys.exit(self._ingest(now=options["now"]))
        if action == "fetch":
            from laufzettel.mail.imap import fetch_all, idle_forever

            if options["idle"]:
                idle_forever(options.get("mailbox"))
                return
            count = fetch_all(options.get("mailbox"))
            self.stdout.write(f"{count} messages fetched")
        elif action == "lmtp":
            from laufzettel.mail.lmtp import serve_forever

            serve_forever(options["host"], options["port"])
        elif action == "reprocess":
            self._reprocess(options["ids"])

    def _ingest(self, *, now: bool) -> int:
        if not now:
            return pipe_main()
        from laufzettel.mail.ingest import ingest

        raw = sys.stdin.buffer.read()
        if not raw:
            self.stderr.write("empty message on stdin")
            return EX_TEMPFAIL
        try:
            inbound = ingest(raw, source=Source.PIPE)
        except DatabaseError as exc:
            # The message is not stored: the MTA must keep it and try again.
            self.stderr.write(f"database unavailable, try again later: {exc}")
            return EX_TEMPFAIL
        self.stdout.write(f"stored as {inbound.pk} ({inbound.status})")
        return 0

    def _reprocess(self, ids: list[int]) -> None:
        from laufzettel.mail.ingest import process

        queryset = (
            InboundMessage.objects.filter(pk__in=ids) if ids else InboundMessage.objects.failed()
        )
        if ids and queryset.count() != len(set(ids)):
            raise CommandError("unknown message id")
        for inbound_id in queryset.values_list("pk", flat=True):
            InboundMessage.objects.filter(pk=inbound_id).update(status=InboundStatus.RECEIVED)
            inbound = process(inbound_id)
            self.stdout.write(f"{inbound.pk}: {inbound.status}")
