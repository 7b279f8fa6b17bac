"""Login rate limit and the admins' optional second factor (TOTP).

Failed logins are rows, not cache entries, so the limit holds across several web processes.
"""

from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone

from laufzettel.desk.models import AgentTOTP, LoginFailure

ISSUER = "Laufzettel"


def client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is the client's to forge. Behind a proxy, ``laufzettel
    # serve --trusted-proxy`` (waitress) already puts the real address into REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR") or None


def _window_start() -> object:
    return timezone.now() - timedelta(minutes=settings.LAUFZETTEL_LOGIN_WINDOW_MINUTES)


def is_blocked(username: str, address: str | None) -> bool:
    limit = settings.LAUFZETTEL_LOGIN_MAX_FAILURES
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    if recent.filter(username=username.strip().lower()).count() >= limit:
        return True
    # One address may try several names, but not endlessly.
    return address is not None and recent.filter(address=address).count() >= limit * 4


def record_failure(username: str, address: str | None) -> None:
    LoginFailure.objects.create(
        username=username.strip().lower()[:150], address=address, at=timezone.now()
    )
    # Old rows are worthless: drop them as we go instead of needing a sweep.
    LoginFailure.objects.filter(at__lt=timezone.now() - timedelta(days=1)).delete()


def clear_failures(username: str) -> None:
    LoginFailure.objects.filter(username=username.strip().lower()).delete()


def confirmed_totp(user: User) -> AgentTOTP | None:
    return AgentTOTP.objects.filter(user=user, confirmed=True).first()


def verify_code(totp: AgentTOTP, code: str) -> bool:
    """A valid code of this or the neighbouring 30 s step, never one used before."""
    code = "".join(code.split())
    if not code.isdigit():
        return False
    otp = pyotp.TOTP(totp.secret)
    now = timezone.now()
    for offset in (0, -1, 1):
        step = otp.timecode(now) + offset
        if step <= totp.last_step:
            continue
        if otp.generate_otp(step) == code:
            claimed = AgentTOTP.objects.filter(pk=totp.pk, last_step__lt=step).update(
                last_step=step
            )
            return claimed == 1
    return False


def start_totp_setup(user: User) -> AgentTOTP:
    totp, _created = AgentTOTP.objects.get_or_create(
        user=user, defaults={"secret": pyotp.random_base32()}
    )
    return totp


def provisioning_uri(totp: AgentTOTP) -> str:
    return pyotp.TOTP(totp.secret).provisioning_uri(
        name=totp.user.get_username(), issuer_name=ISSUER
    )
