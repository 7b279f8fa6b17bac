"""Forms of the desk: the phone intake and one form per action on the ticket page.

Every action form carries the ticket version the agent saw (hidden ``version``), which the view
passes to the life cycle as ``expected_version``: a form based on an older state is refused there
instead of overwriting what a colleague did meanwhile.

Choice fields that depend on the ticket (higher/lower teams, team members) show the fitting
choices when rendered, but accept any team or agent when submitted: whether the move is allowed
is the life cycle's decision, made on the locked, current ticket — the form must not answer
"invalid choice" for a change that is really a stale form or an illegal transition.
"""

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from laufzettel.accounts.models import Contact, ContactEmail, Organization, Team
from laufzettel.lib.phone import normalize_phone
from laufzettel.tickets.models import ArticleKind, LinkKind, Priority, Ticket, Topic

TEXT = forms.Textarea(attrs={"rows": 4})
SHORT_TEXT = forms.Textarea(attrs={"rows": 2})


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


def agents() -> QuerySet[User]:
    return User.objects.filter(is_active=True).filter(
        Q(agent_profile__isnull=False) | Q(is_superuser=True)
    )


def active_topics() -> QuerySet[Topic]:
    return Topic.objects.filter(is_active=True)


class DeskForm(forms.Form):
    required_css_class = "required"
    error_css_class = "has-error"

    def error_text(self) -> str:
        """All errors in one sentence per field, for a message above the page."""
        parts = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else None
            text = " ".join(str(e) for e in errors)
            parts.append(f"{label}: {text}" if label else text)
        return " ".join(parts)


# --- phone intake ------------------------------------------------------------------------------


class CallerSearchForm(DeskForm):
    q = forms.CharField(
        label=_("Number or name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )


class PhoneTicketForm(DeskForm):
    """A ticket for the call in progress: a known caller (``contact``) or a new one."""

    q = forms.CharField(required=False, widget=forms.HiddenInput)
    # Rendered by hand as one radio button per search match; validated against all contacts.
    contact = forms.ModelChoiceField(Contact.objects.all(), required=False, label=_("Caller"))
    new_name = forms.CharField(label=_("Name"), required=False, max_length=200)
    new_phone = forms.CharField(label=_("Phone"), required=False, max_length=50)
    new_email = forms.EmailField(label=_("Email"), required=False)
    new_organization = forms.ModelChoiceField(
        Organization.objects.all(), label=_("Organization"), required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(label=_("Description"), widget=TEXT)
    topic = forms.ModelChoiceField(active_topics(), label=_("Topic"), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "caller-%s")  # the search form on the same page has ``q``
        super().__init__(*args, **kwargs)

    def clean_new_phone(self) -> str:
        raw = self.cleaned_data["new_phone"].strip()
        if not raw:
            return ""
        e164 = normalize_phone(raw)
        if e164 is None:
            raise forms.ValidationError(_("This is not a valid phone number."))
        return e164

    def clean_new_email(self) -> str:
        address = self.cleaned_data["new_email"].strip().lower()
        owner = (
            ContactEmail.objects.filter(address=address).select_related("contact").first()
            if address
            else None
        )
        if owner is not None:
            raise forms.ValidationError(
                _("This address belongs to %(name)s: search for them instead.")
                % {"name": owner.contact.name}
            )
        return address

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        contact = data.get("contact")
        new_name = (data.get("new_name") or "").strip()
        if contact is None and not new_name and "new_name" not in self.errors:
            self.add_error(
                "new_name", _("Choose a caller from the search or enter a new caller's name.")
            )
        if contact is not None and new_name:
            # Without this, a new caller typed under a preselected match would silently be
            # filed as that match.
            self.add_error(
                "new_name",
                _(
                    "You chose %(name)s and entered a new caller: "
                    "choose “New caller” or clear the name."
                )
                % {"name": contact.name},
            )
        return data


# --- ticket actions ----------------------------------------------------------------------------


class TicketActionForm(DeskForm):
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": _("This form is incomplete: reload the ticket and try again."),
            "invalid": _("This form is incomplete: reload the ticket and try again."),
        },
    )
    action = ""  # names the URL (desk:ticket_<action>) and prefixes the HTML ids of this form
    title: str | Promise = ""
    submit: str | Promise = ""

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        self.ticket = ticket
        if not args and kwargs.get("data") is None:  # a submitted form needs no prefill
            kwargs["initial"] = {
                "version": ticket.version,
                **self.initial_for(ticket),
                **kwargs.get("initial", {}),
            }
        # Many forms share one page: distinct ids keep every label tied to its own field.
        kwargs.setdefault("auto_id", f"{self.action}-%s")
        super().__init__(*args, **kwargs)

    def initial_for(self, ticket: Ticket) -> dict[str, Any]:
        return {}

    @property
    def url(self) -> str:
        return reverse(f"desk:ticket_{self.action}", args=[self.ticket.number])


def affected_candidates(ticket: Ticket) -> QuerySet[Contact]:
    """People who may be named as affected: the organization's contacts and those already named."""
    match = Q(pk=ticket.contact_id) | Q(affected_by=ticket)
    if ticket.organization_id:
        match |= Q(organization_id=ticket.organization_id)
    return Contact.objects.filter(match).distinct()


# A large customer has hundreds of contacts: the form offers the caller, those already named and
# the first of the rest; anyone else goes into the free-text field. (Submitted forms are still
# checked against all candidates.)
AFFECTED_CHOICES = 25


def affected_choices(ticket: Ticket) -> QuerySet[Contact]:
    first = affected_candidates(ticket).order_by("name").values_list("pk", flat=True)
    first = first[:AFFECTED_CHOICES]
    shown = Q(pk__in=list(first)) | Q(pk=ticket.contact_id) | Q(affected_by=ticket)
    return Contact.objects.filter(shown).distinct().order_by("name")


class QualifyForm(TicketActionForm):
    action = "qualify"
    title = _("Details and documentation")
    submit = _("Save details")
    subject = forms.CharField(label=_("Subject"), max_length=250)
    topic = forms.ModelChoiceField(active_topics(), label=_("Topic"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    organization = forms.ModelChoiceField(
        Organization.objects.all(), label=_("Organization"), required=False
    )
    initial_situation = forms.CharField(label=_("Initial situation"), required=False, widget=TEXT)
    affected_contacts = forms.ModelMultipleChoiceField(
        Contact.objects.none(),
        label=_("Affected persons"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    affected_persons_text = forms.CharField(
        label=_("Affected persons (free text)"), required=False, widget=SHORT_TEXT
    )
    solution_attempts = forms.CharField(label=_("Solution attempts"), required=False, widget=TEXT)
    measures_taken = forms.CharField(label=_("Measures taken"), required=False, widget=TEXT)

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, ticket=ticket, **kwargs)
        self.fields["affected_contacts"].queryset = (  # type: ignore[attr-defined]
            affected_candidates(ticket) if self.is_bound else affected_choices(ticket)
        )

    def initial_for(self, ticket: Ticket) -> dict[str, Any]:
        return {
            "subject": ticket.subject,
            "topic": ticket.topic_id,
            "priority": ticket.priority,
            "organization": ticket.organization_id,
            "initial_situation": ticket.initial_situation,
            "affected_contacts": [c.pk for c in ticket.affected_contacts.all()],
            "affected_persons_text": ticket.affected_persons_text,
            "solution_attempts": ticket.solution_attempts,
            "measures_taken": ticket.measures_taken,
        }


class AssignForm(TicketActionForm):
    action = "assign"
    title = _("Assign")
    submit = _("Assign")
    owner = AgentChoiceField(
        agents(), label=_("Owner"), required=False, empty_label=_("— nobody (team queue) —")
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, ticket=ticket, **kwargs)
        if not self.is_bound:
            self.fields["owner"].queryset = ticket.team.members.order_by("username")  # type: ignore[attr-defined]

    def initial_for(self, ticket: Ticket) -> dict[str, Any]:
        return {"owner": ticket.owner_id}


class EscalateForm(TicketActionForm):
    """The handover: prefilled from the routing slip, so the agent completes rather than retypes."""

    action = "escalate"
    title = _("Escalate")
    submit = _("Escalate with handover")
    to_team = forms.ModelChoiceField(Team.objects.all(), label=_("To team"))
    initial_situation = forms.CharField(label=_("Initial situation"), widget=TEXT)
    affected_contacts = forms.ModelMultipleChoiceField(
        Contact.objects.none(),
        label=_("Affected persons"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    affected_persons_text = forms.CharField(
        label=_("Affected persons (free text)"), required=False, widget=SHORT_TEXT
    )
    solution_attempts = forms.CharField(label=_("Solution attempts"), widget=TEXT)
    measures_taken = forms.CharField(label=_("Measures taken"), widget=TEXT)
    note = forms.CharField(label=_("Note for the receiving team"), required=False, widget=TEXT)

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, ticket=ticket, **kwargs)
        self.fields["affected_contacts"].queryset = (  # type: ignore[attr-defined]
            affected_candidates(ticket) if self.is_bound else affected_choices(ticket)
        )
        if not self.is_bound:
            self.fields["to_team"].queryset = Team.objects.filter(level__gt=ticket.team.level)  # type: ignore[attr-defined]

    def initial_for(self, ticket: Ticket) -> dict[str, Any]:
        department = ticket.topic.department_id if ticket.topic else None
        return {
            "to_team": department,
            "initial_situation": ticket.initial_situation,
            "affected_contacts": [c.pk for c in ticket.affected_contacts.all()],
            "affected_persons_text": ticket.affected_persons_text,
            "solution_attempts": ticket.solution_attempts,
            "measures_taken": ticket.measures_taken,
        }


class HandBackForm(TicketActionForm):
    action = "hand_back"
    title = _("Hand back")
    submit = _("Hand back")
    to_team = forms.ModelChoiceField(Team.objects.all(), label=_("To team"))
    note = forms.CharField(label=_("Why it goes back"), widget=TEXT)

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, ticket=ticket, **kwargs)
        if not self.is_bound:
            self.fields["to_team"].queryset = Team.objects.filter(level__lt=ticket.team.level)  # type: ignore[attr-defined]


class AskForm(TicketActionForm):
    action = "ask"
    title = _("Ask the customer")
    submit = _("Send question")
    question = forms.CharField(label=_("Question to the customer"), widget=TEXT)


class ResolveForm(TicketActionForm):
    action = "resolve"
    title = _("Resolve")
    submit = _("Resolve")
    resolution = forms.CharField(label=_("Resolution"), widget=TEXT)


class ReplyForm(TicketActionForm):
    action = "reply"
    title = _("Reply to the customer")
    submit = _("Send reply")
    text = forms.CharField(label=_("Reply to the customer"), widget=TEXT)


class NoteForm(TicketActionForm):
    action = "note"
    title = _("Note or phone note")
    submit = _("Add note")
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(ArticleKind.NOTE, _("internal note")), (ArticleKind.PHONE, _("phone note"))],
        initial=ArticleKind.NOTE,
    )
    body = forms.CharField(label=_("Text"), widget=TEXT)


class WaitForVendorForm(TicketActionForm):
    action = "wait_for_vendor"
    title = _("Wait for vendor")
    submit = _("Wait for vendor")
    note = forms.CharField(label=_("Note"), required=False, widget=SHORT_TEXT)


class ReopenForm(TicketActionForm):
    action = "reopen"
    title = _("Reopen")
    submit = _("Reopen")
    reason = forms.CharField(label=_("Why it is reopened"), widget=SHORT_TEXT)


class TicketNumberField(forms.CharField):
    def clean(self, value: Any) -> Ticket:
        text = super().clean(value)
        ticket = Ticket.objects.by_number(text).first()
        if ticket is None:
            raise forms.ValidationError(_("There is no ticket with this number."))
        return ticket


class MergeForm(TicketActionForm):
    action = "merge"
    title = _("Merge into another ticket")
    submit = _("Merge")
    into = TicketNumberField(label=_("Number of the ticket to keep"), max_length=20)


class LinkForm(TicketActionForm):
    action = "link"
    title = _("Link a ticket")
    submit = _("Link")
    other = TicketNumberField(label=_("Number of the other ticket"), max_length=20)
    kind = forms.ChoiceField(label=_("Kind"), choices=LinkKind.choices, initial=LinkKind.RELATED)
