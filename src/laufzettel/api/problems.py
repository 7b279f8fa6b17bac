"""Errors as RFC 9457 problem details: ``application/problem+json`` with a readable ``detail``."""

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from laufzettel.tickets.lifecycle import (
    IncompleteInput,
    InvalidTarget,
    LifecycleError,
    StaleTicket,
    TransitionNotAllowed,
)

PROBLEM_TYPE_BASE = "https://laufzettel.invalid/problems/"
CONTENT_TYPE = "application/problem+json"


class FieldError(Schema):
    # JSON pointer-like location: "body.subject", "query.state".
    field: str
    detail: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class ApiProblem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str = "",
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or KINDS.get(status, "error")
        self.errors = errors
        self.headers = headers or {}


KINDS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-large",
    422: "invalid-input",
    429: "rate-limited",
}

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
}

# What each life-cycle refusal means over HTTP: a state conflict is 409, bad input 422.
LIFECYCLE_STATUS: list[tuple[type[LifecycleError], int, str]] = [
    (TransitionNotAllowed, 409, "transition-not-allowed"),
    (StaleTicket, 409, "stale-version"),
    (IncompleteInput, 422, "incomplete-input"),
    (InvalidTarget, 422, "invalid-target"),
]


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (kind or KINDS.get(status, "error")),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="laufzettel"'
    return response


def _field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        out.append({"field": ".".join(loc), "detail": str(error.get("msg", "invalid"))})
    return out


def install(api: Any) -> None:
    """Replace django-ninja's error bodies with problem details."""

    def on_problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
        return problem_response(
            exc.status, exc.detail, kind=exc.kind, errors=exc.errors, headers=exc.headers
        )

    def on_lifecycle(request: HttpRequest, exc: LifecycleError) -> HttpResponse:
        for cls, status, kind in LIFECYCLE_STATUS:
            if isinstance(exc, cls):
                return problem_response(status, str(exc), kind=kind)
        return problem_response(409, str(exc), kind="conflict")

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problem_response(
            422,
            _("The request is not valid; see the errors for each field."),
            errors=_field_errors(exc.errors),
        )

    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(
            401, _("Send a valid API token as 'Authorization: Bearer …' or sign in.")
        )

    def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem_response(exc.status_code, str(exc))

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(404, str(exc) or _("Not found."))

    api.add_exception_handler(ApiProblem, on_problem)
    api.add_exception_handler(LifecycleError, on_lifecycle)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_auth)
    api.add_exception_handler(HttpError, on_http)
    api.add_exception_handler(Http404, on_404)
