"""Who may use the portal, and the one way a portal view gets hold of a ticket.

A customer signs in as the Django user of their ``PortalAccount``. A plain contact sees the
tickets they opened; a portal admin sees every ticket of their organization. Everything else is
404, so a customer cannot even learn that another organization's ticket number exists.
"""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from laufzettel.accounts.models import Contact
from laufzettel.portal.models import PortalAccount
from laufzettel.tickets.models import Ticket, TicketQuerySet

P = ParamSpec("P")


def portal_account(request: HttpRequest) -> PortalAccount | None:
    user = request.user
    if not user.is_authenticated:
        return None
    cached = getattr(request, "portal_user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    account = (
        PortalAccount.objects.select_related("contact__organization")
        .filter(user_id=user.pk, is_active=True)
        .first()
    )
    request.portal_user = account  # type: ignore[attr-defined]
    return account


def portal_required(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Anyone without an active portal account (agents too) is sent to the portal's login."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if portal_account(request) is None:
            return redirect("portal:login")
        return view(request, *args, **kwargs)

    return wrapper


def customer(request: HttpRequest) -> Contact:
    account = portal_account(request)
    if account is None:
        raise Http404
    return account.contact


def visible_tickets(account: PortalAccount) -> TicketQuerySet:
    contact = account.contact
    if account.is_portal_admin and contact.organization_id:
        return Ticket.objects.filter(organization_id=contact.organization_id)
    return Ticket.objects.filter(contact_id=contact.pk)


def ticket_for_customer(request: HttpRequest, number: str | int) -> Ticket:
    account = portal_account(request)
    if account is None:
        raise Http404
    ticket = (
        visible_tickets(account)
        .by_number(number)
        .select_related("contact", "organization", "topic", "team")
        .first()
    )
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket
