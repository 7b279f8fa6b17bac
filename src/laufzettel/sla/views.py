from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from laufzettel.desk.access import agent_required, agent_user, ticket_for_agent
from laufzettel.sla.actions import set_status_updates_paused


@require_POST
@agent_required
def status_updates(request: HttpRequest, number: int) -> HttpResponse:
    """Pause (``paused=1``) or resume (``paused=0``) the ticket's periodic status mails."""
    ticket = ticket_for_agent(request, number)
    set_status_updates_paused(
        ticket, paused=request.POST.get("paused") == "1", by=agent_user(request)
    )
    return redirect(ticket)
