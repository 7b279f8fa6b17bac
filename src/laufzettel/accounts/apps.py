from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Who is who: customer organizations and contacts, support agents and their teams."""

    name = "laufzettel.accounts"
    verbose_name = "Kontakte und Teams"
