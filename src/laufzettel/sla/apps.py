from django.apps import AppConfig


class SlaConfig(AppConfig):
    """Time: business-hours calendars, SLA clocks, reminders and status updates fired by timers."""

    name = "laufzettel.sla"
    verbose_name = "SLA und Fristen"

    def ready(self) -> None:
        from laufzettel.ops import worker
        from laufzettel.sla.clocks import on_ticket_change
        from laufzettel.sla.timers import fire_due_timers
        from laufzettel.tickets.hooks import on_ticket_change as register

        register(on_ticket_change)
        if fire_due_timers not in worker.ROUND_JOBS:
            worker.ROUND_JOBS.append(fire_due_timers)
