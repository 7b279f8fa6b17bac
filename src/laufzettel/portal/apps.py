from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The customer portal: a customer's view of their organization's tickets."""

    name = "laufzettel.portal"
    verbose_name = "Kundenportal"
