"""Who may use the desk, and the one way a desk view gets hold of a ticket.

Agents are users with an ``AgentProfile``; superusers may use the desk too. Every desk view is
wrapped in ``agent_required`` and reads its ticket through ``ticket_for_agent``, so the rule lives
in one place when it grows (e.g. restricting tickets of some organizations to some teams).
"""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from laufzettel.tickets.models import Ticket

P = ParamSpec("P")


def is_agent(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    # A missing one-to-one raises RelatedObjectDoesNotExist, an AttributeError: hasattr is False.
    return hasattr(user, "agent_profile")


def agent_user(request: HttpRequest) -> User:
    """The requesting agent, or 403: views call lifecycle functions with ``by=agent_user(...)``."""
    user = request.user
    if not is_agent(user):
        raise PermissionDenied
    assert isinstance(user, User)
    return user


def agent_required(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Anonymous users go to the login page; signed-in users without an agent profile get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        agent_user(request)
        return view(request, *args, **kwargs)

    return wrapper


def ticket_for_agent(request: HttpRequest, number: str | int) -> Ticket:
    """The ticket with this number as the requesting agent may see it; 404 if there is none.

    Every agent sees every ticket: support works across levels, and the routing slip is meant to
    be read by whoever the ticket reaches next.
    """
    agent_user(request)
    ticket = Ticket.objects.by_number(number).for_timeline().select_related("merged_into").first()
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket
