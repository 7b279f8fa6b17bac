from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from laufzettel.ops.worker import WorkerAlreadyRunning, drain, run_forever


class Command(BaseCommand):
    help = "Deliver queued mail and fire due timers (runs until stopped)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Work off everything due now, then exit."
        )
        parser.add_argument(
            "--poll", type=float, default=None, help="Seconds between rounds when idle."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["once"]:
                done = drain()
                self.stdout.write(f"done: {done}")
            else:
                run_forever(options["poll"] or settings.LAUFZETTEL_WORKER_POLL_SECONDS)
        except WorkerAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
