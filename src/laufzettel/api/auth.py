"""Who is calling: a bearer token or a signed-in browser, reduced to one ``Principal``.

Every endpoint reads the principal through ``principal(request)`` and asks it for a scope with
``require(...)``; tickets are read through ``tickets_for`` so a customer token can never reach
another organization's tickets.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer

from laufzettel.accounts.models import Contact
from laufzettel.api.models import SCOPE_RANK, ApiToken, Scope, TokenKind
from laufzettel.api.problems import ApiProblem
from laufzettel.api.tokens import find_token, touch
from laufzettel.desk.access import is_agent
from laufzettel.tickets.models import Ticket, TicketQuerySet


@dataclass(frozen=True)
class Principal:
    scope: Scope
    user: User | None = None
    contact: Contact | None = None
    token: ApiToken | None = None

    @property
    def is_customer(self) -> bool:
        return self.contact is not None

    @property
    def rate_key(self) -> str:
        if self.token is not None:
            return f"token:{self.token.pk}"
        assert self.user is not None
        return f"user:{self.user.pk}"

    @property
    def rate_limit(self) -> int:
        if self.token is not None and self.token.rate_limit:
            return self.token.rate_limit
        return int(settings.LAUFZETTEL_API_RATE_LIMIT)

    def require(self, scope: Scope, *, agents_only: bool = True) -> User:
        """The acting user, or 403 when the scope is missing or the caller is a customer."""
        if SCOPE_RANK[self.scope] < SCOPE_RANK[scope]:
            raise ApiProblem(
                403,
                _("This token has scope %(has)s; this request needs %(needs)s.")
                % {"has": self.scope, "needs": scope},
            )
        if agents_only and self.user is None:
            raise ApiProblem(403, _("Customer tokens cannot use this endpoint."))
        return self.user  # type: ignore[return-value]

    def require_scope(self, scope: Scope) -> None:
        self.require(scope, agents_only=False)


def principal(request: HttpRequest) -> Principal:
    found = getattr(request, "auth", None)
    assert isinstance(found, Principal), "endpoint without authentication"
    return found


def tickets_for(who: Principal) -> TicketQuerySet:
    """What the caller may see: every ticket for agents and integrations, the own org's for
    customers."""
    tickets = Ticket.objects.all()
    if who.contact is not None:
        contact = who.contact
        if contact.organization_id is not None:
            return tickets.filter(organization_id=contact.organization_id)
        return tickets.filter(Q(contact=contact) & Q(organization__isnull=True))
    return tickets


def _rate_limited(who: Principal) -> Principal:
    """A fixed one-minute window per token in Django's cache (shared when CACHES is shared)."""
    window = int(timezone.now().timestamp() // 60)
    key = f"lz-api-rate:{who.rate_key}:{window}"
    # add() is atomic: the first request of the window creates the counter, the rest increment.
    if cache.add(key, 1, timeout=120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=120)
            count = 1
    if count > who.rate_limit:
        retry_after = 60 - int(timezone.now().timestamp()) % 60
        raise ApiProblem(
            429,
            _("Too many requests: at most %(limit)s per minute for this token.")
            % {"limit": who.rate_limit},
            headers={"Retry-After": str(retry_after)},
        )
    return who


def _token_principal(token: ApiToken) -> Principal:
    if token.kind == TokenKind.CUSTOMER:
        return Principal(scope=Scope(token.scope), contact=token.contact, token=token)
    user = token.user
    assert user is not None
    scope = Scope(token.scope)
    if token.kind == TokenKind.PERSONAL and not user.is_superuser:
        # A personal token is worth no more than its agent today (a demoted admin loses admin).
        if not is_agent(user):
            raise ApiProblem(403, _("This token's user is no longer an agent."))
        scope = min(scope, Scope.WRITE, key=SCOPE_RANK.__getitem__)
    return Principal(scope=scope, user=user, token=token)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer lz_…`` with a personal, integration or customer token."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        found = find_token(token.strip())
        if found is None or (found.user is not None and not found.user.is_active):
            return None
        touch(found)
        return _rate_limited(_token_principal(found))


class SessionAuth(APIKeyCookie):
    """The desk's session cookie, so the browser (and the interactive docs) can use the API.

    Only agents: a session is not tied to a contact. Unsafe methods need the CSRF token.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user: Any = request.user
        if not is_agent(user):
            return None
        scope = Scope.ADMIN if user.is_superuser else Scope.WRITE
        return _rate_limited(Principal(scope=scope, user=user))


AUTH = [TokenAuth(), SessionAuth()]
