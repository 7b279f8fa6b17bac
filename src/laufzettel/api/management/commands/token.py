"""``laufzettel token create|list|revoke``: API tokens from the command line."""

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from laufzettel.accounts.models import Contact
from laufzettel.api.models import ApiToken, Scope
from laufzettel.api.tokens import (
    NewToken,
    TokenError,
    create_customer_token,
    create_integration_token,
    create_personal_token,
    revoke,
)


class Command(BaseCommand):
    help = "Create, list and revoke API tokens. A new token's secret is printed once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print its secret.")
        who = create.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="Personal access token of this agent (username).")
        who.add_argument("--integration", help="Integration token with this name.")
        who.add_argument("--contact", help="Customer token for this contact (id or email address).")
        create.add_argument("--name", default="", help="What the token is for.")
        create.add_argument(
            "--scope",
            choices=[s.value for s in Scope],
            help="read, write or admin (default: write for people, read for integrations).",
        )
        create.add_argument(
            "--rate-limit", type=int, default=None, help="Requests per minute (default: global)."
        )
        sub.add_parser("list", help="List tokens (never their secrets).")
        rev = sub.add_parser("revoke", help="Revoke a token by its id.")
        rev.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            new = self.create(options)
            self.stderr.write(
                f"Created {new.token.get_kind_display()} {new.token.pk} '{new.token.name}' "
                f"(scope {new.token.scope}). The secret is shown only now:"
            )
            self.stdout.write(new.secret)
        elif action == "list":
            for t in ApiToken.objects.select_related("user", "contact").order_by("pk"):
                holder = t.user.get_username() if t.user else f"contact {t.contact_id}"
                state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
                used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
                self.stdout.write(
                    f"{t.pk:>5}  {t.prefix}…  {t.kind:<11}  {t.scope:<5}  {holder:<24}  "
                    f"{state:<18}  last used {used}  {t.name}"
                )
        else:
            token = ApiToken.objects.filter(pk=options["id"]).first()
            if token is None:
                raise CommandError(f"No token with id {options['id']}.")
            revoke(token)
            self.stdout.write(f"Revoked token {token.pk} '{token.name}'.")

    def create(self, options: dict[str, Any]) -> NewToken:
        scope = options["scope"]
        rate_limit = options["rate_limit"]
        try:
            if options["user"]:
                user = User.objects.filter(username=options["user"]).first()
                if user is None:
                    raise CommandError(f"No user {options['user']!r}.")
                return create_personal_token(
                    user,
                    name=options["name"] or "command line",
                    scope=Scope(scope or Scope.WRITE),
                    rate_limit=rate_limit,
                )
            if options["integration"]:
                return create_integration_token(
                    options["integration"], scope=Scope(scope or Scope.READ), rate_limit=rate_limit
                )
            ref = options["contact"].strip()
            contacts = (
                Contact.objects.filter(pk=int(ref))
                if ref.isdigit()
                else Contact.objects.with_email(ref)
            )
            contact = contacts.first()
            if contact is None:
                raise CommandError(f"No contact {ref!r}.")
            return create_customer_token(
                contact,
                name=options["name"],
                scope=Scope(scope or Scope.WRITE),
                rate_limit=rate_limit,
            )
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
