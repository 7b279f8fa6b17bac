from django.urls import URLPattern, URLResolver, path

from laufzettel.api.api import api, ping

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", api.urls),
    path("ping", ping, name="api-ping"),
]
