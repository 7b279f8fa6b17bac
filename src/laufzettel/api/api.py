"""The NinjaAPI object: routers, authentication, problem details and the OpenAPI schema."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import NinjaAPI

from laufzettel.api import problems
from laufzettel.api.auth import AUTH
from laufzettel.api.views import articles, directory, me, tickets, webhooks


class LaufzettelAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Error answers are ``application/problem+json`` (RFC 9457), not plain JSON."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status)[0] in "45" and "application/json" in content:
                        content[problems.CONTENT_TYPE] = content.pop("application/json")
        return schema


api = LaufzettelAPI(
    title="Laufzettel API",
    version="1",
    description=(
        "Tickets, their timeline and the customer directory of Laufzettel. Authenticate with "
        "`Authorization: Bearer <token>` (personal, integration or customer token) or the "
        "browser session. Errors are RFC 9457 problem details. See docs/api.md."
    ),
    auth=AUTH,
    urls_namespace="api-v1",
)
problems.install(api)
api.add_router("/tickets", tickets.router)
api.add_router("/tickets", articles.router)
api.add_router("/", directory.router)
api.add_router("/webhooks", webhooks.router)
api.add_router("/", me.router)


def ping(request: HttpRequest) -> JsonResponse:
    """The benchmark's ceiling: the same server and middleware, no database, no API layer."""
    return JsonResponse({"ok": True})
