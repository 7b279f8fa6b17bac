"""The ticket page: the routing slip on top, the full timeline below, the actions beside it."""

from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from laufzettel.desk import forms
from laufzettel.desk.access import agent_required, agent_user, ticket_for_agent
from laufzettel.desk.models import TextModule
from laufzettel.desk.presence import others_present, report_presence
from laufzettel.desk.text_modules import active_modules, fill
from laufzettel.desk.timeline import build_timeline, ticket_path
from laufzettel.tickets.models import OPEN_STATES, Attachment, State, Ticket

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
    forms.MergeForm: OPEN_STATES,
    forms.LinkForm: tuple(s for s in State.values if s != State.MERGED),
}
# Reply boxes a text module can be inserted into: the form's action and its text field.
TEXT_BOXES = {"reply": "text", "ask": "question", "resolve": "resolution", "note": "body"}


def offered_forms(
    ticket: Ticket, prefill: dict[str, dict[str, str]] | None = None
) -> dict[str, forms.TicketActionForm]:
    prefill = prefill or {}
    offered = {
        form_class.action: form_class(ticket=ticket, initial=prefill.get(form_class.action, {}))
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
    for name, form in offered.items():
        if name in TEXT_BOXES:
            form.text_box = f"{name}-{TEXT_BOXES[name]}"  # type: ignore[attr-defined]
    return offered


def _text_module_prefill(
    request: HttpRequest, ticket: Ticket, modules: list[TextModule]
) -> dict[str, dict[str, str]]:
    """``?module=<id>&into=<action>``: the reply box comes back with the module filled in.

    Works as a plain GET form; htmx fetches the same page and swaps in only the text box.
    """
    into = request.GET.get("into", "")
    module_id = request.GET.get("module", "")
    module = next((m for m in modules if str(m.pk) == module_id), None)
    if into not in TEXT_BOXES or module is None:
        return {}
    full = TextModule.objects.get(pk=module.pk)
    return {into: {TEXT_BOXES[into]: fill(full, ticket, agent_user(request))}}


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
    timeline = build_timeline(ticket)
    modules = active_modules()
    now = timezone.now()
    context = {
        "ticket": ticket,
        "timeline": timeline,
        "path": ticket_path(ticket, timeline, now),
        "actions": offered_forms(ticket, _text_module_prefill(request, ticket, modules)),
        "text_modules": modules,
        "text_boxes": TEXT_BOXES,
        "present": others_present(ticket, agent_user(request)),
    }
    return render(request, "desk/ticket.html", context)


@require_POST
@agent_required
def presence(request: HttpRequest, number: int) -> HttpResponse:
    """htmx heartbeat of an open ticket page; answers with who else is on the ticket."""
    ticket = ticket_for_agent(request, number)
    agent = agent_user(request)
    report_presence(ticket, agent)
    return render(
        request,
        "desk/_presence.html",
        {"ticket": ticket, "present": others_present(ticket, agent)},
    )


@require_GET
@agent_required
def attachment(request: HttpRequest, number: int, pk: int) -> FileResponse:
    ticket = ticket_for_agent(request, number)
    found = Attachment.objects.filter(pk=pk, article__ticket=ticket).first()
    if found is None:
        raise Http404("No such attachment.")
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)
