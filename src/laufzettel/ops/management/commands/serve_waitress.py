"""``laufzettel serve``: the web application on waitress, static files through WhiteNoise."""

import fcntl
import hashlib
import signal
from argparse import ArgumentParser
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

# Proxy headers waitress applies (and passes on) when the request comes from a trusted proxy;
# from anyone else it strips them, so a client cannot pretend to have used HTTPS.
PROXY_HEADERS = {"x-forwarded-proto", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port"}
STAMP_NAME = ".laufzettel-static-fingerprint"


def static_fingerprint() -> str:
    """A hash over every static source file (name, size, mtime) and the storage that serves it."""
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    entries: list[str] = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = Path(storage.path(path)).stat()
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def ensure_static_files() -> bool:
    """Run ``collectstatic`` unless STATIC_ROOT already holds exactly these files.

    With DEBUG off the manifest storage needs ``staticfiles.json`` to render any page (the admin's
    CSS included). Collecting takes seconds, so it is skipped when nothing changed; a file lock
    keeps several web processes starting at once from collecting into the same folder together.
    Returns whether it collected.
    """
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    stamp = root / STAMP_NAME
    with (root.parent / "collectstatic.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fingerprint = static_fingerprint()
        if stamp.exists() and stamp.read_text() == fingerprint:
            return False
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(fingerprint)
    return True


class Command(BaseCommand):
    help = "Serve Laufzettel over HTTP with waitress (runs until SIGINT or SIGTERM)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--threads", type=int, default=8, help="Worker threads (requests in parallel)."
        )
        parser.add_argument(
            "--trusted-proxy",
            default=None,
            help=(
                "Address of the reverse proxy whose X-Forwarded-* headers are believed "
                "('*' for any). Default: 127.0.0.1 when LAUFZETTEL_BEHIND_PROXY is set, else none."
            ),
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="Do not collect static files at start (the deployment ran collectstatic).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress.server import create_server  # type: ignore[import-untyped]

        if not options["no_collectstatic"]:
            ensure_static_files()
        # Imported only now: WhiteNoise indexes STATIC_ROOT once, when the application is built.
        from laufzettel.wsgi import application

        adjustments: dict[str, Any] = {
            "host": options["host"],
            "port": options["port"],
            "threads": options["threads"],
            "ident": "Laufzettel",
        }
        trusted_proxy = options["trusted_proxy"]
        if trusted_proxy is None and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
            # Without a trusted proxy waitress drops X-Forwarded-Proto, and Django behind a TLS
            # proxy would then redirect every request to HTTPS forever.
            trusted_proxy = "127.0.0.1"
        if trusted_proxy:
            adjustments["trusted_proxy"] = trusted_proxy
            adjustments["trusted_proxy_headers"] = PROXY_HEADERS
        try:
            server = create_server(application, **adjustments)
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc.strerror}"
            ) from exc
        self._stop_on_signals()
        self.stdout.write(
            f"Laufzettel web server listens on http://{options['host']}:{server.effective_port}/"
        )
        self.stdout.flush()
        # run() returns after a KeyboardInterrupt, once the threads have finished their requests.
        server.run()
        self.stdout.write("Laufzettel web server stopped.")

    def _stop_on_signals(self) -> None:
        """SIGINT and SIGTERM stop the server once; a second signal (Ctrl-C reaches the whole
        process group, and ``laufzettel demo`` also sends SIGTERM) must not break the shutdown."""
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            if stopping:
                return
            stopping = True
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
