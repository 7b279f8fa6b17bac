"""Demo data that looks like the real organisation: teams, agents, customers and their tickets.

Every ticket is written through ``laufzettel.tickets.lifecycle`` only, so its timeline, event log
and mails are exactly what real work would have produced. The stories (``demo_stories.toml``) are
replayed on a clock that starts weeks ago: each step happens at its own moment, in true order
across all tickets, and resolved tickets are closed by the same sweep the worker runs once their
follow-up window ends.
"""

import heapq
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from laufzettel.accounts.models import (
    AgentProfile,
    Contact,
    ContactEmail,
    ContactPhone,
    Level,
    Organization,
    Team,
)
from laufzettel.lib.phone import normalize_phone
from laufzettel.sla.timers import fire_due_timers
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel, Priority, State, Ticket, Topic

DEMO_PASSWORD = "laufzettel-demo"
# How long after a follow-up window ends the worker's sweep closes the ticket.
WORKER_DELAY = timedelta(minutes=1)
STORIES = Path(__file__).with_name("demo_stories.toml")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: str


@dataclass(frozen=True)
class DemoSummary:
    created: bool  # False: the demo data was already there and nothing was written
    logins: list[DemoLogin]
    password: str
    tickets_by_state: dict[str, int] = field(default_factory=dict)


# --- the organisation -------------------------------------------------------------------------

TEAMS = [
    # name, level, public name (how customers are told where their request is), vendor email
    ("Kundenbetreuung", Level.FIRST, "bei unserer Kundenbetreuung", ""),
    ("Telefonie", Level.SECOND, "bei unseren Telefonie-Spezialisten", ""),
    ("Rechenzentrum", Level.SECOND, "bei unseren Rechenzentrums-Spezialisten", ""),
    ("Managed IT Service", Level.SECOND, "bei unserem Managed-IT-Team", ""),
    ("Softwareentwicklung", Level.THIRD, "bei unserer Softwareentwicklung", ""),
    (
        "Hersteller Storage",
        Level.THIRD,
        "beim Hersteller des Speichersystems",
        "support@storage-hersteller.example",
    ),
    (
        "Hersteller Telefonanlage",
        Level.THIRD,
        "beim Hersteller der Telefonanlage",
        "service@tk-hersteller.example",
    ),
]
TOPICS = ["Telefonie", "Rechenzentrum", "Managed IT Service"]  # each owned by its namesake team

AGENTS = [
    # username, first name, last name, team (lead first)
    ("anna", "Anna", "Becker", "Kundenbetreuung"),
    ("jonas", "Jonas", "Wagner", "Kundenbetreuung"),
    ("tobias", "Tobias", "Krüger", "Telefonie"),
    ("bernd", "Bernd", "Hoffmann", "Rechenzentrum"),
    ("sabine", "Sabine", "Schulz", "Rechenzentrum"),
    ("lena", "Lena", "Fischer", "Managed IT Service"),
    ("david", "David", "Neumann", "Softwareentwicklung"),
]
ADMIN = ("admin", "Alex", "Admin")

ORGANIZATIONS = [
    # name, customer number, mail domain, notes
    (
        "Müller Logistik GmbH",
        "K-10231",
        "mueller-logistik.example",
        "Zentrale München, Lager in Garching. Hosted PBX mit 80 Nebenstellen, zwei Racks im RZ.",
    ),
    (
        "Schmidt Bau AG",
        "K-10877",
        "schmidt-bau.example",
        "Berlin, 14 Baustellen-Container mit LTE-Routern. Telefonie und M365.",
    ),
    (
        "Praxisgemeinschaft Dr. Weber & Kollegen",
        "K-11402",
        "praxis-weber.example",
        "Hamburg, 3 Ärztinnen, 9 Praxiskräfte. Managed IT inkl. Exchange, WLAN und Fax (T.38).",
    ),
    (
        "Stadtwerke Lindenau GmbH",
        "K-10054",
        "stadtwerke-lindenau.example",
        "Leipzig. Housing (Racks R07, R12), Storage-Cluster, Backup, VPN für den Außendienst.",
    ),
    (
        "Nordwind Software GmbH",
        "K-11920",
        "nordwind-software.example",
        "Bremen. Englischsprachige Geschäftsführung. Server im RZ, Telefonie, VPN nach Frankfurt.",
    ),
]

CONTACTS = [
    # key, name, organization, email, phone, language, position
    ("petra", "Petra Müller", 0, "petra.mueller", "+49 89 12345670", "de", "IT-Leitung"),
    ("klaus", "Klaus Brandt", 0, "", "0171 2345678", "de", "Lagerleitung"),
    ("stefan", "Stefan Schmidt", 1, "s.schmidt", "+49 30 76543210", "de", "Vorstand"),
    ("julia", "Julia Wolf", 1, "j.wolf", "030 76543215", "de", "Büroleitung"),
    ("weber", "Dr. Martina Weber", 2, "m.weber", "+49 40 5556670", "de", "Praxisinhaberin"),
    ("tim", "Tim Schröder", 2, "t.schroeder", "040 5556671", "de", "Praxismanagement"),
    ("frank", "Frank Richter", 3, "frank.richter", "+49 341 9876540", "de", "Leiter IT"),
    ("sandra", "Sandra Koch", 3, "sandra.koch", "0341 9876542", "de", "Netzwerkadministration"),
    ("james", "James Carter", 4, "james.carter", "+49 421 3334440", "en", "CTO"),
    ("lisa", "Lisa Meyer", 4, "l.meyer", "0421 3334441", "de", "Office Management"),
]


def demo_logins() -> list[DemoLogin]:
    logins = [
        DemoLogin(username, f"{first} {last}", f"{team} (level {_level_of(team)})")
        for username, first, last, team in AGENTS
    ]
    logins.append(DemoLogin(ADMIN[0], f"{ADMIN[1]} {ADMIN[2]}", "Administrator (/admin/)"))
    return logins


def _level_of(team_name: str) -> int:
    return next(int(level) for name, level, _, _ in TEAMS if name == team_name)


def _teams() -> dict[str, Team]:
    teams = {}
    for name, level, public_name, vendor_email in TEAMS:
        teams[name], _ = Team.objects.get_or_create(
            name=name,
            defaults={
                "level": level,
                "public_name": public_name,
                "is_intake": name == "Kundenbetreuung",
                "is_vendor": bool(vendor_email),
                "vendor_email": vendor_email,
            },
        )
    return teams


def _topics(teams: dict[str, Team]) -> dict[str, Topic]:
    return {
        name: Topic.objects.get_or_create(name=name, defaults={"department": teams[name]})[0]
        for name in TOPICS
    }


def _user(
    username: str, first: str, last: str, password_hash: str, *, superuser: bool = False
) -> User:
    # Existing users keep their password: someone may have changed it on purpose.
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "password": password_hash,
            "email": f"{username}@laufzettel.example",
            "first_name": first,
            "last_name": last,
            "is_staff": superuser,
            "is_superuser": superuser,
        },
    )
    AgentProfile.objects.get_or_create(user=user)
    return user


def _agents(teams: dict[str, Team]) -> dict[str, User]:
    # One argon2 hash for everybody: the demo password is public anyway, and each hash takes
    # about half a second by design.
    password_hash = make_password(DEMO_PASSWORD)
    agents = {}
    for username, first, last, team_name in AGENTS:
        agents[username] = user = _user(username, first, last, password_hash)
        team = teams[team_name]
        team.members.add(user)
        if team.lead_id is None:
            team.lead = user
            team.save(update_fields=["lead"])
    agents[ADMIN[0]] = _user(*ADMIN, password_hash, superuser=True)
    return agents


def _customers() -> dict[str, Contact]:
    orgs = [
        Organization.objects.get_or_create(
            name=name,
            defaults={"customer_number": number, "email_domains": domain, "notes": notes},
        )[0]
        for name, number, domain, notes in ORGANIZATIONS
    ]
    contacts = {}
    for key, name, org_index, local_part, phone, language, position in CONTACTS:
        org = orgs[org_index]
        contact, _ = Contact.objects.get_or_create(
            name=name,
            organization=org,
            defaults={"language": language, "position": position},
        )
        if local_part:
            ContactEmail.objects.get_or_create(
                address=f"{local_part}@{org.email_domains}",
                defaults={"contact": contact, "is_primary": True},
            )
        number = normalize_phone(phone)
        if number is None:  # a typo in the table above, not a runtime condition
            raise ValueError(f"demo phone number {phone!r} is not valid")
        ContactPhone.objects.get_or_create(contact=contact, number=number)
        contacts[key] = contact
    return contacts


# --- replaying the ticket stories -------------------------------------------------------------


class DemoClock:
    """Stands in for ``django.utils.timezone.now`` while the history is written."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def __call__(self) -> datetime:
        return self.current


@contextmanager
def _clock_at(clock: DemoClock) -> Iterator[None]:
    # Every timestamp (auto_now fields, lifecycle deadlines, outbox due times) is read through
    # ``timezone.now``, so replacing it gives each step its own moment in the past. This is safe
    # because the demo command loads before any server or worker thread runs.
    real_now = timezone.now
    timezone.now = clock  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real_now  # type: ignore[assignment]


class DemoDesk:
    """What the stories can do, by name: each method is one life-cycle call."""

    ACTIONS = frozenset(
        {
            "qualify",
            "assign",
            "escalate",
            "hand_back",
            "ask",
            "customer_writes",
            "wait_for_vendor",
            "vendor_writes",
            "reply",
            "note",
            "resolve",
            "merge",
            "link",
        }
    )

    def __init__(
        self,
        agents: dict[str, User],
        contacts: dict[str, Contact],
        teams: dict[str, Team],
        topics: dict[str, Topic],
    ) -> None:
        self.agents, self.contacts, self.teams, self.topics = agents, contacts, teams, topics
        self.tickets: dict[str, int] = {}

    def open(
        self,
        key: str,
        *,
        contact: str,
        channel: str,
        subject: str,
        body: str,
        by: str | None = None,
        priority: str = Priority.NORMAL,
    ) -> None:
        ticket = lifecycle.create_ticket(
            contact=self.contacts[contact],
            subject=subject,
            body=body,
            channel=Channel(channel),
            by=self.agents[by] if by else None,
            priority=Priority(priority),
        )
        self.tickets[key] = ticket.pk

    def qualify(
        self,
        key: str,
        *,
        by: str,
        topic: str,
        priority: str | None = None,
        affected: str = "",
        affected_contacts: tuple[str, ...] = (),
    ) -> None:
        lifecycle.qualify(
            self.tickets[key],
            by=self.agents[by],
            topic=self.topics[topic],
            priority=Priority(priority) if priority else None,
            affected_persons_text=affected or None,
            affected_contact_ids=[self.contacts[c].pk for c in affected_contacts] or None,
        )

    def assign(self, key: str, *, by: str, owner: str | None = None) -> None:
        lifecycle.assign(self.tickets[key], by=self.agents[by], owner=self.agents[owner or by])

    def escalate(
        self,
        key: str,
        *,
        by: str,
        team: str,
        situation: str,
        affected: str,
        attempts: str,
        measures: str,
        note: str = "",
    ) -> None:
        handover = lifecycle.Handover(
            initial_situation=situation,
            affected_persons_text=affected,
            solution_attempts=attempts,
            measures_taken=measures,
            note=note,
        )
        lifecycle.escalate(
            self.tickets[key], by=self.agents[by], to_team=self.teams[team], handover=handover
        )

    def hand_back(self, key: str, *, by: str, team: str, note: str) -> None:
        lifecycle.hand_back(
            self.tickets[key], by=self.agents[by], to_team=self.teams[team], note=note
        )

    def ask(self, key: str, *, by: str, question: str) -> None:
        lifecycle.ask_customer(self.tickets[key], by=self.agents[by], question=question)

    def customer_writes(self, key: str, *, contact: str, text: str, subject: str = "") -> None:
        ticket = lifecycle.record_customer_reply(
            self.tickets[key], contact=self.contacts[contact], body=text, subject=subject
        )
        if ticket.pk != self.tickets[key]:  # after the follow-up window: a new, linked ticket
            self.tickets[f"{key}/follow-up"] = ticket.pk

    def wait_for_vendor(self, key: str, *, by: str, note: str) -> None:
        lifecycle.wait_for_vendor(self.tickets[key], by=self.agents[by], note=note)

    def vendor_writes(self, key: str, *, text: str, subject: str = "") -> None:
        lifecycle.record_vendor_reply(self.tickets[key], body=text, subject=subject)

    def reply(self, key: str, *, by: str, text: str) -> None:
        lifecycle.reply_to_customer(self.tickets[key], by=self.agents[by], text=text)

    def note(self, key: str, *, by: str, text: str) -> None:
        lifecycle.add_note(self.tickets[key], by=self.agents[by], body=text)

    def resolve(self, key: str, *, by: str, resolution: str) -> None:
        lifecycle.resolve(self.tickets[key], by=self.agents[by], resolution=resolution)

    def merge(self, key: str, *, by: str, into: str) -> None:
        lifecycle.merge(self.tickets[key], into=self.tickets[into], by=self.agents[by])

    def link(self, key: str, *, by: str, other: str) -> None:
        lifecycle.link(self.tickets[key], other=self.tickets[other], by=self.agents[by])


_DURATION = re.compile(r"\s*(\d+)\s*([dhm])\s*")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_WORKDAY_TIME = re.compile(r"(window\s*\+\s*)?(\d+)d\s+(\d{1,2}):(\d{2})")
OFFICE_OPENS, OFFICE_CLOSES = time(8), time(17, 30)


def parse_duration(text: str) -> timedelta:
    """``"1d 2h 30m"`` as a timedelta."""
    total, pos = timedelta(), 0
    while pos < len(text):
        match = _DURATION.match(text, pos)
        if match is None:
            raise ValueError(f"not a demo duration: {text!r}")
        total += timedelta(**{_UNITS[match[2]]: int(match[1])})
        pos = match.end()
    return total


def business_anchor(now: datetime) -> datetime:
    """The demo's "today": ``now`` on a weekday afternoon, else the last working day at 17:30.

    Stories are told back from it, so a demo loaded at night or on a Sunday still shows work
    done in office hours; "2h 45m" before it is never earlier than 08:00.
    """
    local = timezone.localtime(now)
    if local.weekday() < 5 and time(11) <= local.time() <= OFFICE_CLOSES:
        return now
    day = local.date() if local.time() > OFFICE_CLOSES else local.date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, OFFICE_CLOSES, tzinfo=local.tzinfo)


def parse_moment(text: str, anchor: datetime, window: timedelta) -> datetime:
    """``"2h 45m"`` before the anchor, or ``"[window + ]3d 09:10"``: working days back, at 09:10."""
    match = _WORKDAY_TIME.fullmatch(text.strip())
    if match is None:
        return anchor - parse_duration(text)
    local = timezone.localtime(anchor)
    day = local.date() - (window if match[1] else timedelta())
    remaining = int(match[2])
    while remaining > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    while day.weekday() >= 5:  # "0d", or a window that ends on a weekend
        day -= timedelta(days=1)
    return datetime.combine(day, time(int(match[3]), int(match[4])), tzinfo=local.tzinfo)


def load_stories() -> list[dict[str, Any]]:
    with STORIES.open("rb") as handle:
        return list(tomllib.load(handle)["ticket"])


def _story(
    spec: dict[str, Any], desk: DemoDesk, *, anchor: datetime, window: timedelta
) -> Iterator[datetime]:
    """Open the ticket, then perform each step; yields the moment of the next step."""
    key = spec["key"]
    fields = {
        name: spec[name]
        for name in ("contact", "channel", "subject", "body", "by", "priority")
        if name in spec
    }
    desk.open(key, **fields)
    when = parse_moment(spec["start"], anchor, window)
    for raw in spec.get("step", []):
        step = dict(raw)
        if "at" in step:
            moment = parse_moment(step.pop("at"), anchor, window)
            if moment < when:
                raise ValueError(f"demo story {key!r}: step at {moment} goes back in time")
            when = moment
        else:
            when += parse_duration(step.pop("after"))
        yield when
        action, target = step.pop("do"), step.pop("ticket", key)
        if action not in DemoDesk.ACTIONS:
            raise ValueError(f"demo story {key!r}: unknown step {action!r}")
        getattr(desk, action)(target, **step)


def _run_worker_until(until: datetime, clock: DemoClock) -> None:
    """Do what the worker would have done before ``until``: close tickets, each at its own
    moment, and fire the SLA timers (reminders, status updates) that fell due meanwhile."""
    while due := (
        Ticket.objects.due_for_closing(until)
        .order_by("follow_up_until")
        .values_list("follow_up_until", flat=True)
        .first()
    ):
        clock.current = min(due + WORKER_DELAY, until)
        lifecycle.close_due_tickets(now=due)
    clock.current = until
    fire_due_timers(now=until)


def replay(
    specs: list[dict[str, Any]], desk: DemoDesk, *, anchor: datetime, clock: DemoClock
) -> None:
    """Run all stories interleaved in true time order, with the worker's closing sweeps."""
    window = lifecycle.follow_up_window()
    queue: list[tuple[datetime, int, Iterator[datetime]]] = [
        (
            parse_moment(spec["start"], anchor, window),
            order,
            _story(spec, desk, anchor=anchor, window=window),
        )
        for order, spec in enumerate(specs)
    ]
    heapq.heapify(queue)
    while queue:
        when, order, steps = heapq.heappop(queue)
        if when > anchor:
            raise ValueError(f"demo story {specs[order]['key']!r} would run after {anchor}")
        _run_worker_until(when, clock)
        clock.current = when
        next_when = next(steps, None)
        if next_when is not None:
            heapq.heappush(queue, (next_when, order, steps))


def load_demo_data() -> DemoSummary:
    """Create the demo organisation and its ticket history once; later calls change nothing."""
    now = timezone.now()
    with transaction.atomic():
        teams = _teams()
        topics = _topics(teams)
        agents = _agents(teams)
        contacts = _customers()
        demo_orgs = [name for name, *_ in ORGANIZATIONS]
        created = not Ticket.objects.filter(organization__name__in=demo_orgs).exists()
        if created:
            clock = DemoClock(now)
            desk = DemoDesk(agents, contacts, teams, topics)
            with _clock_at(clock):
                replay(load_stories(), desk, anchor=business_anchor(now), clock=clock)
                _run_worker_until(now, clock)
    counts = dict(Ticket.objects.values_list("state").annotate(n=Count("pk")).order_by("state"))
    return DemoSummary(
        created=created,
        logins=demo_logins(),
        password=DEMO_PASSWORD,
        tickets_by_state={state: counts.get(state, 0) for state in State.values},
    )
