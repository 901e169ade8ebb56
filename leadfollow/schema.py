"""The API's OpenAPI description: the key scheme, the shared error shapes, and the docs page."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers

# The dev outbox is a development tool for scripts, not part of the contract sources rely on.
UNDOCUMENTED_PREFIXES = ("/api/v1/outbox/",)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "leadfollow.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        definition = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )
        definition["description"] = (
            "An API key from Settings → API keys, sent as `Authorization: Bearer lf_…`. "
            "The key names the workspace."
        )
        return definition


def only_documented_endpoints(endpoints: list, **kwargs) -> list:
    """Preprocessing hook: leave the dev outbox out of the public schema."""
    return [e for e in endpoints if not e[0].startswith(UNDOCUMENTED_PREFIXES)]


def refuse_unknown_fields(result: dict, **kwargs) -> dict:
    """Postprocessing hook: request bodies refuse unknown fields (a 400 names them), say so."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component.setdefault("additionalProperties", False)
    return result


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files; its start-up script is a separate file.

    Both keep the page inside the site's Content-Security-Policy (no inline script or style).
    """

    template_name = "leadfollow/api_docs.html"
    url_name = "leadfollow:api-schema"
    title = "LeadFollow API"


# One JSON shape for every error. Field errors keep DRF's `{"field": ["message"]}` (nested for
# nested objects); other errors carry a stable `code` and a `detail` for people.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable, for programs."},
        "detail": {"type": "string", "description": "For people."},
        "field": {"type": "string", "description": "The field a domain error is about."},
    },
    "additionalProperties": {
        "description": "A bad field's messages, or an object of its bad sub-fields.",
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
    },
}

_ERRORS = {
    400: (
        "The body or a parameter is wrong. Each bad field is named with its messages.",
        {"phone": ["“555” is not a valid phone number."], "emial": ["Unknown field."]},
    ),
    401: (
        "No API key, or a key that is unknown or revoked.",
        {"detail": "This API key is not valid or has been revoked."},
    ),
    404: (
        "No such object in the key's workspace.",
        {"code": "not_found", "detail": "No lead with this id in your workspace."},
    ),
    409: (
        "Another lead already has this email address or phone number.",
        {
            "code": "duplicate",
            "detail": "Another lead already has this email address or phone number.",
        },
    ),
    413: (
        "The body is over the size limit (1 MiB by default).",
        {"detail": "The request body is over 1024 KiB. Send fewer leads per call."},
    ),
    415: (
        "The body is not JSON. Send `Content-Type: application/json`.",
        {"detail": 'Unsupported media type "text/plain" in request.'},
    ),
    422: (
        "The Idempotency-Key was already used with a different body.",
        {
            "code": "idempotency_key_reused",
            "detail": "This Idempotency-Key was already used with a different request body.",
        },
    ),
    429: (
        "Too many requests for this key. Wait for the seconds in `Retry-After`.",
        {"detail": "Request was throttled. Expected available in 12 seconds."},
    ),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an endpoint, each with an example body."""
    return {
        code: OpenApiResponse(
            response=ERROR_SCHEMA,
            description=_ERRORS[code][0],
            examples=[
                OpenApiExample(
                    f"{code}", value=_ERRORS[code][1], response_only=True, status_codes=[code]
                )
            ],
        )
        for code in codes
    }


# Every authenticated endpoint can answer these.
COMMON_ERRORS = (401, 429)


def paginated(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    """A cursor-paginated list: follow `next` until it is null."""
    return inline_serializer(
        name=name,
        fields={
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
            "previous": serializers.URLField(allow_null=True, help_text="The page before."),
            "results": item(many=True),
        },
    )
