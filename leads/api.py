"""The leads REST API: intake (single and bulk), list, detail, edit, erase, timeline."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from leadfollow.api import WorkspaceAPIView
from leadfollow.errors import InvalidInput
from leadfollow.idempotency import HEADER, MAX_KEY_LENGTH, idempotent
from leadfollow.pagination import Cursor
from leadfollow.schema import COMMON_ERRORS, error_responses, paginated
from leads import selectors
from leads.serializers import (
    ActivityOut,
    IntakeOut,
    LeadBulkIn,
    LeadBulkOut,
    LeadFilterIn,
    LeadIntakeIn,
    LeadOut,
    LeadPatchIn,
)
from leads.services import ConsentInput, intake_lead
from leads.services.changes import BULK_LIMIT, erase_lead, source_named, update_lead


def _intake_one(request: Request, data: dict) -> tuple[dict, bool]:
    """Validate and save one lead body; returns the output and whether it was created."""
    body = LeadIntakeIn(data=data)
    body.is_valid(raise_exception=True)
    fields = dict(body.validated_data)
    consent = fields.pop("consent", None)
    source = source_named(
        workspace=request.workspace, name=fields.pop("source", None) or request.auth.name
    )
    result = intake_lead(
        workspace=request.workspace,
        fields=fields,
        source=source,
        consent=ConsentInput(**consent, ip_address=None) if consent else None,
        via="api",
    )
    # A new lead comes back as the intake steps left it (owner, score, SLA clock attached); a
    # merged one is read again, with the relations it had before, in one query.
    lead = result.lead
    if result.merged:
        lead = selectors.get_lead(workspace=request.workspace, lead_id=lead.pk)
    return IntakeOut(lead, context={"merged": result.merged}).data, result.created


# Examples for the API docs: what a source sends and what it gets back.
_LEAD_IN = {
    "first_name": "Dana",
    "last_name": "Reyes",
    "email": "dana@northwind.example",
    "phone": "+1 415 555 2671",
    "company": "Northwind Roofing",
    "title": "Owner",
    "source": "Website form",
    "custom_fields": {"budget": "10-20k", "roof_type": "flat"},
    "consent": {
        "channel": "sms",
        "text": "I agree to receive text messages about my quote.",
        "captured_at": "2026-03-02T15:04:05Z",
        "source_url": "https://northwind.example/quote",
    },
}
_LEAD_OUT = {
    "id": 1042,
    "first_name": "Dana",
    "last_name": "Reyes",
    "email": "dana@northwind.example",
    "phone": "+14155552671",
    "company": "Northwind Roofing",
    "account_id": 77,
    "title": "Owner",
    "custom_fields": {"budget": "10-20k", "roof_type": "flat"},
    "source": "Website form",
    "owner": {"id": 5, "name": "Sam Patel", "email": "sam@acme.example"},
    "status": "new",
    "time_zone": "America/Los_Angeles",
    "do_not_email": False,
    "do_not_sms": False,
    "do_not_call": False,
    "do_not_voicemail": False,
    "created_at": "2026-03-02T15:04:06Z",
    "updated_at": "2026-03-02T15:04:06Z",
    "first_touch_at": None,
    "first_human_touch_at": None,
    "first_reply_at": None,
    "last_activity_at": "2026-03-02T15:04:06Z",
    "erased_at": None,
    "score": 35,
    "band": "warm",
    "score_breakdown": [{"rule": "Business email", "points": 20}],
    "sla": {
        "policy": 3,
        "started_at": "2026-03-02T15:04:06+00:00",
        "warn_at": "2026-03-02T15:09:06+00:00",
        "due_at": "2026-03-02T15:14:06+00:00",
        "met_at": None,
        "breached_at": None,
    },
    "enrollments": [
        {
            "id": 311,
            "cadence": {"id": 4, "name": "Speed to lead"},
            "status": "active",
            "exit_reason": "",
            "current_step": {"position": 1, "kind": "voicemail_drop"},
            "next_touch": {
                "due_at": "2026-03-02T15:09:06Z",
                "channel": "call",
                "status": "pending",
            },
            "enrolled_at": "2026-03-02T15:04:06Z",
            "ended_at": None,
        }
    ],
}
_NEXT = "https://app.example/api/v1/leads/?cursor=cD0yMDI2LTAzLTAy"
_IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        f"Up to {MAX_KEY_LENGTH} characters, unique per lead you send. A retry with the same key "
        "and body gets the first response back; the same key with another body is a 422."
    ),
)
_BulkIn = inline_serializer(
    name="LeadBulk",
    fields={
        "leads": LeadIntakeIn(
            many=True,
            min_length=1,
            max_length=BULK_LIMIT,
            help_text=f"1 to {BULK_LIMIT} leads, each like a single POST.",
        )
    },
)


def _example(name: str, value, *, request: bool = False, status: int = 200) -> OpenApiExample:
    if request:
        return OpenApiExample(name, value=value, request_only=True)
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status])


class LeadCollectionView(WorkspaceAPIView):
    @extend_schema(
        operation_id="leads_list",
        summary="List leads",
        description="Newest first. Every filter given must match; follow `next` for more.",
        parameters=[LeadFilterIn],
        responses={
            200: paginated("PaginatedLeadList", LeadOut),
            **error_responses(400, *COMMON_ERRORS),
        },
        examples=[_example("A page", {"next": _NEXT, "previous": None, "results": [_LEAD_OUT]})],
    )
    def get(self, request: Request) -> Response:
        filters = LeadFilterIn(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = {k: v for k, v in filters.validated_data.items() if k not in {"cursor", "limit"}}
        leads = selectors.search_leads(workspace=request.workspace, **params)
        paginator = Cursor()
        page = paginator.paginate_queryset(leads, request, view=self)
        return paginator.get_paginated_response(LeadOut(page, many=True).data)

    @extend_schema(
        operation_id="leads_create",
        summary="Send a lead",
        description=(
            "Saves a new lead (201), or merges a repeat inquiry into the lead with the same email "
            "or phone (200, `merged: true`). Unknown fields are refused: put extra data in "
            "`custom_fields`. At least one of `email` or `phone` is required."
        ),
        parameters=[_IDEMPOTENCY_KEY],
        request=LeadIntakeIn,
        responses={
            201: OpenApiResponse(IntakeOut, description="A new lead."),
            200: OpenApiResponse(IntakeOut, description="Merged into an existing lead."),
            **error_responses(400, *COMMON_ERRORS, 413, 415, 422),
        },
        examples=[
            _example("A lead from a web form", _LEAD_IN, request=True),
            _example("Only a phone number", {"phone": "(415) 555-2671"}, request=True),
            _example("Created", {**_LEAD_OUT, "merged": False}, status=201),
            _example("Merged", {**_LEAD_OUT, "merged": True}),
        ],
    )
    def post(self, request: Request) -> Response:
        def create() -> Response:
            data, created = _intake_one(request, request.data)
            return Response(data, status=201 if created else 200)

        return idempotent(request, request.workspace, create)


class LeadBulkView(WorkspaceAPIView):
    @extend_schema(
        operation_id="leads_bulk_create",
        summary="Send up to 500 leads",
        description=(
            "Each item is handled like a single POST. Valid items are saved even when others "
            "fail; `results` says what happened to each, by its index."
        ),
        request=_BulkIn,
        responses={200: LeadBulkOut, **error_responses(400, *COMMON_ERRORS, 413, 415)},
        examples=[
            _example(
                "Two leads",
                {"leads": [{"email": "dana@northwind.example"}, {"phone": "555"}]},
                request=True,
            ),
            _example(
                "One saved, one refused",
                {
                    "summary": {"created": 1, "merged": 0, "invalid": 1},
                    "results": [
                        {"index": 0, "status": "created", "id": 1042},
                        {
                            "index": 1,
                            "status": "invalid",
                            "errors": {"phone": ["“555” is not a valid phone number."]},
                        },
                    ],
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        body = LeadBulkIn(data=request.data)
        body.is_valid(raise_exception=True)
        results = [
            _bulk_item(request, index, item)
            for index, item in enumerate(body.validated_data["leads"])
        ]
        summary = {
            status: sum(1 for r in results if r["status"] == status)
            for status in ("created", "merged", "invalid")
        }
        return Response(LeadBulkOut({"summary": summary, "results": results}).data)


def _bulk_item(request: Request, index: int, item: dict) -> dict:
    try:
        data, created = _intake_one(request, item)
    except ValidationError as exc:
        return {"index": index, "status": "invalid", "errors": exc.detail}
    except InvalidInput as exc:
        errors = exc.errors or {exc.field or "non_field_errors": [exc.message]}
        return {"index": index, "status": "invalid", "errors": errors}
    return {"index": index, "status": "created" if created else "merged", "id": data["id"]}


class LeadDetailView(WorkspaceAPIView):
    @extend_schema(
        operation_id="leads_retrieve",
        summary="Get a lead",
        responses={200: LeadOut, **error_responses(404, *COMMON_ERRORS)},
        examples=[_example("A lead", _LEAD_OUT)],
    )
    def get(self, request: Request, lead_id: int) -> Response:
        lead = selectors.get_lead(workspace=request.workspace, lead_id=lead_id)
        return Response(LeadOut(lead).data)

    @extend_schema(
        operation_id="leads_partial_update",
        summary="Change a lead",
        description=(
            "Send only the fields to change. Changes are logged on the lead's timeline. "
            "`owner` is a member id of your workspace, or null to unassign."
        ),
        request=LeadPatchIn,
        responses={
            200: LeadOut,
            **error_responses(400, 404, 409, *COMMON_ERRORS, 415),
        },
        examples=[
            _example("Qualify and assign", {"status": "qualified", "owner": 5}, request=True),
            _example("The changed lead", {**_LEAD_OUT, "status": "qualified"}),
        ],
    )
    def patch(self, request: Request, lead_id: int) -> Response:
        body = LeadPatchIn(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        lead = update_lead(
            workspace=request.workspace, lead_id=lead_id, changes=body.validated_data
        )
        return Response(
            LeadOut(selectors.get_lead(workspace=request.workspace, lead_id=lead.pk)).data
        )

    @extend_schema(
        operation_id="leads_destroy",
        summary="Erase a lead's personal data",
        description=(
            "GDPR erasure: names, contact details, custom fields, consents and message bodies "
            "are removed; counts stay. A one-way hash of the email and phone keeps the person "
            "off every channel, also if they are sent again."
        ),
        responses={204: None, **error_responses(404, *COMMON_ERRORS)},
    )
    def delete(self, request: Request, lead_id: int) -> Response:
        erase_lead(workspace=request.workspace, lead_id=lead_id)
        return Response(status=204)


class LeadActivitiesView(WorkspaceAPIView):
    @extend_schema(
        operation_id="leads_activities_list",
        summary="A lead's timeline",
        description="Activities newest first; follow `next` for older ones.",
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From a `next` link."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 200, default 50."),
        ],
        responses={
            200: paginated("PaginatedActivityList", ActivityOut),
            **error_responses(400, 404, *COMMON_ERRORS),
        },
        examples=[
            _example(
                "A page",
                {
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 9001,
                            "kind": "created",
                            "channel": "",
                            "direction": "",
                            "actor": None,
                            "summary": "Lead created from Website form",
                            "payload": {"via": "api", "source": "Website form"},
                            "occurred_at": "2026-03-02T15:04:06Z",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request: Request, lead_id: int) -> Response:
        activities = selectors.lead_timeline(workspace=request.workspace, lead_id=lead_id)
        paginator = Cursor()
        paginator.ordering = ("-occurred_at", "-id")
        page = paginator.paginate_queryset(activities, request, view=self)
        return paginator.get_paginated_response(ActivityOut(page, many=True).data)
