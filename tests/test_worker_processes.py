"""``laufzettel worker`` as real processes against a real SMTP server: killed, doubled, stopped.

The workers run on the test database (``transactional_db``, so what this process writes is
committed and visible to them) and send to an aiosmtpd sink whose handlers decide when a worker
dies: a deterministic point in the SMTP conversation, never a timer.
"""

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection, transaction

from laufzettel.outbox.models import PENDING_STATES, DeliveryState, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel
from tests.conftest import Org
from tests.smtp_sink import SmtpSink

CONSOLE_SCRIPT = Path(sys.executable).with_name("laufzettel")
WAIT = 60  # seconds a process may take before the test gives up on it


def worker_env(smtp_port: int) -> dict[str, str]:
    """The test's database and the sink, for a process that reads only the environment."""
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}", "LOG_LEVEL": "INFO"}
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        env["LAUFZETTEL_SQLITE_PATH"] = name  # the test database file, not laufzettel.sqlite3
    else:
        env["DATABASE_URL"] = (
            urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()
        )
    return env


class Worker:
    """One ``laufzettel worker`` process; its log is read as it is written."""

    def __init__(self, smtp_port: int, *args: str) -> None:
        command = (
            [str(CONSOLE_SCRIPT)]
            if CONSOLE_SCRIPT.exists()
            else [sys.executable, "-m", "laufzettel.cli"]
        )
        self.process = subprocess.Popen(
            [*command, "worker", *args],
            env=worker_env(smtp_port),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        self.output = ""
        self.started = threading.Event()
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if "worker started" in line:
                self.started.set()

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self) -> int:
        code = self.process.wait(WAIT)
        self._reader.join(WAIT)
        assert self.process.stdout is not None
        self.output = self.process.stdout.read()
        return code

    def delivered(self) -> int:
        """What ``worker --once`` reports as done."""
        found = re.search(r"done: (\d+)", self.output)
        assert found, "".join(self.log)
        return int(found[1])


@pytest.fixture
def start_worker() -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(smtp_port: int, *args: str) -> Worker:
        worker = Worker(smtp_port, *args)
        started.append(worker)
        return worker

    yield start
    for worker in started:  # a failed test must not leave a worker holding the database
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait(WAIT)


def sink_fixture(sink: SmtpSink) -> Iterator[Any]:
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def queue_acknowledgements(org: Org, count: int) -> list[str]:
    """Open ``count`` phone tickets; each queues an acknowledgement. Returns their Message-IDs."""
    with transaction.atomic():  # one commit: the workers see the whole batch at once
        for n in range(count):
            lifecycle.create_ticket(
                contact=org.customer_a,
                subject=f"Störung {n + 1}",
                body="Die Telefone im Lager klingeln nicht.",
                channel=Channel.PHONE,
                by=org.first_level_agent,
            )
    ids = list(OutboundEmail.objects.order_by("pk").values_list("message_id", flat=True))
    assert len(ids) == count
    return ids


def states() -> Counter[str]:
    return Counter(OutboundEmail.objects.values_list("delivery_state", flat=True))


def wait_for_dead_workers_locks() -> None:
    """PostgreSQL keeps a killed worker's row lock until it notices the closed connection.

    Taking the same rows FOR UPDATE waits exactly that long (a lock wait, not a sleep);
    on SQLite there is nothing to wait for.
    """
    with transaction.atomic():
        list(OutboundEmail.objects.select_for_update().filter(delivery_state__in=PENDING_STATES))


# --- SIGKILL in the middle of a batch ----------------------------------------------------------


class KillingSink(SmtpSink):
    """Kills ``victim`` with SIGKILL when its ``kill_at``-th message begins (MAIL FROM)."""

    def __init__(self, kill_at: int) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.victim: int | None = None
        self.mail_commands = 0

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mail_commands += 1
        if self.mail_commands == self.kill_at and self.victim is not None:
            os.kill(self.victim, signal.SIGKILL)
            self.victim = None
            # Never accepted: the client is dead, its message must not count as arrived.
            return "421 4.3.0 client killed"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"


@pytest.fixture
def killing_sink() -> Iterator[KillingSink]:
    yield from sink_fixture(KillingSink(kill_at=10))


def test_sigkill_mid_batch_then_restart_delivers_every_message_once(
    transactional_db, org, killing_sink, start_worker
):
    """A worker killed mid-batch loses nothing, and a new one sends nothing twice.

    The kill comes as the 10th message begins, before the server accepts it: messages 1-9 are
    recorded as sent (each is recorded before the next MAIL FROM), the 10th is still due
    (on PostgreSQL its row lock dies with the connection; on SQLite the worker held no
    transaction), and the new worker sends 10-30.

    One window no outbox can close: a kill after the server's 250 for DATA but before the
    worker records it. That one message is sent again after a restart, with the same
    Message-ID, so the receiving side can recognise the duplicate. Killing here, before the
    250, is the point where "exactly once" is owed.
    """
    message_ids = queue_acknowledgements(org, 30)

    first = start_worker(killing_sink.port, "--poll", "0.2")
    killing_sink.victim = first.pid
    assert first.wait() == -signal.SIGKILL, "".join(first.log)

    assert killing_sink.message_ids() == dict.fromkeys(message_ids[:9], 1)
    assert states() == {DeliveryState.SENT: 9, DeliveryState.QUEUED: 21}

    wait_for_dead_workers_locks()
    second = start_worker(killing_sink.port, "--once")
    assert second.wait() == 0, "".join(second.log)
    assert second.delivered() == 21

    assert killing_sink.message_ids() == dict.fromkeys(message_ids, 1)
    assert states() == {DeliveryState.SENT: 30}
    assert not OutboundEmail.objects.exclude(attempts=1).exists()


# --- two workers on PostgreSQL -----------------------------------------------------------------


class PacedSink(SmtpSink):
    """Answers each message after ``pause`` seconds, the first ones only once ``clients``
    connections are open: the server's pace makes the workers overlap."""

    def __init__(self, clients: int, pause: float) -> None:
        super().__init__()
        self.clients = clients
        self.pause = pause
        self.peers: set[Any] = set()
        self.all_connected = asyncio.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.add(session.peer)
        if len(self.peers) >= self.clients:
            self.all_connected.set()
        # On timeout go on: the test's own assertions tell that a worker never came.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_connected.wait(), WAIT)
        await asyncio.sleep(self.pause)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def paced_sink() -> Iterator[PacedSink]:
    yield from sink_fixture(PacedSink(clients=2, pause=0.005))


def test_two_workers_on_postgresql_share_a_batch_without_duplicates(
    postgres_only, transactional_db, org, paced_sink, start_worker
):
    message_ids = queue_acknowledgements(org, 200)

    workers = [start_worker(paced_sink.port, "--once") for _ in range(2)]
    codes = [worker.wait() for worker in workers]

    assert codes == [0, 0], ["".join(w.log) for w in workers]
    assert paced_sink.message_ids() == dict.fromkeys(message_ids, 1)
    assert states() == {DeliveryState.SENT: 200}
    shares = [worker.delivered() for worker in workers]
    assert sum(shares) == 200
    assert min(shares) > 0, shares


# --- one worker at a time on SQLite ------------------------------------------------------------


def test_second_worker_on_sqlite_exits_with_a_clear_error(
    transactional_db, smtp_sink, start_worker
):
    if connection.vendor != "sqlite":
        pytest.skip("the single-worker lock exists only on SQLite (PostgreSQL workers claim rows)")
    first = start_worker(smtp_sink.port, "--poll", "60")
    assert first.started.wait(WAIT), "".join(first.log)

    second = start_worker(smtp_sink.port, "--once")

    assert second.wait() == 1
    error = "".join(second.log)
    assert f"Another worker (pid {first.pid}) is running on this SQLite database" in error
    assert "only one worker may run at a time on SQLite" in error
    # SIGTERM wakes the idle worker at once, although its poll interval is a minute.
    first.process.send_signal(signal.SIGTERM)
    assert first.wait() == 0
    assert "worker stopped" in "".join(first.log)


# --- SIGTERM -----------------------------------------------------------------------------------


class TerminatingSink(SmtpSink):
    """Sends ``victim`` SIGTERM while its ``term_at``-th message is in hand, then accepts it."""

    def __init__(self, term_at: int) -> None:
        super().__init__()
        self.term_at = term_at
        self.victim: int | None = None
        self.data_commands = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.data_commands == self.term_at and self.victim is not None:
            os.kill(self.victim, signal.SIGTERM)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def terminating_sink() -> Iterator[TerminatingSink]:
    yield from sink_fixture(TerminatingSink(term_at=3))


def test_sigterm_finishes_the_message_in_hand_and_exits_cleanly(
    transactional_db, org, terminating_sink, start_worker
):
    message_ids = queue_acknowledgements(org, 6)

    worker = start_worker(terminating_sink.port, "--poll", "60")
    terminating_sink.victim = worker.pid

    assert worker.wait() == 0, "".join(worker.log)
    assert "worker stopped" in "".join(worker.log)
    # The third message was being sent when the signal came: it is finished and recorded;
    # nothing after it is started.
    assert terminating_sink.message_ids() == dict.fromkeys(message_ids[:3], 1)
    assert states() == {DeliveryState.SENT: 3, DeliveryState.QUEUED: 3}
