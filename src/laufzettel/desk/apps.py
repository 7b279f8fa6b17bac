from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The agent pages: phone tickets, the ticket's routing slip and timeline, its actions."""

    name = "laufzettel.desk"
    verbose_name = "Agenten-Arbeitsplatz"
