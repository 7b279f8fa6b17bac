"""A queue's full page (filtered, sorted, paged), its CSV export, bulk actions on a selection."""

import csv
from collections.abc import Iterator

from django import forms as django_forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from laufzettel.desk.access import agent_required, agent_user
from laufzettel.desk.bulk import apply_bulk, parse_selection
from laufzettel.desk.forms import AgentChoiceField, agents
from laufzettel.desk.paging import page_of
from laufzettel.desk.queues import (
    PAGE_SIZE,
    QUEUE_BY_KEY,
    QUEUES,
    QueueFilterForm,
    QueueKind,
    queue_tickets,
)

# A CSV export is for a spreadsheet, not a database dump.
EXPORT_LIMIT = 10000


def _kind(key: str) -> QueueKind:
    kind = QUEUE_BY_KEY.get(key)
    if kind is None:
        raise Http404("No such queue.")
    return kind


class BulkForm(django_forms.Form):
    operation = django_forms.ChoiceField(
        label=gettext_lazy("With the selected tickets"),
        choices=[
            ("take", gettext_lazy("take them")),
            ("assign", gettext_lazy("assign them to …")),
            ("reply", gettext_lazy("send this reply to each customer")),
            ("resolve", gettext_lazy("resolve them with this text")),
        ],
    )
    owner = AgentChoiceField(agents(), label=gettext_lazy("Owner"), required=False)
    text = django_forms.CharField(
        label=gettext_lazy("Reply or resolution"),
        required=False,
        widget=django_forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


@require_GET
@agent_required
def queue(request: HttpRequest, key: str) -> HttpResponse:
    kind = _kind(key)
    agent = agent_user(request)
    filters = QueueFilterForm(request.GET)
    page = page_of(queue_tickets(kind, agent, filters), request.GET, PAGE_SIZE)
    context = {
        "kind": kind,
        "queues": QUEUES,
        "filters": filters,
        "page": page,
        "bulk": BulkForm(),
        "export_query": page.query,
    }
    # htmx asks for the list only when a filter changes; a plain request gets the whole page.
    template = "desk/queue.html#queue-list" if request.htmx else "desk/queue.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _csv_rows(kind: QueueKind, request: HttpRequest) -> Iterator[str]:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield writer.writerow(
        [
            _("Number"),
            _("Subject"),
            _("Organization"),
            _("Topic"),
            _("Priority"),
            _("State"),
            _("Team"),
            _("Level"),
            _("Owner"),
            _("Created"),
            _("Updated"),
        ]
    )
    tickets = queue_tickets(kind, agent_user(request), QueueFilterForm(request.GET))
    for t in tickets[:EXPORT_LIMIT].iterator(chunk_size=1000):
        yield writer.writerow(
            [
                t.number,
                t.subject,
                t.organization.name if t.organization else "",
                t.topic.name if t.topic else "",
                t.get_priority_display(),
                t.get_state_display(),
                t.team.name,
                t.team.level,
                (t.owner.get_full_name() or t.owner.get_username()) if t.owner else "",
                t.created_at.isoformat(),
                t.updated_at.isoformat(),
            ]
        )


@require_GET
@agent_required
def export(request: HttpRequest, key: str) -> StreamingHttpResponse:
    kind = _kind(key)
    response = StreamingHttpResponse(
        _csv_rows(kind, request), content_type="text/csv; charset=utf-8"
    )  # type: ignore[arg-type]
    response["Content-Disposition"] = f'attachment; filename="laufzettel-{kind.key}.csv"'
    return response


@require_POST
@agent_required
def bulk(request: HttpRequest) -> HttpResponse:
    agent = agent_user(request)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("desk:home")
    form = BulkForm(request.POST)
    selection = parse_selection(request.POST.getlist("tickets"))
    if not selection:
        messages.error(request, _("Select at least one ticket."))
        return redirect(back)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the selection."))
        return redirect(back)
    result = apply_bulk(
        selection,
        by=agent,
        operation=form.cleaned_data["operation"],
        owner=form.cleaned_data["owner"],
        text=form.cleaned_data["text"],
    )
    if result.done:
        messages.success(
            request,
            _("Done for %(count)d tickets: %(numbers)s.")
            % {"count": len(result.done), "numbers": ", ".join(result.done)},
        )
    for sentence in result.refused:
        messages.error(request, sentence)
    return redirect(back)
