"""Companies: leads join the account of their business email domain, else of their company name."""

from __future__ import annotations

from django.db.models import F, Q

from leadfollow.models import Workspace
from leads.email_domains import business_domain
from leads.models import Account


def account_for(*, workspace: Workspace, company: str, email: str | None) -> Account | None:
    """The account a lead belongs to, created when its domain or name is new."""
    domain = business_domain(email)
    if domain:
        # One read: the domain's account, else a company of that name without a domain yet.
        match = Q(domain=domain)
        if company:
            match |= Q(name__iexact=company, domain__isnull=True)
        account = (
            Account.objects.filter(match, workspace=workspace)
            .order_by(F("domain").asc(nulls_last=True), "name", "pk")
            .first()
        )
        if account is not None and account.domain is None:
            account.domain = domain
            account.save(update_fields=["domain"])
        return account or Account.objects.create(
            workspace=workspace, name=company or domain, domain=domain
        )
    if company:
        account = Account.objects.filter(workspace=workspace, name__iexact=company).first()
        return account or Account.objects.create(workspace=workspace, name=company)
    return None
