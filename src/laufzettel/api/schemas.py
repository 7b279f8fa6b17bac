"""What goes over the wire: request bodies and the shapes of answers."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from laufzettel.tickets.models import LinkKind, Priority, State

# Non-empty after trimming: the domain refuses blank texts, the schema says so up front.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=250)]
Id = Annotated[int, Field(ge=1, le=2**62)]
TicketNumber = Annotated[int, Field(ge=1, le=2**62)]


class Ref(Schema):
    id: int
    name: str


class TeamRef(Ref):
    level: int


class UserRef(Schema):
    id: int
    username: str
    name: str


class TicketOut(Schema):
    number: str
    subject: str
    state: State
    priority: Priority
    channel: str
    topic: Ref | None
    team: TeamRef | None
    # Customers see where the ticket is in the team's public name, not who works on it.
    team_public_name: str
    owner: UserRef | None
    contact: Ref
    organization: Ref | None
    initial_situation: str
    affected_persons_text: str | None
    solution_attempts: str | None
    measures_taken: str | None
    resolution: str
    merged_into: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    follow_up_until: datetime | None
    closed_at: datetime | None


class TicketPage(Schema):
    items: list[TicketOut]
    # Pass as ``cursor`` to get the next page; null on the last page.
    next_cursor: str | None


class TicketCreate(Schema):
    """A customer token may leave out ``contact_id``: its tickets are always its contact's."""

    contact_id: Id | None = None
    subject: ShortText
    body: Text
    topic_id: Id | None = None
    priority: Priority = Priority.NORMAL
    acknowledge: bool = True


class TicketUpdate(Schema):
    """Fields to change; absent or null leaves a field as it is. Qualifies a new ticket."""

    expected_version: int | None = Field(default=None, ge=1)
    subject: ShortText | None = None
    topic_id: Id | None = None
    priority: Priority | None = None
    organization_id: Id | None = None
    affected_contact_ids: list[Id] | None = None
    affected_persons_text: str | None = None
    initial_situation: str | None = None
    solution_attempts: str | None = None
    measures_taken: str | None = None


class Versioned(Schema):
    # The version the client last saw; a ticket changed since then is refused with 409.
    expected_version: int | None = Field(default=None, ge=1)


class AssignIn(Versioned):
    # Null releases the ticket to its team's queue.
    owner_id: Id | None = None


class HandoverIn(Schema):
    initial_situation: Text
    affected_persons_text: str = ""
    solution_attempts: Text
    measures_taken: Text
    affected_contact_ids: list[Id] = []
    note: str = ""


class EscalateIn(Versioned):
    team_id: Id
    handover: HandoverIn


class HandBackIn(Versioned):
    team_id: Id
    note: Text


class AskIn(Versioned):
    question: Text


class ResolveIn(Versioned):
    resolution: Text


class ReopenIn(Versioned):
    reason: Text


class MergeIn(Versioned):
    into: TicketNumber


class LinkIn(Schema):
    other: TicketNumber
    kind: LinkKind = LinkKind.RELATED


class LinkOut(Schema):
    source: str
    target: str
    kind: str
    created_at: datetime


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class ArticleOut(Schema):
    id: int
    kind: str
    visibility: str
    subject: str
    body_text: str
    author_user: UserRef | None
    author_contact: Ref | None
    attachments: list[AttachmentOut]
    created_at: datetime


class ArticleIn(Schema):
    """``reply`` mails the customer, ``note`` is internal, ``phone`` records a call.

    Customer tokens can only send ``reply`` (their message to support).
    """

    kind: Literal["reply", "note", "phone"]
    body: Text
    # Phone notes may be shown to the customer; notes are always internal.
    public: bool = False
    expected_version: int | None = Field(default=None, ge=1)


class EventOut(Schema):
    id: int
    kind: str
    actor_user: UserRef | None
    actor_contact: Ref | None
    from_state: str
    to_state: str
    changes: dict[str, object]
    article_id: int | None
    created_at: datetime


class ContactOut(Schema):
    id: int
    name: str
    organization: Ref | None
    language: str
    emails: list[str]
    phones: list[str]
    created_at: datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactIn(Schema):
    name: ShortText
    organization_id: Id | None = None
    email: Annotated[str, StringConstraints(max_length=254)] = ""
    phone: Annotated[str, StringConstraints(max_length=40)] = ""
    language: Literal["de", "en"] = "de"


class OrganizationOut(Schema):
    id: int
    name: str
    customer_number: str
    email_domains: str


class OrganizationPage(Schema):
    items: list[OrganizationOut]
    next_cursor: str | None


class TeamOut(Schema):
    id: int
    name: str
    level: int
    public_name: str
    is_intake: bool
    is_vendor: bool


class TopicOut(Schema):
    id: int
    name: str
    department: Ref | None
    is_active: bool


class WebhookIn(Schema):
    name: ShortText
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    event_kinds: list[str] = []
    is_active: bool = True
    allow_private_network: bool = False


class WebhookPatch(Schema):
    name: ShortText | None = None
    url: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = None
    event_kinds: list[str] | None = None
    is_active: bool | None = None
    allow_private_network: bool | None = None


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    event_kinds: list[str]
    is_active: bool
    allow_private_network: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    # Shown once: the receiver verifies X-Laufzettel-Signature with it.
    secret: str


class DeliveryOut(Schema):
    id: int
    event_kind: str
    ticket: str
    delivery_state: str
    attempts: int
    last_status: int | None
    last_error: str
    next_attempt_at: datetime
    delivered_at: datetime | None
    created_at: datetime


class TokenOut(Schema):
    id: int
    kind: str
    name: str
    scope: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class WhoAmI(Schema):
    kind: str
    scope: str
    user: UserRef | None
    contact: Ref | None
