"""Which ticket a message belongs to: our Message-IDs first, the subject's ticket tag second."""

import re
from dataclasses import dataclass

from django.conf import settings

from laufzettel.mail.parse import ParsedMessage
from laufzettel.outbox.models import OutboundEmail
from laufzettel.tickets.models import NUMBER_OFFSET, Ticket

TAG = re.compile(r"\[Ticket#\s*(\d{1,12})\]", re.IGNORECASE)


@dataclass(frozen=True)
class ThreadMatch:
    ticket: Ticket
    # The mail of ours it answers, when its Message-ID was quoted (tells vendor from customer).
    outbound: OutboundEmail | None
    by_header: bool
    # It answers the vendor thread (``<ticket-N-vendor@…>``).
    vendor_thread: bool = False


def _root_pattern() -> re.Pattern[str]:
    domain = re.escape(settings.LAUFZETTEL_MAIL_DOMAIN)
    return re.compile(rf"^<ticket-(\d+)(-vendor)?@{domain}>$", re.I)


def find_thread(parsed: ParsedMessage) -> ThreadMatch | None:
    """The ticket this message answers, or None for a new request."""
    # Most recent reference first: In-Reply-To, then References from the end.
    ids = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))[:50]
    if ids:
        outbound = (
            OutboundEmail.objects.filter(message_id__in=ids, ticket__isnull=False)
            .select_related("ticket")
            .order_by("-pk")
            .first()
        )
        if outbound is not None and outbound.ticket is not None:
            return ThreadMatch(outbound.ticket, outbound, by_header=True)
        root = _root_pattern()
        for message_id in ids:
            found = root.match(message_id)
            if found:
                ticket = Ticket.objects.filter(pk=int(found.group(1))).first()
                if ticket is not None:
                    return ThreadMatch(
                        ticket, None, by_header=True, vendor_thread=bool(found.group(2))
                    )
    for number in TAG.findall(parsed.subject):
        if int(number) <= NUMBER_OFFSET:
            continue
        ticket = Ticket.objects.by_number(number).first()
        if ticket is not None:
            return ThreadMatch(ticket, None, by_header=False)
    return None
