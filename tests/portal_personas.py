"""Portal personas on top of tests/conftest.py's: contacts signed in to the portal."""

from laufzettel.accounts.models import Contact
from laufzettel.portal.actions import account_for
from laufzettel.portal.models import PortalAccount
from tests.conftest import make_contact


def portal_login(client, contact: Contact, *, admin: bool = False) -> PortalAccount:
    account = account_for(contact)
    if admin != account.is_portal_admin:
        PortalAccount.objects.filter(pk=account.pk).update(is_portal_admin=admin)
        account.refresh_from_db()
    client.force_login(account.user)
    client.cookies["django_language"] = "en"
    return account


def portal_admin_contact(org) -> Contact:
    """A second contact of organization A, who administers its portal access."""
    return make_contact("Klaus Müller", org.org_a, "it@mueller-logistik.example")
