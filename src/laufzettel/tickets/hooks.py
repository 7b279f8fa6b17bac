"""Other apps react to ticket changes here without the life cycle knowing them.

A hook runs inside the change's transaction, right after its event is written, so whatever it
writes (SLA clocks, timers, webhooks) commits or rolls back together with the change.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from laufzettel.tickets.models import Event, Ticket

ChangeHook = Callable[["Ticket", "Event"], None]

_change_hooks: list[ChangeHook] = []


def on_ticket_change(hook: ChangeHook) -> ChangeHook:
    """Register ``hook(ticket, event)``; call from an app's ``AppConfig.ready``. Idempotent."""
    if hook not in _change_hooks:
        _change_hooks.append(hook)
    return hook


def ticket_changed(ticket: "Ticket", event: "Event") -> None:
    for hook in _change_hooks:
        hook(ticket, event)
