from django.apps import AppConfig


class MailConfig(AppConfig):
    """The email channel: every inbound message stored, parsed, threaded to its ticket or kept."""

    name = "laufzettel.mail"
    verbose_name = "E-Mail"
