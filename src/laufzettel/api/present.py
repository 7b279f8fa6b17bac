"""Model rows to the plain dicts of ``schemas``; the caller has loaded the related rows."""

from typing import Any

from django.contrib.auth.models import User

from laufzettel.accounts.models import Contact, Organization, Team
from laufzettel.api.models import ApiToken, WebhookDelivery, WebhookSubscription
from laufzettel.tickets.models import NUMBER_OFFSET, Article, Event, Ticket, TicketLink, Topic


def user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
    }


def ref(obj: Contact | Organization | Topic | None) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def number(pk: int | None) -> str | None:
    return None if pk is None else str(NUMBER_OFFSET + pk)


def ticket(t: Ticket, *, for_customer: bool = False) -> dict[str, Any]:
    team = t.team
    return {
        "number": t.number,
        "subject": t.subject,
        "state": t.state,
        "priority": t.priority,
        "channel": t.channel,
        "topic": ref(t.topic),
        # Customers learn where their ticket is from the team's public name only.
        "team": None if for_customer else {"id": team.pk, "name": team.name, "level": team.level},
        "team_public_name": team.public_name or "",
        "owner": None if for_customer else user_ref(t.owner),
        "contact": ref(t.contact),
        "organization": ref(t.organization),
        "initial_situation": t.initial_situation,
        "affected_persons_text": None if for_customer else t.affected_persons_text,
        "solution_attempts": None if for_customer else t.solution_attempts,
        "measures_taken": None if for_customer else t.measures_taken,
        "resolution": t.resolution,
        "merged_into": number(t.merged_into_id),
        "version": t.version,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "resolved_at": t.resolved_at,
        "follow_up_until": t.follow_up_until,
        "closed_at": t.closed_at,
    }


def article(a: Article) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "visibility": a.visibility,
        "subject": a.subject,
        "body_text": a.body_text,
        "author_user": user_ref(a.author_user),
        "author_contact": ref(a.author_contact),
        "attachments": [
            {"id": f.pk, "name": f.name, "content_type": f.content_type, "size": f.size}
            for f in a.attachments.all()
        ],
        "created_at": a.created_at,
    }


def event(e: Event) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "actor_user": user_ref(e.actor_user),
        "actor_contact": ref(e.actor_contact),
        "from_state": e.from_state,
        "to_state": e.to_state,
        "changes": e.changes,
        "article_id": e.article_id,
        "created_at": e.created_at,
    }


def link(row: TicketLink) -> dict[str, Any]:
    return {
        "source": number(row.source_id),
        "target": number(row.target_id),
        "kind": row.kind,
        "created_at": row.created_at,
    }


def contact(c: Contact) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "organization": ref(c.organization),
        "language": c.language,
        "emails": [e.address for e in c.emails.all()],
        "phones": [p.number for p in c.phones.all()],
        "created_at": c.created_at,
    }


def organization(o: Organization) -> dict[str, Any]:
    return {
        "id": o.pk,
        "name": o.name,
        "customer_number": o.customer_number,
        "email_domains": o.email_domains,
    }


def team(t: Team) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "level": t.level,
        "public_name": t.public_name,
        "is_intake": t.is_intake,
        "is_vendor": t.is_vendor,
    }


def topic(t: Topic) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "department": ref(t.department),  # type: ignore[arg-type]
        "is_active": t.is_active,
    }


def webhook(s: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "url": s.url,
        "event_kinds": list(s.event_kinds),
        "is_active": s.is_active,
        "allow_private_network": s.allow_private_network,
        "created_at": s.created_at,
    }


def delivery(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "event_kind": d.event_kind,
        "ticket": number(d.ticket_id),
        "delivery_state": d.delivery_state,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "next_attempt_at": d.next_attempt_at,
        "delivered_at": d.delivered_at,
        "created_at": d.created_at,
    }


def token(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.pk,
        "kind": t.kind,
        "name": t.name,
        "scope": t.scope,
        "prefix": t.prefix,
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
    }
