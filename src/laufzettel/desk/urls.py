from django.urls import path

from laufzettel.desk.views import actions, dashboard, home, login, phone, queues, ticket

app_name = "desk"

urlpatterns = [
    path("", home.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("queues/bulk/", queues.bulk, name="bulk"),
    path("queues/<slug:key>/", queues.queue, name="queue"),
    path("queues/<slug:key>/export.csv", queues.export, name="queue_export"),
    path("login/code/", login.login_code, name="login_code"),
    path("login/code/check/", login.login_code_check, name="login_code_check"),
    path("account/two-factor/", login.totp_setup, name="totp_setup"),
    path("account/two-factor/confirm/", login.totp_confirm, name="totp_confirm"),
    path("tickets/phone/", phone.phone_ticket, name="phone_ticket"),
    path("tickets/phone/create/", phone.phone_ticket_create, name="phone_ticket_create"),
    path("tickets/<int:number>/", ticket.ticket_detail, name="ticket"),
    path("tickets/<int:number>/presence/", ticket.presence, name="ticket_presence"),
    path(
        "tickets/<int:number>/attachments/<int:pk>/",
        ticket.attachment,
        name="ticket_attachment",
    ),
    # Each action its own POST-only URL, named ticket_<action> after the form's ``action``.
    path("tickets/<int:number>/qualify/", actions.qualify, name="ticket_qualify"),
    path("tickets/<int:number>/assign/", actions.assign, name="ticket_assign"),
    path("tickets/<int:number>/escalate/", actions.escalate, name="ticket_escalate"),
    path("tickets/<int:number>/hand-back/", actions.hand_back, name="ticket_hand_back"),
    path("tickets/<int:number>/ask/", actions.ask, name="ticket_ask"),
    path(
        "tickets/<int:number>/wait-for-vendor/",
        actions.wait_for_vendor,
        name="ticket_wait_for_vendor",
    ),
    path("tickets/<int:number>/reply/", actions.reply, name="ticket_reply"),
    path("tickets/<int:number>/note/", actions.note, name="ticket_note"),
    path("tickets/<int:number>/resolve/", actions.resolve, name="ticket_resolve"),
    path("tickets/<int:number>/reopen/", actions.reopen, name="ticket_reopen"),
    path("tickets/<int:number>/merge/", actions.merge, name="ticket_merge"),
    path("tickets/<int:number>/link/", actions.link, name="ticket_link"),
]
