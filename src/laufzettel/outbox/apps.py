from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Durable outbound mail: rows written with the change that causes them, sent by the worker."""

    name = "laufzettel.outbox"
    verbose_name = "Postausgang"
