from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The public REST API, its tokens and outgoing webhooks: the same domain functions as the UI."""

    name = "laufzettel.api"
    verbose_name = "API"
