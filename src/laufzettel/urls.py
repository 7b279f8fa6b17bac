from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from laufzettel.desk.views.login import RateLimitedLoginView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("laufzettel.api.urls")),
    path("portal/", include("laufzettel.portal.urls")),
    path("sla/", include("laufzettel.sla.urls")),
    path("", include("laufzettel.desk.urls")),
]
