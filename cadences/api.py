"""The enrollments API: put a lead in a cadence, and list the lead's cadences."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework.request import Request
from rest_framework.response import Response

from cadences.models import Enrollment
from cadences.serializers import EnrollmentIn, EnrollmentOut, prefetch_open_touches
from cadences.services.enrollment import enroll, get_cadence, get_enrollment
from leadfollow.api import WorkspaceAPIView
from leadfollow.errors import InvalidInput, NotFound
from leadfollow.pagination import Cursor
from leadfollow.schema import COMMON_ERRORS, ERROR_SCHEMA, error_responses, paginated
from leads.selectors import get_lead

_ENROLLMENT_OUT = {
    "id": 311,
    "cadence": {"id": 4, "name": "Speed to lead"},
    "status": "active",
    "exit_reason": "",
    "current_step": {"position": 1, "kind": "voicemail_drop"},
    "next_touch": {"due_at": "2026-03-02T15:09:06Z", "channel": "call", "status": "pending"},
    "enrolled_at": "2026-03-02T15:04:06Z",
    "ended_at": None,
}
_CONFLICT = OpenApiResponse(
    response=ERROR_SCHEMA,
    description="The lead is already in this cadence, or in one that excludes it.",
    examples=[
        OpenApiExample(
            "409",
            value={
                "code": "conflict",
                "detail": "Dana Reyes is already in “Speed to lead”.",
                "field": "cadence",
                "cadence": ["Dana Reyes is already in “Speed to lead”."],
            },
            response_only=True,
            status_codes=[409],
        )
    ],
)


class LeadEnrollmentsView(WorkspaceAPIView):
    @extend_schema(
        operation_id="leads_enrollments_list",
        summary="A lead's cadences",
        description="Every enrollment of the lead, newest first, live or ended.",
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From a `next` link."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 200, default 50."),
        ],
        responses={
            200: paginated("PaginatedEnrollmentList", EnrollmentOut),
            **error_responses(400, 404, *COMMON_ERRORS),
        },
        examples=[
            OpenApiExample(
                "A page",
                value={"next": None, "previous": None, "results": [_ENROLLMENT_OUT]},
                response_only=True,
                status_codes=[200],
            )
        ],
    )
    def get(self, request: Request, lead_id: int) -> Response:
        lead = get_lead(workspace=request.workspace, lead_id=lead_id)
        enrollments = Enrollment.objects.filter(workspace=request.workspace, lead=lead)
        paginator = Cursor()
        paginator.ordering = ("-enrolled_at", "-id")
        page = paginator.paginate_queryset(enrollments, request, view=self)
        prefetch_open_touches(page)
        return paginator.get_paginated_response(EnrollmentOut(page, many=True).data)

    @extend_schema(
        operation_id="leads_enrollments_create",
        summary="Put a lead in a cadence",
        description=(
            "Starts the cadence for the lead. A first step due at once goes out right away "
            "(within the lead's send window). A lead can be in a cadence only once at a time, "
            "and not in two cadences of the same exclusive group."
        ),
        request=EnrollmentIn,
        responses={
            201: EnrollmentOut,
            409: _CONFLICT,
            **error_responses(400, 404, *COMMON_ERRORS, 415),
        },
        examples=[
            OpenApiExample("Speed to lead", value={"cadence": 4}, request_only=True),
            OpenApiExample(
                "Enrolled", value=_ENROLLMENT_OUT, response_only=True, status_codes=[201]
            ),
        ],
    )
    def post(self, request: Request, lead_id: int) -> Response:
        # The lead first: another workspace's lead is a 404 whatever the body says.
        lead = get_lead(workspace=request.workspace, lead_id=lead_id)
        body = EnrollmentIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            cadence = get_cadence(
                workspace=request.workspace, cadence_id=body.validated_data["cadence"]
            )
        except NotFound as exc:
            raise InvalidInput(
                "No cadence with this id in your workspace.", field="cadence"
            ) from exc
        enrollment = enroll(workspace=request.workspace, lead=lead, cadence=cadence)
        enrollment = get_enrollment(workspace=request.workspace, enrollment_id=enrollment.pk)
        return Response(EnrollmentOut(enrollment).data, status=201)
