"""Who am I, and my tokens: create a personal token, list and revoke tokens."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from laufzettel.api import present
from laufzettel.api.auth import principal
from laufzettel.api.models import ApiToken, Scope, TokenKind
from laufzettel.api.problems import ApiProblem
from laufzettel.api.schemas import Id, ShortText, TokenOut, WhoAmI
from laufzettel.api.tokens import TokenError, create_personal_token, revoke
from laufzettel.api.views.common import ERRORS

router = Router(tags=["tokens"])


class TokenIn(Schema):
    name: ShortText
    scope: Scope = Scope.WRITE


class TokenCreated(TokenOut):
    # The secret is shown here once and never again.
    secret: str


@router.get("/me", response={200: WhoAmI, **ERRORS}, summary="Who am I")
def who_am_i(request: HttpRequest) -> dict[str, Any]:
    who = principal(request)
    kind = who.token.kind if who.token else "session"
    return {
        "kind": kind,
        "scope": who.scope,
        "user": present.user_ref(who.user),
        "contact": present.ref(who.contact),
    }


def _visible_tokens(request: HttpRequest) -> Any:
    who = principal(request)
    user = who.require(Scope.READ)
    tokens = ApiToken.objects.order_by("pk")
    # Admins see every token; others only their own personal tokens.
    return tokens if who.scope == Scope.ADMIN else tokens.filter(user=user)


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="List tokens")
def list_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    return [present.token(t) for t in _visible_tokens(request)]


@router.post("/tokens", response={201: TokenCreated, **ERRORS}, summary="Create a personal token")
def add_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    """A personal access token for the caller (an agent, signed in or with a token)."""
    who = principal(request)
    user = who.require(Scope.WRITE)
    if who.token is not None and who.token.kind == TokenKind.INTEGRATION:
        raise ApiProblem(403, _("Integration tokens cannot create tokens."))
    try:
        new = create_personal_token(user, name=payload.name, scope=payload.scope)
    except TokenError as exc:
        raise ApiProblem(403, str(exc)) from None
    return Status(201, {**present.token(new.token), "secret": new.secret})


@router.delete("/tokens/{token_id}", response={200: TokenOut, **ERRORS}, summary="Revoke a token")
def revoke_token(request: HttpRequest, token_id: Id) -> dict[str, Any]:
    who = principal(request)
    who.require(Scope.WRITE)
    token = _visible_tokens(request).filter(pk=token_id).first()
    if token is None:
        raise ApiProblem(404, _("Token %(id)s does not exist.") % {"id": token_id})
    return present.token(revoke(token))
