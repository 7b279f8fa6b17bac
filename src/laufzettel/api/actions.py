"""Writes the API needs that are not ticket state changes (those belong to tickets.lifecycle)."""

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from laufzettel.api.problems import ApiProblem
from laufzettel.tickets.models import Article, Attachment, State

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


def attach_file(article: Article, upload: UploadedFile) -> Attachment:
    """Store an uploaded file on an article; refused on merged tickets, like notes."""
    if article.ticket.state == State.MERGED:
        raise ApiProblem(409, _("A merged ticket takes no attachments."))
    size = upload.size or 0
    if size > MAX_ATTACHMENT_BYTES:
        raise ApiProblem(
            413,
            _("Attachments may be at most %(mb)s MB.")
            % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
        )
    # The stored name is sanitised; the original is kept for the download's filename.
    name = (upload.name or "attachment").rsplit("/", 1)[-1][:255] or "attachment"
    with transaction.atomic():
        attachment = Attachment(
            article=article,
            name=name,
            content_type=(upload.content_type or "application/octet-stream")[:200],
            size=size,
        )
        try:
            stored = get_valid_filename(name)
        except SuspiciousFileOperation:
            stored = "attachment"
        attachment.file.save(stored, upload, save=False)
        attachment.save()
    return attachment
