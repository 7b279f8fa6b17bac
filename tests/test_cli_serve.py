"""``laufzettel serve`` behind a TLS reverse proxy: trusts its X-Forwarded-Proto, and only its."""

import http.client
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli_run import Child, copy_home, run
from tests.smtp_sink import free_port

PRODUCTION = {
    "SECRET_KEY": "test-only-" + "x" * 50,  # with a real key, HTTPS-only settings switch on
    "LAUFZETTEL_BEHIND_PROXY": "1",
}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("serve") / "home"
    result = run(home, "migrate", "-v0")
    assert result.returncode == 0, result.stderr
    return home


def get(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    return connection.getresponse()


def status(port: int) -> int | None:
    try:
        return get(port, "/admin/login/", {}).status
    except ConnectionError:
        return None  # not listening yet


Start = Callable[..., tuple[Child, int]]


@pytest.fixture
def serve(migrated: Path, tmp_path: Path) -> Iterator[Start]:
    """Starts ``laufzettel serve`` with production-like settings; stops what it started."""
    children: list[Child] = []

    def start(*args: str) -> tuple[Child, int]:
        port = free_port()
        home = copy_home(migrated, tmp_path / f"home-{port}")
        child = Child(
            home, tmp_path / f"serve-{port}.log", "serve", "--port", str(port), *args, **PRODUCTION
        )
        children.append(child)
        child.wait_for("the web server", lambda: status(port))
        return child, port

    yield start
    for child in children:
        child.cleanup()


def test_https_from_the_proxy_is_believed(serve: Start) -> None:
    child, port = serve()

    plain = get(port, "/admin/login/", {})
    assert plain.status == 301
    assert plain.getheader("Location") == f"https://127.0.0.1:{port}/admin/login/"
    through_proxy = get(port, "/admin/login/", {"X-Forwarded-Proto": "https"})
    assert through_proxy.status == 200
    assert "Secure" in (through_proxy.getheader("Set-Cookie") or "")

    assert child.stop(signal.SIGTERM) == 0
    assert "web server stopped" in child.output


def test_a_client_that_is_not_the_proxy_cannot_claim_https(serve: Start) -> None:
    child, port = serve("--trusted-proxy", "192.0.2.1")

    spoofed = get(port, "/admin/login/", {"X-Forwarded-Proto": "https"})

    assert spoofed.status == 301
    assert child.stop(signal.SIGINT) == 0
