"""The reports API: every report's headline, and one report's figures, with the page's filters."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from leadfollow.api import WorkspaceAPIView
from leadfollow.schema import COMMON_ERRORS, error_responses
from reports.filters import ReportFilters, parse_filters
from reports.registry import all_reports, compute_headline, compute_report, get_report
from reports.serializers import ReportFilterIn, ReportListOut, ReportOut

_FILTERS = {
    "date_from": "2026-06-01",
    "date_to": "2026-06-30",
    "time_zone": "America/Chicago",
    "team": None,
    "rep": None,
    "source": None,
    "cadence": None,
}
_HEADLINE = [
    {"key": "leads", "label": "Leads", "value": 240, "unit": "count"},
    {"key": "first_touch_p50", "label": "Median to first touch", "value": 94.5, "unit": "seconds"},
]


def _filters(request: Request) -> ReportFilters:
    # API keys speak for the whole workspace, like a manager.
    form, filters = parse_filters(request.query_params, workspace=request.workspace, viewer=None)
    if filters is None:
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return filters


class ReportListView(WorkspaceAPIView):
    """`GET /api/v1/reports/`: every report with its headline figures."""

    @extend_schema(
        operation_id="reports_list",
        summary="List reports",
        description="Every report with its headline figures for the filters given.",
        parameters=[ReportFilterIn],
        responses={200: ReportListOut, **error_responses(400, *COMMON_ERRORS)},
        examples=[
            OpenApiExample(
                "June",
                value={
                    "filters": _FILTERS,
                    "reports": [
                        {
                            "report": "speed-to-lead",
                            "title": "Speed to lead",
                            "description": "How long new leads wait for a first touch.",
                            "url": "/api/v1/reports/speed-to-lead/",
                            "headline": _HEADLINE,
                        }
                    ],
                },
                response_only=True,
                status_codes=[200],
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = _filters(request)
        reports = [
            {
                "report": report.slug,
                "title": report.title,
                "description": report.description,
                "url": f"/api/v1/reports/{report.slug}/",
                "headline": [
                    asdict(figure)
                    for figure in compute_headline(
                        workspace=request.workspace, report=report, filters=filters, viewer=None
                    )
                ],
            }
            for report in all_reports()
        ]
        return Response(ReportListOut({"filters": filters.as_json(), "reports": reports}).data)


class ReportView(WorkspaceAPIView):
    """`GET /api/v1/reports/<report>/`: one report's headline, tables and chart series."""

    slug = ""

    def get(self, request: Request) -> Response:
        report = get_report(self.slug)
        filters = _filters(request)
        result = compute_report(
            workspace=request.workspace, report=report, filters=filters, viewer=None
        )
        body = {"report": report.slug, "title": report.title, "filters": filters.as_json()}
        return Response(ReportOut({**body, **result.as_json()}).data)


def report_view(slug: str, title: str):
    """The API view of one report, with its own documented operation."""
    schema = extend_schema(
        operation_id=f"reports_{slug.replace('-', '_')}",
        summary=title,
        description=f"The {title.lower()} report's figures for the filters given.",
        parameters=[ReportFilterIn],
        responses={200: ReportOut, **error_responses(400, *COMMON_ERRORS)},
        examples=[
            OpenApiExample(
                title,
                value={
                    "report": slug,
                    "title": title,
                    "filters": _FILTERS,
                    "headline": _HEADLINE,
                    "tables": [],
                    "charts": [],
                    "warnings": [],
                },
                response_only=True,
                status_codes=[200],
            )
        ],
    )

    def get(self, request: Request) -> Response:
        return ReportView.get(self, request)

    name = f"{title.title().replace(' ', '')}ReportView"
    return type(name, (ReportView,), {"slug": slug, "get": schema(get)}).as_view()
