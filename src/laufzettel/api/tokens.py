"""Creating, finding and revoking API tokens; the secret exists only in the creator's hands."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from laufzettel.accounts.models import Contact
from laufzettel.api.models import SCOPE_RANK, ApiToken, Scope, TokenKind

SECRET_PREFIX = "lz_"
# last_used_at is written at most this often per token: a busy integration must not turn every
# read into a write.
LAST_USE_RESOLUTION = timedelta(minutes=1)
DEMO_TOKEN_NAME = "Demo integration"


class TokenError(ValueError):
    """A token that cannot be created as asked; ``str()`` says why."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    # Secrets carry 256 random bits: a fast hash cannot be brute-forced, and lookup is one index.
    return hashlib.sha256(secret.encode()).hexdigest()


def _store(
    secret: str,
    *,
    kind: TokenKind,
    name: str,
    scope: Scope,
    user: User | None = None,
    contact: Contact | None = None,
    rate_limit: int | None = None,
) -> NewToken:
    token = ApiToken.objects.create(
        kind=kind,
        name=name[:100],
        scope=scope,
        user=user,
        contact=contact,
        prefix=secret[: len(SECRET_PREFIX) + 8],
        secret_hash=hash_secret(secret),
        rate_limit=rate_limit,
    )
    return NewToken(token, secret)


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def max_scope_for(user: User) -> Scope:
    """Personal tokens never exceed their user: only superusers hold admin rights."""
    return Scope.ADMIN if user.is_superuser else Scope.WRITE


def create_personal_token(
    user: User, *, name: str, scope: Scope = Scope.WRITE, rate_limit: int | None = None
) -> NewToken:
    if SCOPE_RANK[scope] > SCOPE_RANK[max_scope_for(user)]:
        raise TokenError(
            _("%(user)s may not hold a token with scope %(scope)s.")
            % {"user": user.get_username(), "scope": scope}
        )
    if not (user.is_superuser or hasattr(user, "agent_profile")):
        raise TokenError(
            _("%(user)s is not an agent: personal tokens are for agents.")
            % {"user": user.get_username()}
        )
    return _store(
        _new_secret(),
        kind=TokenKind.PERSONAL,
        name=name,
        scope=scope,
        user=user,
        rate_limit=rate_limit,
    )


def integration_user(name: str) -> User:
    """The service user an integration acts as: events then name the integration, not a person."""
    username = f"integration-{slugify(name)[:100] or 'unnamed'}"
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": name[:150], "is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def create_integration_token(
    name: str, *, scope: Scope = Scope.READ, rate_limit: int | None = None
) -> NewToken:
    with transaction.atomic():
        return _store(
            _new_secret(),
            kind=TokenKind.INTEGRATION,
            name=name,
            scope=scope,
            user=integration_user(name),
            rate_limit=rate_limit,
        )


def create_customer_token(
    contact: Contact, *, name: str = "", scope: Scope = Scope.WRITE, rate_limit: int | None = None
) -> NewToken:
    if scope == Scope.ADMIN:
        raise TokenError(_("Customer tokens can only read or write."))
    return _store(
        _new_secret(),
        kind=TokenKind.CUSTOMER,
        name=name or contact.name,
        scope=scope,
        contact=contact,
        rate_limit=rate_limit,
    )


def find_token(secret: str) -> ApiToken | None:
    """The active token with this secret, with its user and contact in the same query."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    return (
        ApiToken.objects.select_related("user", "user__agent_profile", "contact")
        .filter(secret_hash=hash_secret(secret), revoked_at__isnull=True)
        .first()
    )


def touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke(token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def demo_integration_token() -> str:
    """A write-scoped integration token for the demo; the same secret on every run.

    Derived from SECRET_KEY so ``laufzettel demo`` can print it again without storing it; a
    production installation never calls this.
    """
    digest = hmac.new(settings.SECRET_KEY.encode(), b"laufzettel-demo-token", "sha256")
    secret = SECRET_PREFIX + "demo_" + digest.hexdigest()[:40]
    if not ApiToken.objects.filter(secret_hash=hash_secret(secret)).exists():
        with transaction.atomic():
            _store(
                secret,
                kind=TokenKind.INTEGRATION,
                name=DEMO_TOKEN_NAME,
                scope=Scope.WRITE,
                user=integration_user(DEMO_TOKEN_NAME),
            )
    return secret


def issue_secret(token: ApiToken) -> str:
    """Give an unsaved token (from the admin's form) a new secret; returns it, to show once."""
    secret = _new_secret()
    token.prefix = secret[: len(SECRET_PREFIX) + 8]
    token.secret_hash = hash_secret(secret)
    if token.kind == TokenKind.INTEGRATION and token.user_id is None:
        token.user = integration_user(token.name)
    return secret
