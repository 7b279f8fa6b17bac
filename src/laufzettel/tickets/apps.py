from django.apps import AppConfig


class TicketsConfig(AppConfig):
    """The routing slip: tickets, their timeline and audit log, and the one life-cycle module."""

    name = "laufzettel.tickets"
    verbose_name = "Tickets"
