"""Text modules: saved replies whose placeholders are filled in for one ticket and agent."""

from django.contrib.auth.models import User

from laufzettel.desk.models import TextModule
from laufzettel.tickets.models import Ticket


class _Keep(dict[str, str]):
    """Unknown placeholders stay as typed, so a typo is visible instead of an error."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(module: TextModule, ticket: Ticket, agent: User) -> str:
    values = _Keep(
        contact_name=ticket.contact.name,
        ticket_number=ticket.number,
        ticket_subject=ticket.subject,
        agent_name=agent.get_full_name() or agent.get_username(),
        organization=ticket.organization.name if ticket.organization else "",
    )
    try:
        return module.body.format_map(values)
    except (ValueError, IndexError):  # a stray brace: insert the text unfilled
        return module.body


def active_modules() -> list[TextModule]:
    return list(TextModule.objects.filter(is_active=True).only("pk", "name"))
