"""The support organisation and the customers generated tickets refer to.

Teams, topics and agents are few and looked up by name (created when missing), so a second run
reuses them. Organizations and contacts are many and new in every run: they are bulk-inserted
with ids chosen here, so tickets can point at them without reading them back.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate, product
from random import Random
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Max

from bench.table import Table
from bench.texts import (
    AREA_CODES,
    BRANCHES,
    CITIES,
    ENGLISH_FIRST,
    ENGLISH_LAST,
    FIRST_NAMES,
    LAST_NAMES,
    LEGAL_FORMS,
    MOBILE_PREFIXES,
    POSITIONS,
    REGIONS,
    TOPIC_NAMES,
)
from laufzettel.accounts.models import (
    AgentProfile,
    Contact,
    ContactEmail,
    ContactPhone,
    Level,
    Organization,
    Team,
)
from laufzettel.tickets.models import Topic

YEAR = 365 * 86400


@dataclass(frozen=True)
class Agent:
    id: int
    username: str
    full_name: str


@dataclass
class TeamInfo:
    id: int
    name: str
    # ``str(team)`` as ``lifecycle._display`` writes it into an event's changes.
    display: str
    level: int
    is_vendor: bool
    vendor_email: str
    agents: list[Agent] = field(default_factory=list)


@dataclass
class World:
    intake: TeamInfo
    # The second-level team that takes each topic.
    specialists: dict[str, TeamInfo]
    development: TeamInfo
    vendor: TeamInfo
    topics: dict[str, int]


@dataclass(frozen=True)
class ContactInfo:
    id: int
    name: str
    organization_id: int
    organization: str
    city: str
    language: str
    email: str
    phone: str


# name, level, public name, intake, vendor address, agents to create
TEAMS = (
    ("Kundenbetreuung", Level.FIRST, "bei unserer Kundenbetreuung", True, "", 8),
    ("Telefonie", Level.SECOND, "bei der Fachabteilung Telefonie", False, "", 4),
    ("Rechenzentrum", Level.SECOND, "bei unseren Rechenzentrums-Spezialisten", False, "", 4),
    ("Managed IT Service", Level.SECOND, "beim Managed IT Service", False, "", 4),
    ("Softwareentwicklung", Level.THIRD, "bei unserer Softwareentwicklung", False, "", 3),
    (
        "Hersteller-Support Storage",
        Level.THIRD,
        "beim Hersteller",
        False,
        "support@storage.example",
        0,
    ),
)


def ascii_slug(text: str, sep: str = ".") -> str:
    """``Jürgen Groß`` → ``juergen.gross``: how German names end up in mail addresses."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return sep.join("".join(ch for ch in part if ch.isalnum()) for part in text.split())


def ensure_world() -> World:
    """Create the teams, topics and agents a generated ticket needs, reusing those that exist."""
    names_rng = Random(7)  # fixed: a second run must find the same agents again
    teams: dict[str, TeamInfo] = {}
    for name, level, public_name, is_intake, vendor_email, agent_count in TEAMS:
        team, _ = Team.objects.get_or_create(
            name=name,
            defaults={
                "level": level,
                "public_name": public_name,
                "is_intake": is_intake and not Team.objects.filter(is_intake=True).exists(),
                "is_vendor": bool(vendor_email),
                "vendor_email": vendor_email,
            },
        )
        info = TeamInfo(
            team.pk, team.name, str(team), team.level, team.is_vendor, team.vendor_email
        )
        for _ in range(agent_count):
            first, last = names_rng.choice(FIRST_NAMES), names_rng.choice(LAST_NAMES)
            user = _agent(f"{ascii_slug(first)}.{ascii_slug(last)}", first, last)
            team.members.add(user)
            info.agents.append(Agent(user.pk, user.get_username(), user.get_full_name()))
        teams[name] = info
    intake = Team.objects.intake()
    if intake.pk != teams["Kundenbetreuung"].id:
        # Another first-level team takes new tickets here: generated tickets start there too.
        agents = teams["Kundenbetreuung"].agents
        intake.members.add(*[a.id for a in agents])
        teams["Kundenbetreuung"] = TeamInfo(
            intake.pk, intake.name, str(intake), intake.level, False, "", agents
        )
    topics = {}
    for topic_name in TOPIC_NAMES:
        topic, _ = Topic.objects.get_or_create(
            name=topic_name, defaults={"department_id": teams[topic_name].id}
        )
        topics[topic_name] = topic.pk
    return World(
        intake=teams["Kundenbetreuung"],
        specialists={name: teams[name] for name in TOPIC_NAMES},
        development=teams["Softwareentwicklung"],
        vendor=teams["Hersteller-Support Storage"],
        topics=topics,
    )


def _agent(username: str, first: str, last: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last}
    )
    if created:
        # No password hashing (argon2 is slow by design); set one in the admin to log in.
        user.set_unusable_password()
        user.save(update_fields=["password"])
        AgentProfile.objects.get_or_create(user=user)
    return user


def next_id(model: type) -> int:
    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def create_customers(
    rng: Random, organizations: int, contacts: int, now_ts: float, stamp: Callable[[float], Any]
) -> tuple[list[ContactInfo], list[float]]:
    """Bulk-insert organizations and their contacts; return the contacts with their weights.

    A few large customers call often and many small ones rarely: organization sizes and each
    contact's share of the tickets follow long-tailed distributions.
    """
    taken = set(Organization.objects.values_list("name", flat=True))
    taken |= set(Organization.objects.values_list("email_domains", flat=True))
    combos = list(product(LAST_NAMES, BRANCHES, dict.fromkeys(REGIONS)))
    rng.shuffle(combos)
    org_id = next_id(Organization)
    orgs: list[tuple[Any, ...]] = []
    org_meta: list[tuple[int, str, str, str]] = []  # id, name, domain, city
    for last, branch, region in combos:
        if len(orgs) == organizations:
            break
        base = " ".join(part for part in (last, branch, region) if part)
        name = f"{base} {rng.choice(LEGAL_FORMS)}"
        domain = f"{ascii_slug(base, '-')}.example"
        if name in taken or domain in taken:
            continue
        taken |= {name, domain}
        created = stamp(now_ts - YEAR - rng.uniform(0, 3 * YEAR))
        orgs.append((org_id, name, f"K-{org_id:06d}", domain, "", created))
        org_meta.append((org_id, name, domain, rng.choice(CITIES)))
        org_id += 1
    Table(
        Organization, ("id", "name", "customer_number", "email_domains", "notes", "created_at")
    ).insert(orgs)

    org_weights = list(accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(len(org_meta))))
    used_addresses = set(ContactEmail.objects.values_list("address", flat=True))
    contact_id = next_id(Contact)
    rows: list[tuple[Any, ...]] = []
    emails: list[tuple[Any, ...]] = []
    phones: list[tuple[Any, ...]] = []
    infos: list[ContactInfo] = []
    weights: list[float] = []
    for _ in range(contacts):
        oid, org_name, domain, city = rng.choices(org_meta, cum_weights=org_weights)[0]
        language = "en" if rng.random() < 0.06 else "de"
        if language == "en":
            first, last = rng.choice(ENGLISH_FIRST), rng.choice(ENGLISH_LAST)
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        local = f"{ascii_slug(first)}.{ascii_slug(last)}"
        address, n = f"{local}@{domain}", 1
        while address in used_addresses:
            n += 1
            address = f"{local}{n}@{domain}"
        used_addresses.add(address)
        if rng.random() < 0.3:
            phone = f"+49{rng.choice(MOBILE_PREFIXES)}{rng.randint(1000000, 9999999)}"
        else:
            phone = f"+49{rng.choice(AREA_CODES)}{rng.randint(100000, 99999999)}"
        created = stamp(now_ts - YEAR - rng.uniform(0, 2 * YEAR))
        rows.append((contact_id, oid, name, language, rng.choice(POSITIONS), "", created))
        emails.append((contact_id, address, True))
        phones.append((contact_id, phone, "Mobil" if phone.startswith("+491") else "Büro"))
        infos.append(ContactInfo(contact_id, name, oid, org_name, city, language, address, phone))
        weights.append(rng.paretovariate(1.2))
        contact_id += 1
    columns = ("id", "organization_id", "name", "language", "position", "notes", "created_at")
    Table(Contact, columns).insert(rows)
    Table(ContactEmail, ("contact_id", "address", "is_primary")).insert(emails)
    Table(ContactPhone, ("contact_id", "number", "label")).insert(phones)
    return infos, list(accumulate(weights))
