"""LMTP adapter (aiosmtpd): answer 250 only after the message is committed to the database."""

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.db import close_old_connections

from laufzettel.mail.ingest import store_raw
from laufzettel.mail.models import Source

log = logging.getLogger(__name__)


def _store(raw: bytes) -> int:
    close_old_connections()
    try:
        inbound, _created = store_raw(raw, source=Source.LMTP)
    finally:
        close_old_connections()
    return inbound.pk


class IngestHandler:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            # The ORM is synchronous; storing runs in a thread, the answer waits for the commit.
            await loop.run_in_executor(None, _store, raw)
        except Exception:
            log.warning("LMTP message could not be stored", exc_info=True)
            status = "451 4.3.0 Temporary failure, please try again later"
        else:
            # Filed by the worker's sweep: the 250 means "stored durably", which is what LMTP asks.
            status = "250 2.0.0 Stored"
        # LMTP answers DATA once per recipient; the message is stored once for all of them.
        return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))


class LmtpController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler, decode_data=False, enable_SMTPUTF8=True)


def start(host: str, port: int) -> LmtpController:
    controller = LmtpController(IngestHandler(), hostname=host, port=port)
    controller.start()
    return controller


def serve_forever(host: str, port: int) -> None:
    import signal
    import threading

    controller = start(host, port)
    log.info("LMTP listening on %s:%s", host, port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
