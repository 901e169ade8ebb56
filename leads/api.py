"""The leads REST API: intake (single and bulk), list, detail, edit, erase, timeline."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from leadfollow.api import WorkspaceAPIView
from leadfollow.errors import InvalidInput
from leadfollow.idempotency import idempotent
from leadfollow.pagination import Cursor
from leads import selectors
from leads.serializers import (
    ActivityOut,
    IntakeOut,
    LeadBulkIn,
    LeadFilterIn,
    LeadIntakeIn,
    LeadOut,
    LeadPatchIn,
)
from leads.services import ConsentInput, intake_lead
from leads.services.changes import erase_lead, source_named, update_lead


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
    return IntakeOut(result.lead, context={"merged": result.merged}).data, result.created


class LeadCollectionView(WorkspaceAPIView):
    def get(self, request: Request) -> Response:
        filters = LeadFilterIn(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = {k: v for k, v in filters.validated_data.items() if k not in {"cursor", "limit"}}
        leads = selectors.search_leads(workspace=request.workspace, **params)
        paginator = Cursor()
        page = paginator.paginate_queryset(leads, request, view=self)
        return paginator.get_paginated_response(LeadOut(page, many=True).data)

    def post(self, request: Request) -> Response:
        def create() -> Response:
            data, created = _intake_one(request, request.data)
            return Response(data, status=201 if created else 200)

        return idempotent(request, request.workspace, create)


class LeadBulkView(WorkspaceAPIView):
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
        return Response({"summary": summary, "results": results})


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
    def get(self, request: Request, lead_id: int) -> Response:
        lead = selectors.get_lead(workspace=request.workspace, lead_id=lead_id)
        return Response(LeadOut(lead).data)

    def patch(self, request: Request, lead_id: int) -> Response:
        body = LeadPatchIn(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        lead = update_lead(
            workspace=request.workspace, lead_id=lead_id, changes=body.validated_data
        )
        return Response(
            LeadOut(selectors.get_lead(workspace=request.workspace, lead_id=lead.pk)).data
        )

    def delete(self, request: Request, lead_id: int) -> Response:
        erase_lead(workspace=request.workspace, lead_id=lead_id)
        return Response(status=204)


class LeadActivitiesView(WorkspaceAPIView):
    def get(self, request: Request, lead_id: int) -> Response:
        activities = selectors.lead_timeline(workspace=request.workspace, lead_id=lead_id)
        paginator = Cursor()
        paginator.ordering = ("-occurred_at", "-id")
        page = paginator.paginate_queryset(activities, request, view=self)
        return paginator.get_paginated_response(ActivityOut(page, many=True).data)
