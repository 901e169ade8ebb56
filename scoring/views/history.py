"""The History page: every audited change to the rules, filterable by kind."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leadfollow.roles import member_required
from scoring import forms, selectors

PER_PAGE = 50


@member_required()
def rule_history(request: HttpRequest) -> HttpResponse:
    form = forms.HistoryFilterForm(request.GET or None)
    subject = form.cleaned_data["kind"] if form.is_valid() else None
    changes = selectors.rule_history(workspace=request.workspace, subject=subject or None)
    page = Paginator(changes, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "scoring/history.html", {"form": form, "page": page, "subject": subject or ""}
    )
