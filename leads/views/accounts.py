"""Accounts: the companies leads work at. Every member sees them, to reach a second person there."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leadfollow.roles import member_required
from leads import selectors

ACCOUNTS_PER_PAGE = 50
CONTACTS_PER_PAGE = 100


def _page(items, per_page: int, request: HttpRequest) -> dict:
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    pages = page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    return {"page": page, "page_range": pages}


@member_required()
def account_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    accounts = selectors.accounts_with_counts(workspace=request.workspace, q=q)
    context = {"q": q, **_page(accounts, ACCOUNTS_PER_PAGE, request)}
    wants_table = request.htmx and not request.htmx.history_restore_request
    template = "leads/_account_table.html" if wants_table else "leads/account_list.html"
    return render(request, template, context)


@member_required()
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    workspace = request.workspace
    account = selectors.get_account(workspace=workspace, account_id=account_id)
    contacts = selectors.account_contacts(workspace=workspace, account=account)
    context = {
        "account": account,
        "status_counts": selectors.account_status_counts(workspace=workspace, account=account),
        **_page(contacts, CONTACTS_PER_PAGE, request),
    }
    return render(request, "leads/account_detail.html", context)
