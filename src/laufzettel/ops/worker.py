"""The background worker: delivers the outbox and fires due timers until asked to stop."""

import fcntl
import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from django.conf import settings
from django.db import close_old_connections, connection

from laufzettel.outbox.delivery import deliver_due
from laufzettel.tickets.lifecycle import close_due_tickets

log = logging.getLogger(__name__)


class WorkerAlreadyRunning(RuntimeError):
    pass


@contextmanager
def worker_lock() -> Iterator[None]:
    """On SQLite only one worker may run: held as a file lock the kernel drops when we die."""
    if connection.vendor != "sqlite":
        yield
        return
    path = Path(settings.HOME) / "worker.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WorkerAlreadyRunning(
                f"Another worker holds {path}; on SQLite only one worker runs at a time."
            ) from exc
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def run_once() -> int:
    """One round of all background work; returns how much was done."""
    report = deliver_due()
    closed = close_due_tickets()
    if report.handled or closed:
        log.info(
            "sent %d, retrying %d, failed %d mails; closed %d tickets",
            report.sent,
            report.retrying,
            report.failed,
            closed,
        )
    return report.handled + closed


def run_forever(poll_seconds: float, stop: threading.Event | None = None) -> None:
    """Loop until SIGTERM/SIGINT; the message in hand is finished before stopping."""
    stop = stop or threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("worker stopping (signal %d)", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    with worker_lock():
        log.info("worker started (pid %d, %s)", os.getpid(), connection.vendor)
        while not stop.is_set():
            close_old_connections()
            try:
                busy = run_once()
            except Exception:
                # One bad round must not end the worker; the rows stay due and are tried again.
                log.exception("worker round failed")
                busy = 0
            if not busy:
                stop.wait(poll_seconds)
    log.info("worker stopped")


def drain() -> int:
    """Run rounds until nothing is due (used by ``worker --once`` and tests)."""
    total = 0
    with worker_lock():
        while done := run_once():
            total += done
    return total
