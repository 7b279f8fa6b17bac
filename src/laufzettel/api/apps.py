from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The public REST API, its tokens and outgoing webhooks, over the same domain functions."""

    name = "laufzettel.api"
    verbose_name = "API"

    def ready(self) -> None:
        from laufzettel.api.webhooks import deliver_due_webhooks, queue_deliveries
        from laufzettel.ops.worker import ROUND_JOBS
        from laufzettel.tickets.hooks import on_ticket_change

        on_ticket_change(queue_deliveries)
        if deliver_due_webhooks not in ROUND_JOBS:
            ROUND_JOBS.append(deliver_due_webhooks)
