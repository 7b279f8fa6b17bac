from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from laufzettel.desk.access import agent_required, agent_user
from laufzettel.desk.queues import queues_for


@require_GET
@agent_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/home.html", {"queues": queues_for(agent_user(request))})
