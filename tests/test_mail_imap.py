"""``mail fetch`` against a real Dovecot: filed once, marked only after the commit, crash-safe."""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from imap_tools import AND, MailBoxUnencrypted

from laufzettel.mail import imap
from laufzettel.mail.models import ImapMailbox, InboundMessage, InboundStatus, Source
from laufzettel.tickets.models import Ticket
from tests.conftest import Org, skip_or_fail
from tests.dovecot_server import PASSWORD, USER, Dovecot
from tests.mail_helpers import mail


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if Dovecot.binary() is None:
        skip_or_fail("dovecot is not installed (apt-get install dovecot-imapd)")
    # Not pytest's tmp_path: Dovecot's unprivileged processes must be able to reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="lz-dovecot-"))
    server = Dovecot(folder)
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        skip_or_fail(f"dovecot could not be started: {exc}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot: Dovecot, org: Org) -> ImapMailbox:
    return ImapMailbox.objects.create(
        name="support",
        host="127.0.0.1",
        port=dovecot.port,
        use_ssl=False,
        username=USER,
        password=PASSWORD,
    )


def deliver(dovecot: Dovecot, *messages: bytes) -> None:
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(USER, PASSWORD) as box:
        for raw in messages:
            box.append(raw)


def unseen(dovecot: Dovecot) -> int:
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(USER, PASSWORD) as box:
        return len(box.uids(AND(seen=False)))


def test_fetch_files_unseen_messages_and_marks_them_seen(
    dovecot: Dovecot, mailbox: ImapMailbox
) -> None:
    deliver(dovecot, mail("a@kunde.example", "Eins"), mail("b@kunde.example", "Zwei"))
    call_command("mail", "fetch")
    assert Ticket.objects.count() == 2
    assert set(InboundMessage.objects.values_list("source", "status")) == {
        (Source.IMAP, InboundStatus.PROCESSED)
    }
    assert unseen(dovecot) == 0
    # Nothing new: nothing happens.
    assert imap.fetch_all() == 0
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""


def test_crash_before_the_commit_leaves_the_message_on_the_server(
    dovecot: Dovecot, mailbox: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, mail("a@kunde.example", "Absturz davor"))

    def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed between fetch and commit")

    monkeypatch.setattr(imap, "ingest", crash)
    with pytest.raises(SystemExit):
        imap.fetch_mailbox(mailbox)
    assert InboundMessage.objects.count() == 0 and unseen(dovecot) == 1
    monkeypatch.undo()
    assert imap.fetch_mailbox(mailbox) == 1
    assert Ticket.objects.count() == 1 and unseen(dovecot) == 0


def test_crash_after_the_commit_before_flagging_files_the_message_once(
    dovecot: Dovecot, mailbox: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, mail("a@kunde.example", "Absturz danach"))
    real_flag = MailBoxUnencrypted.flag

    def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed after the commit, before the flag")

    monkeypatch.setattr(MailBoxUnencrypted, "flag", crash)
    with pytest.raises(SystemExit):
        imap.fetch_mailbox(mailbox)
    assert Ticket.objects.count() == 1 and unseen(dovecot) == 1
    monkeypatch.setattr(MailBoxUnencrypted, "flag", real_flag)
    assert imap.fetch_mailbox(mailbox) == 1
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert unseen(dovecot) == 0


def test_filed_messages_can_be_moved_to_another_folder(
    dovecot: Dovecot, mailbox: ImapMailbox
) -> None:
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(USER, PASSWORD) as box:
        box.folder.create("Archiv")
    mailbox.move_to = "Archiv"
    mailbox.save()
    deliver(dovecot, mail("a@kunde.example", "Verschieben"))
    assert imap.fetch_mailbox(mailbox) == 1
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(USER, PASSWORD, "Archiv") as box:
        assert [m.subject for m in box.fetch()] == ["Verschieben"]


def test_unreachable_server_is_recorded_on_the_mailbox(org: Org) -> None:
    from tests.dovecot_server import free_port

    box = ImapMailbox.objects.create(
        name="weg", host="127.0.0.1", port=free_port(), use_ssl=False, username="x", password="y"
    )
    assert imap.fetch_all() == 0
    box.refresh_from_db()
    assert box.last_error
