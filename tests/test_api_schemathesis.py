"""Schemathesis against the live OpenAPI schema of a real ``laufzettel serve`` with demo data.

It checks that no generated request causes a server error and that every answer (status,
content type, headers, body) matches the schema. The acceptance heuristics
(``positive_data_acceptance``/``negative_data_rejection``) are left out: they flag answers such
as 422 for a syntactically valid URL that points nowhere, which the schema cannot express.

The same run by hand (see docs/api.md):

    schemathesis run http://127.0.0.1:8000/api/v1/openapi.json -H "Authorization: Bearer $TOKEN" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance \
        --exclude-path-regex '/tokens/' --phases coverage,fuzzing --max-examples 3 -w 1
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
BIN = Path(sys.executable).parent


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A demo installation on SQLite in its own folder, served on a free port; (url, token)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("runs once, in the SQLite pass (the server under test uses its own SQLite)")
    if not (BIN / "schemathesis").exists():
        skip_or_fail("the schemathesis command is not installed (uv sync --dev)")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(
        LAUFZETTEL_HOME=str(tmp_path),
        # Thousands of requests in a minute from one token are the point here.
        LAUFZETTEL_API_RATE_LIMIT="1000000",
        EMAIL_URL="memory://",
        PYTHONUNBUFFERED="1",
    )
    cli = [sys.executable, "-m", "laufzettel.cli"]
    subprocess.run([*cli, "demo", "--no-serve"], env=env, check=True, capture_output=True)
    token = subprocess.run(
        [*cli, "token", "create", "--user", "admin", "--scope", "admin"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    server = subprocess.Popen(
        [*cli, "serve", "--port", "0", "--no-collectstatic"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        seen: list[str] = []
        found = None
        for line in server.stdout:  # warnings may come first
            seen.append(line)
            if found := re.search(r"listens on (http://[\d.]+:\d+/)", line):
                break
        assert found, f"server did not start: {''.join(seen)}"
        yield found.group(1), token
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_live_schema_holds(demo_server: tuple[str, str]) -> None:
    url, token = demo_server
    schemathesis = BIN / "schemathesis"
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{url}api/v1/openapi.json",
            "-H",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            # Revoking tokens at random would revoke the run's own token halfway through.
            "--exclude-path-regex",
            "/tokens/",
            "--phases",
            "coverage,fuzzing",
            "--max-examples",
            "3",
            "--seed",
            "3",
            "-w",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
