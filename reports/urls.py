"""Reports: the index, then per report its page, its CSV and its API endpoint.

Each report gets its own named routes (`reports:speed-to-lead`), so links, the isolation
tests and the API schema all see one entry per report.
"""

from django.urls import path

from reports import api, views
from reports.registry import all_reports

app_name = "reports"

urlpatterns = [
    path("reports/", views.index, name="index"),
    path("api/v1/reports/", api.ReportListView.as_view(), name="api-report-list"),
]
for _report in all_reports():
    urlpatterns += [
        path(
            f"reports/{_report.slug}/", views.report_page, {"slug": _report.slug}, name=_report.slug
        ),
        path(
            f"reports/{_report.slug}.csv",
            views.report_csv,
            {"slug": _report.slug},
            name=f"{_report.slug}-csv",
        ),
        path(
            f"api/v1/reports/{_report.slug}/",
            api.report_view(_report.slug, _report.title),
            name=f"api-{_report.slug}",
        ),
    ]
