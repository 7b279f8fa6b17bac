from django.apps import AppConfig


class MailConfig(AppConfig):
    """The email channel: every inbound message stored, parsed, threaded to its ticket or kept."""

    name = "laufzettel.mail"
    verbose_name = "E-Mail"

    def ready(self) -> None:
        from laufzettel.mail.ingest import sweep
        from laufzettel.ops.worker import ROUND_JOBS

        if sweep not in ROUND_JOBS:
            ROUND_JOBS.append(sweep)
