"""The phone ticket: search the caller while they talk, then open the ticket."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from laufzettel.accounts.models import Contact
from laufzettel.desk.access import agent_required, agent_user
from laufzettel.desk.forms import CallerSearchForm, PhoneTicketForm
from laufzettel.desk.intake import NewCaller, find_callers, open_phone_ticket
from laufzettel.lib.phone import looks_like_phone, normalize_phone
from laufzettel.tickets.lifecycle import LifecycleError
from laufzettel.tickets.models import Priority


def _render(
    request: HttpRequest,
    query: str,
    callers: list[Contact],
    form: PhoneTicketForm,
    status: int = 200,
) -> HttpResponse:
    chosen = form["contact"].value()
    if not form.is_bound and len(callers) == 1:
        chosen = callers[0].pk  # the only match is most likely the caller
    context = {
        "search": CallerSearchForm(initial={"q": query}),
        "query": query,
        "callers": callers,
        "chosen": str(chosen or ""),
        "form": form,
    }
    return render(request, "desk/phone_ticket.html", context, status=status)


def _new_caller_guess(query: str) -> dict[str, Any]:
    """Nobody found: what was searched is most likely what the new caller's record needs."""
    if looks_like_phone(query):
        return {"new_phone": normalize_phone(query) or query}
    return {"new_name": query}


@require_GET
@agent_required
def phone_ticket(request: HttpRequest) -> HttpResponse:
    search = CallerSearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    callers = find_callers(query)
    initial = {"q": query, **(_new_caller_guess(query) if query and not callers else {})}
    return _render(request, query, callers, PhoneTicketForm(initial=initial))


@require_POST
@agent_required
def phone_ticket_create(request: HttpRequest) -> HttpResponse:
    form = PhoneTicketForm(request.POST)
    query = request.POST.get("q", "").strip()
    if not form.is_valid():
        return _render(request, query, find_callers(query), form, status=400)
    data = form.cleaned_data
    new_caller = None
    if data["contact"] is None:
        new_caller = NewCaller(
            name=data["new_name"],
            phone=data["new_phone"],
            email=data["new_email"],
            organization=data["new_organization"],
        )
    try:
        ticket = open_phone_ticket(
            by=agent_user(request),
            contact=data["contact"],
            new_caller=new_caller,
            subject=data["subject"],
            description=data["description"],
            topic=data["topic"],
            priority=Priority(data["priority"]),
        )
    except LifecycleError as error:
        messages.error(request, str(error))
        return _render(request, query, find_callers(query), form, status=400)
    messages.success(request, _("Ticket %(number)s was created.") % {"number": ticket.number})
    return redirect(ticket)
