from django.urls import path

from laufzettel.sla import views

app_name = "sla"

urlpatterns = [
    path(
        "tickets/<int:number>/status-updates/",
        views.status_updates,
        name="status_updates",
    ),
]
