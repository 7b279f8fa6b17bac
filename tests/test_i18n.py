"""The German catalogue: complete, fully translated, compiled, and German by default.

German is the default language of the desk and of the life cycle's messages; English is one
cookie (or Accept-Language header) away. The catalogue is kept honest by three checks: every
entry of the committed .po is translated and not fuzzy; the committed .mo says what the .po says
(Django's active catalogue returns each msgstr); and a fresh ``makemessages`` run over the source
finds exactly the msgids the .po has.
"""

import html
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from laufzettel.tickets import lifecycle
from laufzettel.tickets.lifecycle import Handover, LifecycleError
from laufzettel.tickets.models import Channel, Ticket
from tests.conftest import Org, skip_or_fail

SRC = Path(__file__).resolve().parent.parent / "src" / "laufzettel"
PO = SRC / "locale" / "de" / "LC_MESSAGES" / "django.po"
REFRESH = (
    "refresh it from src/laufzettel: LAUFZETTEL_HOME=../../.laufzettel uv run laufzettel "
    "makemessages -l de --ignore 'migrations/*', translate, then msgfmt --check -o django.mo "
    "django.po in locale/de/LC_MESSAGES"
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[a-z]")


# --- a small .po reader (no dependency; the format is simple) ----------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def read_po(path: Path) -> list[Entry]:
    """All live entries, the header first (msgid ""); obsolete ``#~`` entries are left out."""
    keyword = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        match = keyword.match(line)
        # A comment or a new msgctxt/msgid after a msgstr begins the next entry.
        starts = line.startswith("#") or (match and match.group(1) in ("msgctxt", "msgid"))
        if starts and entry.msgstrs:
            entries.append(entry)
            entry, current = Entry(), None
        if line.startswith("#~"):
            entry = Entry()  # an obsolete entry: its flags must not stick to the next one
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif not line or line.startswith("#"):
            continue
        elif match:
            name, index, value = match.group(1), int(match.group(2) or 0), match.group(3)
            entry.line = entry.line or number
            if name == "msgstr":
                entry.msgstrs[index] = _unquote(value)
            else:
                setattr(entry, name, _unquote(value))
            current = (name, index)
        elif line.startswith('"') and current is not None:
            name, index = current
            if name == "msgstr":
                entry.msgstrs[index] += _unquote(line)
            else:
                setattr(entry, name, getattr(entry, name) + _unquote(line))
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    if entry.msgstrs:
        entries.append(entry)
    return entries


def messages(path: Path) -> list[Entry]:
    return [entry for entry in read_po(path) if entry.msgid]


@pytest.fixture(autouse=True)
def _no_language_left_active() -> Iterator[None]:
    # Requests activate the cookie's language for the thread; later tests expect the default.
    yield
    translation.deactivate()


# --- the catalogue itself --------------------------------------------------------------------


def test_po_reader_reads_multiline_plural_and_fuzzy_entries(tmp_path: Path) -> None:
    sample = tmp_path / "sample.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid ""\n"Long %(x)s "\n"text"\n'
        'msgstr "Langer %(x)s Text"\n\n'
        'msgctxt "state"\nmsgid "open"\nmsgstr ""\n\n'
        'msgid "%(n)s file"\nmsgid_plural "%(n)s files"\nmsgstr[0] "%(n)s Datei"\n'
        'msgstr[1] "%(n)s \\"Dateien\\""\n\n'
        '#~ msgid "gone"\n#~ msgstr "weg"\n',
        encoding="utf-8",
    )
    header, long, context, plural = read_po(sample)
    assert header.msgid == "" and "Language: de" in header.msgstrs[0]
    assert (long.msgid, long.msgstrs, long.flags) == (
        "Long %(x)s text",
        {0: "Langer %(x)s Text"},
        {"fuzzy", "python-format"},
    )
    assert (context.msgctxt, context.msgid, context.msgstrs) == ("state", "open", {0: ""})
    assert plural.msgid_plural == "%(n)s files"
    assert plural.msgstrs == {0: "%(n)s Datei", 1: '%(n)s "Dateien"'}


def test_every_entry_is_translated_and_not_fuzzy() -> None:
    entries = read_po(PO)
    header = entries[0]
    assert header.msgid == "" and "fuzzy" not in header.flags
    assert "Language: de" in header.msgstrs[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstrs[0]
    problems = []
    for entry in entries[1:]:
        if "fuzzy" in entry.flags:
            problems.append(f"line {entry.line}: fuzzy: {entry.msgid!r}")
        expected = [0, 1] if entry.msgid_plural is not None else [0]
        if sorted(entry.msgstrs) != expected or not all(entry.msgstrs.values()):
            problems.append(f"line {entry.line}: untranslated: {entry.msgid!r}")
        wanted = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        for text in entry.msgstrs.values():
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"line {entry.line}: placeholders differ: {text!r}")
    assert problems == [], f"{PO}: {problems}; {REFRESH}"
    assert len(entries) > 200  # the reader really read the catalogue


def test_compiled_catalogue_says_what_the_po_says() -> None:
    """Django's German catalogue returns every msgstr: the committed .mo is the .po compiled."""
    stale = []
    with translation.override("de"):
        for entry in messages(PO):
            if entry.msgid_plural is not None:
                got = {
                    0: _ngettext(entry, 1),
                    1: _ngettext(entry, 2),
                }
            elif entry.msgctxt is not None:
                got = {0: translation.pgettext(entry.msgctxt, entry.msgid)}
            else:
                got = {0: translation.gettext(entry.msgid)}
            if got != entry.msgstrs:
                stale.append(f"{entry.msgid!r}: .po {entry.msgstrs} but .mo {got}")
    assert stale == [], f"django.mo is older than django.po: {stale}; {REFRESH}"


def _ngettext(entry: Entry, n: int) -> str:
    assert entry.msgid_plural is not None
    if entry.msgctxt is not None:
        return translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
    return translation.ngettext(entry.msgid, entry.msgid_plural, n)


def test_catalogue_has_every_source_string(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``makemessages`` over a copy of the source finds nothing the committed .po lacks."""
    for tool in ("xgettext", "msguniq", "msgmerge"):
        if shutil.which(tool) is None:
            skip_or_fail(f"gettext tools ({tool}) missing")
    copy = tmp_path / "laufzettel"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", ".*"))
    (copy / "locale").mkdir()
    # makemessages writes to LOCALE_PATHS[0]: point it at the copy, never at the real catalogue.
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command(
        "makemessages", locale=["de"], ignore_patterns=["migrations/*"], keep_pot=True, verbosity=0
    )
    extracted = {entry.key for entry in messages(copy / "locale" / "django.pot")}
    committed = {entry.key for entry in messages(PO)}
    assert len(extracted) > 200  # the extraction really ran over the source
    missing = sorted(extracted - committed, key=str)
    assert missing == [], f"not in {PO.name}: {missing}; {REFRESH}"
    unused = sorted(committed - extracted, key=str)
    assert unused == [], f"in {PO.name} but no longer in the source: {unused}; {REFRESH}"


# --- German by default, English on request ---------------------------------------------------


def page(client: Client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_login_page_is_german_by_default(client: Client) -> None:
    text = page(client, reverse("login"))
    assert '<html lang="de">' in text
    assert "<h1>Anmelden</h1>" in text and "Log in" not in text


@pytest.mark.django_db
def test_login_page_is_english_for_an_english_browser(client: Client) -> None:
    text = page(client, reverse("login"), accept_language="en-GB,en;q=0.9,de;q=0.5")
    assert '<html lang="en">' in text
    assert "<h1>Log in</h1>" in text and "Anmelden" not in text
    # A language Laufzettel does not offer falls back to German.
    assert "<h1>Anmelden</h1>" in page(client, reverse("login"), accept_language="fr")


@pytest.mark.django_db
def test_language_switch_sets_the_cookie_and_wins_over_the_browser(
    client: Client, settings: Any
) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "<h1>Log in</h1>" in page(client, reverse("login"), accept_language="de")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert "<h1>Anmelden</h1>" in page(client, reverse("login"), accept_language="en")


def test_agent_desk_is_german(client: Client, org: Org) -> None:
    ticket = new_ticket(org)
    client.force_login(org.first_level_agent)
    home = page(client, reverse("desk:home"))
    assert "<h1>Meine Arbeit</h1>" in home and "Offene Tickets meiner Teams" in home
    detail = page(client, ticket.get_absolute_url())
    assert ">neu</span>" in detail  # the state badge
    assert "<summary>Eskalieren</summary>" in detail
    assert "<dt>Ausgangslage</dt>" in detail and "<dt>Getroffene Maßnahmen</dt>" in detail
    assert ">erstellt</strong>" in detail  # the first event of the timeline


# --- the life cycle's sentences in German ----------------------------------------------------

FULL_HANDOVER = Handover(
    initial_situation="Telefonanlage startet neu.",
    affected_persons_text="Zentrale",
    solution_attempts="Neustart",
    measures_taken="Keine",
)


def new_ticket(org: Org, **kwargs: Any) -> Ticket:
    return lifecycle.create_ticket(
        contact=org.customer_a,
        subject=kwargs.pop("subject", "Telefonanlage gestört"),
        body=kwargs.pop("body", "Seit heute Morgen keine externen Gespräche."),
        channel=Channel.PHONE,
        by=org.first_level_agent,
        **kwargs,
    )


def refusal(call: Any) -> str:
    with pytest.raises(LifecycleError) as raised:
        call()
    return str(raised.value)


def test_lifecycle_errors_are_german_by_default(org: Org) -> None:
    translation.deactivate()  # nothing activated: the default language, German
    message = refusal(
        lambda: lifecycle.resolve(new_ticket(org), by=org.first_level_agent, resolution="")
    )
    assert message == "Die Lösung ist erforderlich."


def test_every_missing_input_reads_as_german(org: Org) -> None:
    """``%(what)s ist erforderlich.`` with each caller's ``what``: one correct sentence each."""
    agent = org.first_level_agent
    ticket = new_ticket(org)
    escalated = lifecycle.escalate(
        new_ticket(org), by=agent, to_team=org.rechenzentrum, handover=FULL_HANDOVER
    )

    def handover(**empty: str) -> Handover:
        return Handover(**{**FULL_HANDOVER.__dict__, **empty})

    def escalate(**empty: str) -> Any:
        return lambda: lifecycle.escalate(
            ticket, by=agent, to_team=org.rechenzentrum, handover=handover(**empty)
        )

    cases = {
        "Ein Betreff ist erforderlich.": lambda: new_ticket(org, subject=" "),
        "Eine Beschreibung ist erforderlich.": lambda: new_ticket(org, body=""),
        "Die Ausgangslage ist erforderlich.": escalate(initial_situation=""),
        "Die Angabe der Lösungsansätze ist erforderlich.": escalate(solution_attempts=""),
        "Die Angabe der getroffenen Maßnahmen ist erforderlich.": escalate(measures_taken=""),
        "Die Angabe der betroffenen Personen ist erforderlich.": escalate(affected_persons_text=""),
        "Eine Notiz für das übernehmende Team ist erforderlich.": lambda: lifecycle.hand_back(
            escalated, by=org.second_level_agent, to_team=org.first_level, note=""
        ),
        "Die Rückfrage ist erforderlich.": lambda: lifecycle.ask_customer(
            ticket, by=agent, question=""
        ),
        "Eine Nachricht ist erforderlich.": lambda: lifecycle.record_customer_reply(
            ticket, contact=org.customer_a, body=""
        ),
        "Die Antwort ist erforderlich.": lambda: lifecycle.reply_to_customer(
            ticket, by=agent, text=""
        ),
        "Die Notiz ist erforderlich.": lambda: lifecycle.add_note(ticket, by=agent, body=""),
        "Die Lösung ist erforderlich.": lambda: lifecycle.resolve(ticket, by=agent, resolution=""),
        "Eine Begründung ist erforderlich.": lambda: lifecycle.reopen(ticket, by=agent, reason=""),
    }
    with translation.override("de"):
        got = {expected: refusal(call) for expected, call in cases.items()}
    assert got == {expected: expected for expected in cases}


def test_every_refused_transition_reads_as_german(org: Org) -> None:
    """``Ticket N kann im Status „S“ nicht A werden.`` for each action and some states."""
    agent = org.first_level_agent
    resolved = lifecycle.resolve(new_ticket(org), by=agent, resolution="Erledigt.")
    fresh = new_ticket(org)
    merged = lifecycle.merge(new_ticket(org), into=fresh, by=agent)
    waiting = lifecycle.ask_customer(new_ticket(org), by=agent, question="Welches Gerät?")

    def sentence(ticket: Ticket, state: str, action: str) -> str:
        return f"Ticket {ticket.number} kann im Status „{state}“ nicht {action} werden."

    cases = [
        (
            sentence(resolved, "gelöst", "qualifiziert"),
            lambda: lifecycle.qualify(resolved, by=agent, subject="x"),
        ),
        (
            sentence(resolved, "gelöst", "zugewiesen"),
            lambda: lifecycle.assign(resolved, by=agent, owner=None),
        ),
        (
            sentence(resolved, "gelöst", "eskaliert"),
            lambda: lifecycle.escalate(
                resolved, by=agent, to_team=org.rechenzentrum, handover=FULL_HANDOVER
            ),
        ),
        (
            sentence(resolved, "gelöst", "zurückgegeben"),
            lambda: lifecycle.hand_back(resolved, by=agent, to_team=org.first_level, note="x"),
        ),
        (
            sentence(resolved, "gelöst", "für eine Rückfrage zurückgestellt"),
            lambda: lifecycle.ask_customer(resolved, by=agent, question="?"),
        ),
        (
            sentence(resolved, "gelöst", "für den Hersteller zurückgestellt"),
            lambda: lifecycle.wait_for_vendor(resolved, by=agent),
        ),
        (
            sentence(resolved, "gelöst", "mit einer Herstellerantwort versehen"),
            lambda: lifecycle.record_vendor_reply(resolved, body="x"),
        ),
        (
            sentence(resolved, "gelöst", "gelöst"),
            lambda: lifecycle.resolve(resolved, by=agent, resolution="x"),
        ),
        (
            sentence(resolved, "gelöst", "zusammengeführt"),
            lambda: lifecycle.merge(resolved, into=fresh, by=agent),
        ),
        (
            sentence(fresh, "neu", "wieder geöffnet"),
            lambda: lifecycle.reopen(fresh, by=agent, reason="x"),
        ),
        (
            sentence(merged, "zusammengeführt", "beantwortet"),
            lambda: lifecycle.reply_to_customer(merged, by=agent, text="x"),
        ),
        (
            sentence(merged, "zusammengeführt", "mit einer Notiz versehen"),
            lambda: lifecycle.add_note(merged, by=agent, body="x"),
        ),
        (
            sentence(waiting, "Warten auf Kunde", "eskaliert"),
            lambda: lifecycle.escalate(
                waiting, by=agent, to_team=org.rechenzentrum, handover=FULL_HANDOVER
            ),
        ),
    ]
    with translation.override("de"):
        got = [refusal(call) for _, call in cases]
    assert got == [expected for expected, _ in cases]


def test_refusal_on_the_desk_follows_the_agents_language(client: Client, org: Org) -> None:
    ticket = lifecycle.resolve(new_ticket(org), by=org.first_level_agent, resolution="Erledigt.")
    client.force_login(org.first_level_agent)
    url = reverse("desk:ticket_escalate", args=[ticket.number])
    form = {"version": ticket.version, "to_team": org.rechenzentrum.pk, **FULL_HANDOVER.__dict__}
    form.pop("affected_contact_ids")
    german = client.post(url, form, follow=True).content.decode()
    assert (
        html.escape(f"Ticket {ticket.number} kann im Status „gelöst“ nicht eskaliert werden.")
        in german
    )
    english = client.post(
        url, form, follow=True, headers={"accept-language": "en"}
    ).content.decode()
    assert f"Ticket {ticket.number} cannot be escalated while it is resolved." in english
