from django.urls import path

from laufzettel.portal import views

app_name = "portal"

# Pages answer GET only and every change its own POST-only URL, as in the desk.
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/send/", views.send_link, name="send_link"),
    path("login/link/<str:token>/", views.link, name="link"),
    path("login/link/<str:token>/enter/", views.enter, name="enter"),
    path("logout/", views.logout, name="logout"),
    path("tickets/new/", views.new_ticket, name="new_ticket"),
    path("tickets/new/create/", views.create_ticket, name="create_ticket"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:number>/message/", views.message, name="message"),
    path("tickets/<int:number>/attachments/<int:pk>/", views.attachment, name="attachment"),
]
