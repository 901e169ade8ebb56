"""The Reports pages: the index with each report's headline, one page per report, and CSV."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leadfollow.roles import member_required
from reports.filters import parse_filters
from reports.presentation import chart_bars, csv_text, display_rows
from reports.registry import all_reports, compute_headline, compute_report, get_report


def _status(form) -> int:
    return 400 if form.errors else 200


@member_required()
def index(request: HttpRequest) -> HttpResponse:
    """Every report with its headline for the filters; bad filters re-render with their messages.

    Each card asks for its own headline (`?part=headline` on the report's page), so the page
    answers at once and the six reports are computed side by side, each within its own budget.
    Without JavaScript every card still links to its full report."""
    form, filters = parse_filters(
        request.GET, workspace=request.workspace, viewer=request.membership
    )
    cards = [{"report": report} for report in all_reports()] if filters is not None else []
    context = {"form": form, "filters": filters, "cards": cards, "reports": all_reports()}
    return render(request, "reports/index.html", context, status=_status(form))


def _headline(request: HttpRequest, report, form, filters) -> HttpResponse:
    """One overview card's figures."""
    if filters is None:
        return render(request, "reports/_headline_error.html", {"form": form}, status=400)
    figures = compute_headline(
        workspace=request.workspace, report=report, filters=filters, viewer=request.membership
    )
    return render(request, "reports/_figures.html", {"figures": figures})


@member_required()
def report_page(request: HttpRequest, slug: str) -> HttpResponse:
    """One report: headline, charts and tables (`?format=csv`: its CSV)."""
    if request.GET.get("format") == "csv":
        return report_csv(request, slug)
    report = get_report(slug)
    form, filters = parse_filters(
        request.GET, workspace=request.workspace, viewer=request.membership
    )
    if request.GET.get("part") == "headline":
        return _headline(request, report, form, filters)
    result = filters and compute_report(
        workspace=request.workspace, report=report, filters=filters, viewer=request.membership
    )
    context = {
        "form": form,
        "filters": filters,
        "report": report,
        "reports": all_reports(),
        "result": result,
        "charts": [(chart, *chart_bars(chart)) for chart in result.charts] if result else [],
        "tables": [(table, display_rows(table)) for table in result.tables] if result else [],
    }
    return render(request, "reports/report.html", context, status=_status(form))


@member_required()
def report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Every table of the report as CSV (`?table=<key>` for one), with the page's filters."""
    report = get_report(slug)
    form, filters = parse_filters(
        request.GET, workspace=request.workspace, viewer=request.membership
    )
    if filters is None:
        lines = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain")
    result = compute_report(
        workspace=request.workspace, report=report, filters=filters, viewer=request.membership
    )
    table = request.GET.get("table") or None
    if table is not None and table not in {t.key for t in result.tables}:
        return HttpResponse("table: No such table in this report.", status=400)
    response = HttpResponse(csv_text(result, table), content_type="text/csv; charset=utf-8")
    name = f"{slug}{'-' + table if table else ''}-{filters.date_from}-{filters.date_to}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
