from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leadfollow.roles import manager_required
from scoring.condition_builder import Row, editor_context


@manager_required
def condition_row(request: HttpRequest) -> HttpResponse:
    """One empty condition row for the rule editor's "Add condition" button."""
    context = {**editor_context({}), "row": Row()}
    return render(request, "scoring/_condition_row.html", context)
