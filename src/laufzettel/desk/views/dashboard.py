from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from laufzettel.desk.access import agent_required
from laufzettel.desk.dashboard import charts


@require_GET
@agent_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/dashboard.html", {"charts": charts()})
