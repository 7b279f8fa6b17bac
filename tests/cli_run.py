"""Running the real ``laufzettel`` command in a child process, against a data folder of its own."""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

import pytest

T = TypeVar("T")

# The console script uv installs next to the interpreter; ``python -m`` if it is missing.
SCRIPT = Path(sys.executable).with_name("laufzettel")
# Settings from the test run that must not reach the child: it runs on its own SQLite database,
# with DEBUG off, the default file mail and no HTTPS (like ``uv run laufzettel demo`` at home).
CLEARED = {
    "DATABASE_URL",
    "LAUFZETTEL_SQLITE_PATH",
    "EMAIL_URL",
    "SECRET_KEY",
    "LAUFZETTEL_DEBUG",
    "LAUFZETTEL_HTTPS",
    "LAUFZETTEL_BEHIND_PROXY",
}
# A child needs seconds to import Django, migrate and collect static files on a busy machine.
STARTUP_TIMEOUT = 120.0


def command(*args: str) -> list[str]:
    if SCRIPT.exists():
        return [str(SCRIPT), *args]
    return [sys.executable, "-m", "laufzettel.cli", *args]


def child_env(home: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in CLEARED}
    env.update(LAUFZETTEL_HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    return env


def run(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        env=child_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def query(home: Path, sql: str) -> list[tuple[object, ...]]:
    """Read the child's SQLite database directly (WAL lets us read while it writes)."""
    with sqlite3.connect(home / "laufzettel.sqlite3", timeout=20) as db:
        return db.execute(sql).fetchall()


class Child:
    """A ``laufzettel`` process in its own session, so a test can Ctrl-C its whole group."""

    def __init__(self, home: Path, log: Path, *args: str, **env: str) -> None:
        self.log_path = log
        self.log: IO[str] = log.open("w")
        self.process = subprocess.Popen(
            command(*args),
            env=child_env(home, **env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def output(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, what: str, probe: Callable[[], T | None]) -> T:
        """Try ``probe`` until it returns something, in a bounded loop.

        Between attempts we wait on the process itself: if it dies, we learn at once.
        """
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            result = probe()
            if result is not None:
                return result
            try:
                code = self.process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"laufzettel exited ({code}) while waiting for {what}:\n{self.output}")
        pytest.fail(f"timed out waiting for {what}:\n{self.output}")

    def wait_for_http(self, url: str) -> tuple[int, str]:
        def probe() -> tuple[int, str] | None:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    return response.status, response.read().decode()
            except (urllib.error.URLError, ConnectionError):
                return None  # not listening yet

        return self.wait_for(url, probe)

    def stop(self, sig: signal.Signals = signal.SIGINT, *, group: bool = False) -> int:
        if group:
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)
        return self.process.wait(timeout=STARTUP_TIMEOUT)

    def cleanup(self) -> None:
        """After a failed test: nothing of ours may keep running."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def child_pids(output: str) -> dict[str, int]:
    found = re.search(r"web server pid (\d+), worker pid (\d+)", output)
    assert found, output
    return {"web server": int(found[1]), "worker": int(found[2])}


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
