from django.apps import AppConfig


class SlaConfig(AppConfig):
    """Time: business-hours calendars, SLA clocks, reminders and status updates fired by timers."""

    name = "laufzettel.sla"
    verbose_name = "SLA und Fristen"
