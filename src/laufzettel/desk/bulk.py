"""Bulk actions on a queue selection: one life-cycle call per ticket, each in its own transaction.

For an outage that hits many customers at once. A ticket that cannot take the change (changed by
someone meanwhile, wrong state) is reported and skipped; the others go through.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Ticket


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one sentence per refused ticket


@dataclass(frozen=True)
class Selected:
    number: str
    version: int


def parse_selection(values: list[str]) -> list[Selected]:
    """Checkbox values are ``number:version``, so a bulk change based on an old list is refused."""
    selected = []
    for value in values:
        number, _sep, version = value.partition(":")
        if number.isdigit() and version.isdigit():
            selected.append(Selected(number, int(version)))
    return selected


def apply_bulk(
    selection: list[Selected], *, by: User, operation: str, owner: User | None, text: str
) -> BulkResult:
    result = BulkResult()
    pks = {}
    for item in selection:
        pk = Ticket.objects.by_number(item.number).values_list("pk", flat=True).first()
        if pk is None:
            result.refused.append(_("Ticket %(number)s does not exist.") % {"number": item.number})
        else:
            pks[item.number] = (pk, item.version)
    for number, (pk, version) in pks.items():
        try:
            if operation == "take":
                lifecycle.assign(pk, by=by, owner=by, expected_version=version)
            elif operation == "assign":
                lifecycle.assign(pk, by=by, owner=owner, expected_version=version)
            elif operation == "reply":
                lifecycle.reply_to_customer(pk, by=by, text=text, expected_version=version)
            elif operation == "resolve":
                lifecycle.resolve(pk, by=by, resolution=text, expected_version=version)
            else:
                raise lifecycle.IncompleteInput(_("Choose what to do with the selection."))
        except lifecycle.LifecycleError as error:
            result.refused.append(str(error))
        else:
            result.done.append(number)
    return result
