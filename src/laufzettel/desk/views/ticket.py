"""The ticket page: the routing slip on top, the full timeline below, the actions beside it."""

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from laufzettel.desk import forms
from laufzettel.desk.access import agent_required, ticket_for_agent
from laufzettel.desk.timeline import build_timeline
from laufzettel.tickets.models import OPEN_STATES, State, Ticket

ACTIVE = (State.NEW, State.OPEN)
# Which actions the page offers in which state. This only decides what is shown: the life cycle
# checks every transition itself and refuses the rest with a readable message.
OFFERED_IN: dict[type[forms.TicketActionForm], tuple[str, ...]] = {
    forms.QualifyForm: OPEN_STATES,
    forms.AssignForm: OPEN_STATES,
    forms.EscalateForm: ACTIVE,
    forms.HandBackForm: (*ACTIVE, State.WAITING_FOR_VENDOR),
    forms.AskForm: ACTIVE,
    forms.WaitForVendorForm: ACTIVE,
    forms.ReplyForm: (*OPEN_STATES, State.RESOLVED),
    forms.ResolveForm: OPEN_STATES,
    forms.NoteForm: tuple(s for s in State.values if s != State.MERGED),
    forms.ReopenForm: (State.RESOLVED,),
}


def offered_forms(ticket: Ticket) -> dict[str, forms.TicketActionForm]:
    offered = {
        form_class.action: form_class(ticket=ticket)
        for form_class, states in OFFERED_IN.items()
        if ticket.state in states
    }
    has_email = bool(ticket.contact.primary_email)
    if not has_email:  # the life cycle would refuse: there is no way to write to them
        offered.pop("ask", None)
        offered.pop("reply", None)
    if ticket.team.level == 1:
        offered.pop("hand_back", None)
    if ticket.team.level == 3:
        offered.pop("escalate", None)
    return offered


@require_GET
@agent_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_for_agent(request, number)
    prefetch_related_objects(
        [ticket],
        "affected_contacts",
        "contact__emails",
        "contact__phones",
        "links_out__target",
        "links_in__source",
    )
    context = {
        "ticket": ticket,
        "timeline": build_timeline(ticket),
        "actions": offered_forms(ticket),
    }
    return render(request, "desk/ticket.html", context)
