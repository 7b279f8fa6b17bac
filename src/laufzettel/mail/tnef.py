"""Outlook's ``winmail.dat`` (TNEF) unpacked into its body and files, with ``tnefparse``."""

import logging

from laufzettel.mail.decode import decode_bytes

log = logging.getLogger(__name__)

Files = list[tuple[str, str, bytes]]


def unpack_tnef(data: bytes) -> tuple[str, Files] | None:
    """``(plain body, [(name, type, bytes)])``, or None to keep ``winmail.dat`` as it is."""
    try:
        from tnefparse.tnef import TNEF  # type: ignore[import-untyped]

        tnef = TNEF(data, do_checksum=False)
    except Exception:
        log.info("winmail.dat could not be read; kept as an attachment", exc_info=True)
        return None
    files: Files = []
    for attachment in getattr(tnef, "attachments", []):
        try:
            name = attachment.long_filename() or attachment.name
        except Exception:
            name = getattr(attachment, "name", "") or "file"
        if isinstance(name, bytes):
            name = decode_bytes(name)
        payload = getattr(attachment, "data", b"") or b""
        files.append((str(name).strip("\x00") or "file", "application/octet-stream", payload))
    body = getattr(tnef, "body", None) or ""
    if isinstance(body, bytes):
        body = decode_bytes(body)
    if not files and not body:
        return None
    return str(body), files
