"""The portal's pages: sign in by link, the ticket list, a ticket, a new ticket, a message."""

from django.contrib import auth, messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from laufzettel.desk.paging import page_of
from laufzettel.portal import actions
from laufzettel.portal.access import (
    customer,
    portal_account,
    portal_required,
    ticket_for_customer,
    visible_tickets,
)
from laufzettel.portal.forms import LinkRequestForm, MessageForm, NewTicketForm
from laufzettel.portal.status import next_contact, where_is_it
from laufzettel.tickets.lifecycle import LifecycleError
from laufzettel.tickets.models import OPEN_STATES, Attachment, State, Visibility

PAGE_SIZE = 25


# --- signing in ---------------------------------------------------------------------------------


@require_GET
def login(request: HttpRequest) -> HttpResponse:
    if portal_account(request) is not None:
        return redirect("portal:home")
    return render(request, "portal/login.html", {"form": LinkRequestForm()})


@require_POST
def send_link(request: HttpRequest) -> HttpResponse:
    form = LinkRequestForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/login.html", {"form": form}, status=400)
    base = request.build_absolute_uri(reverse("portal:link", args=["TOKEN"]))
    actions.request_login_link(form.cleaned_data["email"], link_base=base.replace("TOKEN/", ""))
    # Same answer whether the address is known or not: the form must not reveal customers.
    return render(request, "portal/link_sent.html")


@require_GET
def link(request: HttpRequest, token: str) -> HttpResponse:
    # A confirmation step: mail scanners that open links must not use up the one-time link.
    return render(request, "portal/link.html", {"token": token})


@require_POST
def enter(request: HttpRequest, token: str) -> HttpResponse:
    user = actions.redeem_login_link(token)
    if user is None:
        messages.error(request, _("This link is no longer valid. Request a new one below."))
        return redirect("portal:login")
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("portal:home")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("portal:login")


# --- tickets --------------------------------------------------------------------------------------


@require_GET
@portal_required
def home(request: HttpRequest) -> HttpResponse:
    account = portal_account(request)
    assert account is not None
    show_all = request.GET.get("show") == "all"
    tickets = visible_tickets(account).select_related("team", "topic", "contact")
    if not show_all:
        tickets = tickets.filter(state__in=(*OPEN_STATES, State.RESOLVED))
    page = page_of(tickets.order_by("-updated_at", "-pk"), request.GET, PAGE_SIZE)
    rows = [(ticket, where_is_it(ticket)) for ticket in page.rows]
    context = {"account": account, "page": page, "rows": rows, "show_all": show_all}
    return render(request, "portal/home.html", context)


@require_GET
@portal_required
def new_ticket(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/new_ticket.html", {"form": NewTicketForm()})


@require_POST
@portal_required
def create_ticket(request: HttpRequest) -> HttpResponse:
    form = NewTicketForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "portal/new_ticket.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        ticket = actions.open_ticket(
            contact=customer(request),
            subject=data["subject"],
            description=data["description"],
            topic=data["topic"],
            files=data["files"],
        )
    except LifecycleError as error:
        messages.error(request, str(error))
        return render(request, "portal/new_ticket.html", {"form": form}, status=400)
    messages.success(request, _("Your ticket %(number)s was created.") % {"number": ticket.number})
    return redirect("portal:ticket", number=ticket.number)


@require_GET
@portal_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_for_customer(request, number)
    articles = (
        ticket.articles.filter(visibility=Visibility.PUBLIC)
        .select_related("author_user", "author_contact")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    context = {
        "ticket": ticket,
        "articles": articles,
        "where": where_is_it(ticket),
        "next_contact": next_contact(ticket),
        "form": MessageForm(),
        "can_write": ticket.state != State.MERGED,
    }
    return render(request, "portal/ticket.html", context)


@require_POST
@portal_required
def message(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_for_customer(request, number)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Please write a message."))
        return redirect("portal:ticket", number=ticket.number)
    was = ticket.state
    try:
        landed = actions.write_to_ticket(
            ticket,
            contact=customer(request),
            text=form.cleaned_data["text"],
            files=form.cleaned_data["files"],
        )
    except LifecycleError as error:
        messages.error(request, str(error))
        return redirect("portal:ticket", number=ticket.number)
    if landed.pk != ticket.pk:
        messages.success(
            request,
            _("The old ticket is closed, so your message opened the new ticket %(number)s.")
            % {"number": landed.number},
        )
    elif was == State.WAITING_FOR_CUSTOMER:
        messages.success(request, _("Thank you for your answer. We continue with your ticket."))
    elif was == State.RESOLVED:
        messages.success(request, _("Your ticket was reopened."))
    else:
        messages.success(request, _("Your message was added to the ticket."))
    return redirect("portal:ticket", number=landed.number)


@require_GET
@portal_required
def attachment(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    ticket = ticket_for_customer(request, number)
    found = (
        Attachment.objects.filter(
            pk=pk, article__ticket=ticket, article__visibility=Visibility.PUBLIC
        )
        .only("file", "name", "content_type")
        .first()
    )
    if found is None:
        raise Http404
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)
