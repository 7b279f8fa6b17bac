"""``laufzettel demo``: a working installation in one command, web server and worker together."""

import os
import select
import signal
import socket
import subprocess
import sys
from argparse import ArgumentParser
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from laufzettel.api.tokens import demo_integration_token
from laufzettel.ops.demo_data import DemoSummary, load_demo_data

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long the children get to finish their requests and the mail in hand before being killed.
STOP_TIMEOUT = 20.0


class Supervisor:
    """Runs child processes together: when one ends, or a stop signal comes, all are stopped.

    Signals only mark what happened; the main loop sleeps in ``select`` on the signal wakeup
    socket, so a signal or a child's exit (SIGCHLD) wakes it at once without any polling delay.
    """

    def __init__(self, commands: dict[str, list[str]], env: dict[str, str]) -> None:
        self.commands = commands
        self.env = env
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stop_signal: int | None = None
        self.failed: str | None = None

    def run(self, started: Callable[[dict[str, subprocess.Popen[bytes]]], None]) -> int:
        """Start the children, wait, stop them all; 0 after a stop signal, 1 if a child died."""
        wake_reader, wake_writer = socket.socketpair()
        wake_reader.setblocking(False)
        wake_writer.setblocking(False)

        def on_stop(signum: int, frame: FrameType | None) -> None:
            if self.stop_signal is None:
                self.stop_signal = signum

        def on_child(signum: int, frame: FrameType | None) -> None:
            pass  # installed so that SIGCHLD reaches the wakeup socket

        previous = {sig: signal.signal(sig, on_stop) for sig in STOP_SIGNALS}
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, on_child)
        previous_fd = signal.set_wakeup_fd(wake_writer.fileno())
        try:
            for name, argv in self.commands.items():
                self.children[name] = subprocess.Popen(argv, env=self.env)
            started(self.children)
            while self.stop_signal is None:
                self.failed = next(
                    (name for name, child in self.children.items() if child.poll() is not None),
                    None,
                )
                if self.failed:
                    break
                # The timeout is only a safety net; signals and child exits wake us at once.
                select.select([wake_reader], [], [], 30)
                with suppress(BlockingIOError):
                    while wake_reader.recv(256):
                        pass
        finally:
            self.stop_all()
            signal.set_wakeup_fd(previous_fd)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            wake_reader.close()
            wake_writer.close()
        return 1 if self.failed else 0

    def stop_all(self) -> None:
        """SIGTERM to every child still running, wait for all, kill what does not stop in time."""
        for child in self.children.values():
            if child.poll() is None:
                with suppress(ProcessLookupError):
                    child.terminate()
        for child in self.children.values():
            try:
                child.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def describe_database() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"{db['NAME']} (SQLite)"
    return f"{db['NAME']} on {db.get('HOST') or 'localhost'} ({connections['default'].vendor})"


def describe_mail() -> str:
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend == "filebased":
        return f"the worker writes outgoing mail as files to {settings.EMAIL_FILE_PATH}/"
    if backend == "console":
        return "the worker prints outgoing mail on its console"
    if backend == "locmem":
        return "outgoing mail is kept in memory and discarded (EMAIL_URL=memory://)"
    return f"the worker sends outgoing mail by SMTP via {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"


class Command(BaseCommand):
    help = (
        "Set up a demo: migrate, load the demo data, print the logins, then run the web server "
        "and the worker together until Ctrl-C."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Web server port (8000).")
        parser.add_argument(
            "--no-serve", action="store_true", help="Only set up and print the logins."
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the SQLite database first, start over."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            self.reset()
        call_command("migrate", interactive=False, verbosity=0)
        summary = load_demo_data()
        self.report(summary)
        if options["no_serve"]:
            return
        # The children open their own connections; ours would only sit idle (or hold a lock).
        connections.close_all()
        url = f"http://127.0.0.1:{options['port']}/"
        base = [sys.executable, "-m", "laufzettel.cli"]
        supervisor = Supervisor(
            {
                "web server": [
                    *base,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(options["port"]),
                ],
                "worker": [*base, "worker"],
            },
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
                "LAUFZETTEL_HOME": str(settings.HOME),
                "PYTHONUNBUFFERED": "1",
            },
        )

        def started(children: dict[str, subprocess.Popen[bytes]]) -> None:
            pids = ", ".join(f"{name} pid {child.pid}" for name, child in children.items())
            self.say(f"\nStarted {pids}.\nOpen {url} - Ctrl-C stops both.\n")

        code = supervisor.run(started)
        if code:
            child = supervisor.children[supervisor.failed or ""]
            raise CommandError(
                f"The {supervisor.failed} stopped unexpectedly (exit code {child.returncode}); "
                "the other process was stopped too."
            )
        self.say("Demo stopped.")

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def reset(self) -> None:
        db = settings.DATABASES["default"]
        if not db["ENGINE"].endswith("sqlite3"):
            raise CommandError(
                "--reset deletes the SQLite database; with PostgreSQL drop and create the "
                "database yourself."
            )
        connections.close_all()
        path = Path(db["NAME"])
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            name.unlink(missing_ok=True)
        self.say(f"Deleted {path}.")

    def report(self, summary: DemoSummary) -> None:
        counts = ", ".join(f"{state} {n}" for state, n in summary.tickets_by_state.items())
        loaded = (
            "loaded" if summary.created else "already there, left unchanged (--reset starts over)"
        )
        width = max(len(login.username) for login in summary.logins)
        logins = "\n".join(
            f"  {login.username:<{width}}  {login.name:<16}  {login.role}"
            for login in summary.logins
        )
        self.say(
            "Laufzettel demo\n"
            f"  Database:  {describe_database()}\n"
            f"  Demo data: {loaded}; tickets: {counts}\n"
            f"  Mail:      {describe_mail()}\n"
            f"\nDemo logins (password for all: {summary.password}):\n{logins}"
            f"\n\nREST API: /api/v1/docs — demo integration token (scope write):\n"
            f"  {demo_integration_token()}"
        )
