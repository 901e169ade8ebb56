"""The API's edge: the workspace scope of every API view, and the one error mapping."""

from __future__ import annotations

from contextlib import ExitStack

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from leadfollow.errors import DomainError
from leadfollow.schema import COMMON_ERRORS, error_responses
from leadfollow.tenancy import workspace_scope


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "payload_too_large"


class WorkspaceAPIView(APIView):
    """Base of every API view: after authentication, scope the request to the key's workspace."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        self._scope = ExitStack()
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.API_MAX_BODY_BYTES:
            raise PayloadTooLarge(
                f"The request body is over {settings.API_MAX_BODY_BYTES // 1024} KiB. "
                "Send fewer leads per call."
            )
        super().initial(request, *args, **kwargs)
        request.workspace = request.auth.workspace
        self._scope.enter_context(workspace_scope(request.workspace))

    def finalize_response(self, request: Request, response: Response, *args, **kwargs) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        scope = getattr(self, "_scope", None)
        if scope is not None:
            scope.close()
        return response


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Field errors keep DRF's `{"field": ["…"]}`; other domain errors are `{"code", "detail"}`."""
    if isinstance(exc, DomainError) and exc.errors:
        return Response(exc.errors, status=exc.status_code)
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
            body[exc.field] = [exc.message]
        return Response(body, status=exc.status_code)
    return drf_exception_handler(exc, context)


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}$", "example": "08:00"})
class HourMinuteField(serializers.TimeField):
    """A wall-clock time as `HH:MM` (OpenAPI's `time` format would promise seconds)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class WorkspaceOut(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()
    time_zone = serializers.CharField()
    default_region = serializers.CharField()
    business_days = serializers.ListField(child=serializers.IntegerField())
    business_hours_start = HourMinuteField()
    business_hours_end = HourMinuteField()


class WorkspaceView(WorkspaceAPIView):
    """`GET /api/v1/workspace/`: the key's workspace, so a source can check its key."""

    @extend_schema(
        operation_id="workspace_retrieve",
        summary="Check your key",
        description="The workspace the API key belongs to.",
        responses={200: WorkspaceOut, **error_responses(*COMMON_ERRORS)},
        examples=[
            OpenApiExample(
                "Acme Roofing",
                value={
                    "name": "Acme Roofing",
                    "slug": "acme",
                    "time_zone": "America/Chicago",
                    "default_region": "US",
                    "business_days": [0, 1, 2, 3, 4],
                    "business_hours_start": "08:00",
                    "business_hours_end": "18:00",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(WorkspaceOut(request.workspace).data)
