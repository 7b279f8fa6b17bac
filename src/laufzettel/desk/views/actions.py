"""One POST-only view per ticket action, each calling exactly one life-cycle function.

The pattern of every view: read the ticket through the access helper, validate the form, call
the life cycle with the version the agent saw, and go back to the ticket page with a message —
the life cycle's own sentence when it refuses (stale form, illegal transition, missing input).
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from laufzettel.desk import forms
from laufzettel.desk.access import agent_required, agent_user, ticket_for_agent
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import ArticleKind, LinkKind, Priority, Ticket

Data = dict[str, Any]


def _act(
    request: HttpRequest,
    number: int,
    form_class: type[forms.TicketActionForm],
    action: Callable[[Ticket, Data], object],
    done: str | Promise,
) -> HttpResponse:
    ticket = ticket_for_agent(request, number)
    form = form_class(request.POST, ticket=ticket)
    if not form.is_valid():
        messages.error(request, form.error_text())
    else:
        try:
            action(ticket, form.cleaned_data)
        except lifecycle.LifecycleError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, str(done))
    return redirect(ticket)


@require_POST
@agent_required
def qualify(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.qualify(
            ticket,
            by=agent_user(request),
            subject=d["subject"],
            topic=d["topic"],
            priority=Priority(d["priority"]),
            organization=d["organization"],
            affected_contact_ids=[c.pk for c in d["affected_contacts"]],
            affected_persons_text=d["affected_persons_text"],
            initial_situation=d["initial_situation"],
            solution_attempts=d["solution_attempts"],
            measures_taken=d["measures_taken"],
            expected_version=d["version"],
        )

    return _act(request, number, forms.QualifyForm, run, _("The details were saved."))


@require_POST
@agent_required
def assign(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.assign(
            ticket, by=agent_user(request), owner=d["owner"], expected_version=d["version"]
        )

    return _act(request, number, forms.AssignForm, run, _("The owner was changed."))


@require_POST
@agent_required
def escalate(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        handover = lifecycle.Handover(
            initial_situation=d["initial_situation"],
            affected_persons_text=d["affected_persons_text"],
            solution_attempts=d["solution_attempts"],
            measures_taken=d["measures_taken"],
            affected_contact_ids=[c.pk for c in d["affected_contacts"]],
            note=d["note"],
        )
        return lifecycle.escalate(
            ticket,
            by=agent_user(request),
            to_team=d["to_team"],
            handover=handover,
            expected_version=d["version"],
        )

    return _act(request, number, forms.EscalateForm, run, _("The ticket was escalated."))


@require_POST
@agent_required
def hand_back(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.hand_back(
            ticket,
            by=agent_user(request),
            to_team=d["to_team"],
            note=d["note"],
            expected_version=d["version"],
        )

    return _act(request, number, forms.HandBackForm, run, _("The ticket was handed back."))


@require_POST
@agent_required
def ask(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.ask_customer(
            ticket, by=agent_user(request), question=d["question"], expected_version=d["version"]
        )

    done = _("The question was sent; the ticket waits for the customer.")
    return _act(request, number, forms.AskForm, run, done)


@require_POST
@agent_required
def wait_for_vendor(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.wait_for_vendor(
            ticket, by=agent_user(request), note=d["note"], expected_version=d["version"]
        )

    done = _("The ticket waits for the vendor.")
    return _act(request, number, forms.WaitForVendorForm, run, done)


@require_POST
@agent_required
def reply(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.reply_to_customer(
            ticket, by=agent_user(request), text=d["text"], expected_version=d["version"]
        )

    return _act(request, number, forms.ReplyForm, run, _("The reply was sent."))


@require_POST
@agent_required
def note(request: HttpRequest, number: int) -> HttpResponse:
    # Notes only add to the timeline and overwrite nothing, so the life cycle takes them
    # whatever the version: a note written on an older page is still true.
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.add_note(
            ticket, by=agent_user(request), body=d["body"], kind=ArticleKind(d["kind"])
        )

    return _act(request, number, forms.NoteForm, run, _("The note was added."))


@require_POST
@agent_required
def resolve(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.resolve(
            ticket,
            by=agent_user(request),
            resolution=d["resolution"],
            expected_version=d["version"],
        )

    return _act(request, number, forms.ResolveForm, run, _("The ticket was resolved."))


@require_POST
@agent_required
def reopen(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.reopen(
            ticket, by=agent_user(request), reason=d["reason"], expected_version=d["version"]
        )

    return _act(request, number, forms.ReopenForm, run, _("The ticket was reopened."))


@require_POST
@agent_required
def merge(request: HttpRequest, number: int) -> HttpResponse:
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.merge(
            ticket, into=d["into"], by=agent_user(request), expected_version=d["version"]
        )

    return _act(request, number, forms.MergeForm, run, _("The ticket was merged."))


@require_POST
@agent_required
def link(request: HttpRequest, number: int) -> HttpResponse:
    # A link only adds; like a note it is taken whatever the version.
    def run(ticket: Ticket, d: Data) -> object:
        return lifecycle.link(
            ticket, other=d["other"], by=agent_user(request), kind=LinkKind(d["kind"])
        )

    return _act(request, number, forms.LinkForm, run, _("The tickets were linked."))
