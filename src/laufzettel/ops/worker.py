"""The background worker: delivers the outbox and fires due timers until asked to stop."""

import fcntl
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType

from django.db import close_old_connections, connection
from django.utils import timezone

from laufzettel.outbox.delivery import deliver_due
from laufzettel.tickets.lifecycle import close_due_tickets

log = logging.getLogger(__name__)


class WorkerAlreadyRunning(RuntimeError):
    pass


def lock_path() -> Path:
    """The lock guards the database file, so it lives next to it, wherever that is."""
    return Path(f"{connection.settings_dict['NAME']}.worker-lock")


@contextmanager
def worker_lock() -> Iterator[None]:
    """On SQLite only one worker may run: held as a file lock the kernel drops when we die.

    SQLite has no row locks to claim a message with, so a second worker could send what the
    first is sending. PostgreSQL needs no such lock: its workers claim rows.
    """
    # An in-memory database cannot be shared with another process: nothing to guard.
    if connection.vendor != "sqlite" or connection.is_in_memory_db():  # type: ignore[attr-defined]
        yield
        return
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Opened without truncating: the pid in it belongs to the holder until we hold the lock.
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise WorkerAlreadyRunning(
                f"Another worker (pid {holder}) is running on this SQLite database; only one "
                f"worker may run at a time on SQLite (lock file {path}). Stop it first, or use "
                "PostgreSQL to run several workers."
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


# Background jobs besides mail delivery, each ``job(now) -> number of things done``. Apps add
# theirs (e.g. SLA timers, IMAP polling) to this list; each must be safe with several workers.
ROUND_JOBS: list[Callable[[datetime], int]] = [lambda now: close_due_tickets(now)]


def run_once(should_stop: Callable[[], bool] = lambda: False) -> int:
    """One round of all background work; returns how much was done (0 = nothing to do now).

    Once ``should_stop()`` is true the round ends after the message in hand.
    """
    report = deliver_due(should_stop=should_stop)
    done = 0
    for job in ROUND_JOBS:
        if should_stop():
            break
        done += job(timezone.now())
    if report.handled or done:
        log.info(
            "sent %d, retrying %d, failed %d mails; %d other jobs done",
            report.sent,
            report.retrying,
            report.failed,
            done,
        )
    if report.unreachable:
        # Pause before the next message rather than try the whole queue against a dead server.
        return done
    return report.handled + done


class StopRequest:
    """Asks the worker to stop: from another thread via ``event``, or from a signal handler."""

    def __init__(self, event: threading.Event | None = None) -> None:
        self.event = event or threading.Event()
        self.by_signal = False

    def __call__(self) -> bool:
        return self.by_signal or self.event.is_set()

    def handle_signal(self, signum: int, frame: FrameType | None) -> None:
        # A plain flag is seen by the very next check. The event only wakes an idle wait: the
        # interrupted main thread may hold its internal lock (inside wait()), so setting it here
        # could deadlock; a helper thread cannot.
        self.by_signal = True
        threading.Thread(target=self.event.set, name="worker-stop").start()

    @contextmanager
    def on_signals(self) -> Iterator[None]:
        """Turn SIGTERM/SIGINT into a stop request (only the main thread receives signals)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, self.handle_signal) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def run_forever(poll_seconds: float, stop: threading.Event | None = None) -> None:
    """Loop until SIGTERM/SIGINT (or ``stop`` is set); the message in hand is finished first."""
    request = StopRequest(stop)
    with request.on_signals(), worker_lock():
        log.info("worker started (pid %d, %s)", os.getpid(), connection.vendor)
        while not request():
            close_old_connections()
            try:
                busy = run_once(request)
            except Exception:
                # One bad round must not end the worker; the rows stay due and are tried again.
                log.exception("worker round failed")
                busy = 0
            if not busy:
                request.event.wait(poll_seconds)
    log.info("worker stopped")


def drain(stop: threading.Event | None = None) -> int:
    """Run rounds until nothing is due (``worker --once``, tests); SIGTERM ends it early too."""
    request = StopRequest(stop)
    total = 0
    with request.on_signals(), worker_lock():
        while not request() and (done := run_once(request)):
            total += done
    return total
