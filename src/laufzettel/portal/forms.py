from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from laufzettel.tickets.models import Topic

MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; Django's FileField takes one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("At most %(count)d files at once.") % {"count": MAX_FILES}
            )
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        for upload in cleaned:
            if upload.size and upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than 20 MB.") % {"name": upload.name}
                )
        return cleaned


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"), widget=forms.EmailInput(attrs={"autofocus": True})
    )


class NewTicketForm(forms.Form):
    topic = forms.ModelChoiceField(
        Topic.objects.filter(is_active=True),
        label=_("Topic"),
        required=False,
        empty_label=_("— I don't know —"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}))
    files = MultipleFileField(label=_("Attachments"))


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(label=_("Attachments"))
