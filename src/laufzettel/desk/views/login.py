"""Desk login: rate-limited password check, then the TOTP code for agents who set one up."""

from typing import Any

from django import forms
from django.contrib import auth, messages
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from laufzettel.desk import login_guard
from laufzettel.desk.access import agent_required, agent_user

PENDING = "laufzettel_totp_pending"  # session key: user id that passed the password step
BACKEND = "django.contrib.auth.backends.ModelBackend"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RateLimitedLoginView(LoginView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        if login_guard.is_blocked(username, login_guard.client_address(request)):
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                _("Too many failed logins. Wait a few minutes and try again."),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        login_guard.record_failure(
            self.request.POST.get("username", ""), login_guard.client_address(self.request)
        )
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        login_guard.clear_failures(user.get_username())
        if login_guard.confirmed_totp(user) is not None:
            self.request.session[PENDING] = user.pk
            self.request.session["laufzettel_totp_next"] = self.get_success_url()
            return redirect("desk:login_code")
        return super().form_valid(form)


def _pending_user(request: HttpRequest) -> User | None:
    pk = request.session.get(PENDING)
    return User.objects.filter(pk=pk, is_active=True).first() if pk else None


@require_GET
def login_code(request: HttpRequest) -> HttpResponse:
    if _pending_user(request) is None:
        return redirect("login")
    return render(request, "registration/login_code.html", {"form": CodeForm()})


@require_POST
def login_code_check(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("login")
    address = login_guard.client_address(request)
    form = CodeForm(request.POST)
    if login_guard.is_blocked(user.get_username(), address):
        form.add_error(None, _("Too many failed logins. Wait a few minutes and try again."))
        return render(request, "registration/login_code.html", {"form": form}, status=429)
    totp = login_guard.confirmed_totp(user)
    if (
        totp is None
        or not form.is_valid()
        or not login_guard.verify_code(totp, form.cleaned_data["code"])
    ):
        login_guard.record_failure(user.get_username(), address)
        form.add_error(None, _("This code is not valid. Enter the current code of your app."))
        return render(request, "registration/login_code.html", {"form": form}, status=400)
    target = request.session.get("laufzettel_totp_next") or "/"
    auth.login(request, user, backend=BACKEND)  # rotates the session: the pending keys go too
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)


@require_GET
@agent_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    agent = agent_user(request)
    existing = login_guard.confirmed_totp(agent)
    if existing is not None:
        return render(request, "desk/totp.html", {"active": True})
    totp = login_guard.start_totp_setup(agent)
    context = {
        "active": False,
        "secret": totp.secret,
        "uri": login_guard.provisioning_uri(totp),
        "form": CodeForm(),
    }
    return render(request, "desk/totp.html", context)


@require_POST
@agent_required
def totp_confirm(request: HttpRequest) -> HttpResponse:
    agent = agent_user(request)
    totp = login_guard.start_totp_setup(agent)
    form = CodeForm(request.POST)
    if form.is_valid() and login_guard.verify_code(totp, form.cleaned_data["code"]):
        type(totp).objects.filter(pk=totp.pk).update(confirmed=True)
        messages.success(
            request, _("Two-factor login is on. From now on you need a code to log in.")
        )
    else:
        messages.error(request, _("This code is not valid. Enter the current code of your app."))
    return redirect("desk:totp_setup")
