"""``laufzettel demo`` as a user runs it: set up, serve and deliver, stop cleanly on Ctrl-C."""

import http.cookiejar
import os
import re
import signal
import socket
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from laufzettel.ops.demo_data import DEMO_PASSWORD, demo_logins
from tests.cli_run import Child, child_pids, copy_home, is_running, query, run
from tests.smtp_sink import free_port

STATES = (
    "new",
    "open",
    "waiting_for_customer",
    "waiting_for_vendor",
    "resolved",
    "closed",
    "merged",
)
TICKETS_BY_STATE = "SELECT state, count(*) FROM tickets_ticket GROUP BY state ORDER BY state"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data folder after a first ``demo --no-serve`` and with static files collected.

    Tests that serve start from a copy of it, so each pays only for starting up.
    """
    home = tmp_path_factory.mktemp("demo") / "home"
    first = run(home, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    static = run(
        home,
        "shell",
        "-c",
        "from laufzettel.ops.management.commands.serve_waitress import ensure_static_files;"
        "ensure_static_files()",
    )
    assert static.returncode == 0, static.stderr
    return home, first.stdout


@pytest.fixture
def demo_home(prepared: tuple[Path, str], tmp_path: Path) -> Path:
    return copy_home(prepared[0], tmp_path / "home")


@pytest.fixture
def running_demo(demo_home: Path, tmp_path: Path) -> Iterator[tuple[Child, str]]:
    port = free_port()
    child = Child(demo_home, tmp_path / "demo.log", "demo", "--port", str(port))
    try:
        status, _ = child.wait_for_http(f"http://127.0.0.1:{port}/login/")
        assert status == 200
        yield child, f"http://127.0.0.1:{port}"
    finally:
        child.cleanup()


@dataclass
class Page:
    url: str
    page: str


def log_in(base: str, path: str, username: str, redirect_to: str = "") -> Page:
    """Log in through the real form (CSRF cookie and token included); return where it lands."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(f"{base}{path}") as response:
        form_page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page)
    assert token, form_page
    form = {
        "csrfmiddlewaretoken": token[1],
        "username": username,
        "password": DEMO_PASSWORD,
        "next": redirect_to,
    }
    with browser.open(f"{base}{path}", urllib.parse.urlencode(form).encode()) as response:
        assert response.status == 200
        return Page(response.url, response.read().decode())


def test_no_serve_sets_up_prints_the_logins_and_can_run_again(
    prepared: tuple[Path, str], tmp_path: Path
) -> None:
    source, first_output = prepared
    for login in demo_logins():
        assert re.search(rf"^\s+{login.username}\s", first_output, re.MULTILINE), first_output
    assert DEMO_PASSWORD in first_output
    assert f"{source / 'sent-mail'}/" in first_output  # where the demo's mails go
    assert "Demo data: loaded" in first_output
    home = copy_home(source, tmp_path / "home")
    before = query(home, TICKETS_BY_STATE)
    assert [state for state, _ in before] == sorted(STATES)

    again = run(home, "demo", "--no-serve")

    assert again.returncode == 0, again.stderr
    assert "already there" in again.stdout
    assert query(home, TICKETS_BY_STATE) == before

    reset = run(home, "demo", "--no-serve", "--reset")

    assert reset.returncode == 0, reset.stderr
    assert "Deleted" in reset.stdout and "Demo data: loaded" in reset.stdout
    assert query(home, TICKETS_BY_STATE) == before


def test_serves_delivers_and_stops_cleanly_on_ctrl_c(
    running_demo: tuple[Child, str], demo_home: Path
) -> None:
    child, base = running_demo
    pids = child_pids(child.output)
    assert all(is_running(pid) for pid in pids.values())

    # A first-level agent logs in and finds the newest phone ticket in the team's queue.
    desk = log_in(base, "/login/", "anna")
    assert desk.url == f"{base}/"
    assert "Drucker im Bauleiterbüro druckt nicht" in desk.page
    # The admin with its CSS, served by WhiteNoise with DEBUG off.
    admin = log_in(base, "/admin/login/", "admin", redirect_to="/admin/")
    assert admin.url == f"{base}/admin/" and "/admin/logout/" in admin.page
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', admin.page)
    assert stylesheet, admin.page
    with urllib.request.urlopen(base + stylesheet[1]) as response:
        assert response.status == 200 and b"body" in response.read()

    # The worker runs too: every demo mail ends up in the sent-mail folder, once.
    pending = (
        "SELECT count(*) FROM outbox_outboundemail WHERE delivery_state IN ('queued', 'retrying')"
    )
    child.wait_for("the demo mails", lambda: query(demo_home, pending)[0][0] == 0 or None)
    sent = [row[0] for row in query(demo_home, "SELECT message_id FROM outbox_outboundemail")]
    files = "".join(path.read_text() for path in (demo_home / "sent-mail").iterdir())
    assert sorted(re.findall(r"^Message-ID: (\S+)$", files, re.MULTILINE)) == sorted(sent)

    # Ctrl-C in a terminal reaches the whole process group: demo, web server and worker.
    assert child.stop(signal.SIGINT, group=True) == 0
    assert not any(is_running(pid) for pid in pids.values())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5)
    assert "Demo stopped." in child.output


def test_sigterm_to_the_demo_stops_both_children(running_demo: tuple[Child, str]) -> None:
    child, _ = running_demo
    pids = child_pids(child.output)

    assert child.stop(signal.SIGTERM) == 0

    assert not any(is_running(pid) for pid in pids.values())


def test_when_the_worker_dies_the_web_server_is_stopped_too(
    running_demo: tuple[Child, str],
) -> None:
    child, _ = running_demo
    pids = child_pids(child.output)

    os.kill(pids["worker"], signal.SIGKILL)
    code = child.process.wait(timeout=120)

    assert code != 0
    assert not is_running(pids["web server"])
    assert "worker stopped unexpectedly" in child.output
