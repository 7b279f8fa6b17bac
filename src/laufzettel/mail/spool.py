"""The pipe's fast path: write a message durably to a spool folder without starting Django.

An MTA runs ``laufzettel mail ingest`` once per message; starting Django alone takes longer than
the 150 ms a message may cost under a burst. So the pipe only writes the bytes to
``<spool>/tmp``, fsyncs them, renames them into ``<spool>/new`` (atomic, like Maildir) and
fsyncs the folder; from then on the message survives a crash and the worker files it. This module
imports nothing from Django and reads the same environment variables as ``settings.py``.
"""

import os
import sys
import time
from pathlib import Path
from typing import BinaryIO

EX_OK = 0
EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again later


def spool_dir() -> Path:
    """``LAUFZETTEL_MAIL_SPOOL``, else ``<LAUFZETTEL_HOME>/spool/mail`` (as ``settings.py``)."""
    explicit = os.environ.get("LAUFZETTEL_MAIL_SPOOL")
    if explicit:
        return Path(explicit).expanduser().resolve()
    home = os.environ.get("LAUFZETTEL_HOME")
    base = Path(home).expanduser() if home else Path.cwd() / ".laufzettel"
    return (base / "spool" / "mail").resolve()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def spool_write(raw: bytes, spool: Path | None = None) -> Path:
    """Store ``raw`` durably in ``<spool>/new``; returns its path. Raises OSError on failure."""
    spool = spool or spool_dir()
    tmp, new = spool / "tmp", spool / "new"
    tmp.mkdir(parents=True, exist_ok=True)
    new.mkdir(parents=True, exist_ok=True)
    # Maildir-style unique name: time, pid, host; sorts in arrival order.
    # (os.uname, not socket.gethostname: importing socket costs the pipe 20 ms.)
    name = f"{time.time_ns():020d}.{os.getpid()}.{os.uname().nodename.replace('/', '_')}"
    path = tmp / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        view = memoryview(raw)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    target = new / name
    os.rename(path, target)
    _fsync_dir(new)
    return target


def spooled(spool: Path | None = None) -> list[Path]:
    """Messages waiting in ``<spool>/new``, oldest first."""
    new = (spool or spool_dir()) / "new"
    try:
        return sorted(p for p in new.iterdir() if p.is_file())
    except FileNotFoundError:
        return []


def claim(spool: Path, count: int) -> list[Path]:
    """Take up to ``count`` messages for this process: renamed into ``cur`` under our pid.

    The rename is atomic, so of several workers exactly one gets each file.
    """
    cur = spool / "cur"
    cur.mkdir(parents=True, exist_ok=True)
    taken = []
    for path in spooled(spool):
        target = cur / f"{path.name}:{os.getpid()}"
        try:
            os.rename(path, target)
        except FileNotFoundError:  # another worker was faster
            continue
        taken.append(target)
        if len(taken) >= count:
            break
    return taken


def recover_claims(spool: Path) -> int:
    """Give the claims of dead workers back to ``new`` (they were not committed, or are
    recognised as duplicates when stored again)."""
    cur = spool / "cur"
    if not cur.is_dir():
        return 0
    recovered = 0
    for path in cur.iterdir():
        name, _, pid = path.name.rpartition(":")
        if pid.isdigit() and not _alive(int(pid)):
            try:
                os.rename(path, spool / "new" / name)
                recovered += 1
            except FileNotFoundError:
                continue
    return recovered


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pipe_main(stdin: BinaryIO | None = None) -> int:
    """``laufzettel mail ingest`` without options: stdin to the spool; 0 stored, 75 retry."""
    stream = stdin if stdin is not None else sys.stdin.buffer
    try:
        raw = stream.read()
        if not raw:
            print("laufzettel mail ingest: empty message on stdin", file=sys.stderr)
            return EX_TEMPFAIL
        spool_write(raw)
    except (OSError, MemoryError) as exc:
        print(f"laufzettel mail ingest: cannot spool the message: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    return EX_OK
