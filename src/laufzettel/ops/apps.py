from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Laufzettel: the worker, the demo command and its demo data."""

    name = "laufzettel.ops"
    verbose_name = "Betrieb"
