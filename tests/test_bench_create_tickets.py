"""The creation benchmark runs as a script on a throwaway SQLite database and reports JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_create_tickets_benchmark_reports_rates_latencies_and_ratio(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"LAUFZETTEL_HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "bench/create_tickets.py", "--size", "20", "--prefill", "50"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["benchmark"] == "create_tickets"
    assert figures["database"] == "sqlite"
    assert (figures["size"], figures["prefill"]) == (20, 50)
    assert figures["outbound_emails"] == 20
    assert 0 < figures["p50_ms"] <= figures["p95_ms"]
    ceiling = figures["ceiling"]
    assert 0 < ceiling["p50_ms"] <= ceiling["p95_ms"]
    assert figures["ratio"] == round(
        figures["tickets_per_second"] / ceiling["tickets_per_second"], 3
    )
    assert figures["ratio"] > 0
    # The benchmark's own database folder is gone; the user's LAUFZETTEL_HOME was not used.
    assert [p.name for p in tmp_path.iterdir()] == []
