"""Settings → Channels: providers, credentials, sender identity, numbers, compliance, a test."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from channels.channel_forms import (
    ChannelSettingsForm,
    PhoneNumberForm,
    ProviderAccountForm,
    TestSendForm,
)
from channels.compliance import channel_settings
from channels.models import PhoneNumber, Provider, ProviderAccount
from channels.providers import PROVIDER_FIELDS, PROVIDER_LABELS, PROVIDER_WEBHOOKS
from channels.services import providers as service
from channels.sms import count_segments
from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import manager_required


def _provider_forms(request: HttpRequest, bound: ProviderAccountForm | None = None) -> list:
    accounts = {
        account.provider: account
        for account in ProviderAccount.objects.filter(workspace=request.workspace)
    }
    cards = []
    for provider in PROVIDER_FIELDS:
        account = accounts.get(provider)
        if bound is not None and bound.provider == provider:
            form = bound
        else:
            form = ProviderAccountForm(
                provider,
                saved_secrets=account.secrets.keys() if account else (),
                options=account.options if account else {},
            )
        webhooks = [
            (label, _webhook_url(name, provider, account))
            for label, name in PROVIDER_WEBHOOKS.get(provider, ())
        ]
        cards.append(
            {
                "provider": provider,
                "label": PROVIDER_LABELS[provider],
                "form": form,
                "account": account,
                "missing": service.missing_fields(account) if account else None,
                "webhooks": webhooks,
            }
        )
    return cards


def _webhook_url(name: str, provider: str, account) -> str:
    url = settings.BASE_URL + (
        reverse(name, args=[provider]) if name == "channels:rvm" else reverse(name)
    )
    if name == "channels:sendgrid-inbound" and account is not None:
        url += f"?key={account.secrets.get('inbound_secret', '')}"
    return url


def _page(request: HttpRequest, *, status: int = 200, **forms) -> HttpResponse:
    workspace = request.workspace
    context = {
        "settings_form": forms.get("settings_form")
        or ChannelSettingsForm(instance=channel_settings(workspace)),
        "providers": _provider_forms(request, forms.get("provider_form")),
        "numbers": PhoneNumber.objects.filter(workspace=workspace),
        "number_form": forms.get("number_form") or PhoneNumberForm(),
        "test_form": forms.get("test_form") or TestSendForm(),
        "test_result": forms.get("test_result"),
        "ready": service.configured_providers(workspace),
    }
    return render(request, "channels/settings.html", context, status=status)


@manager_required
def channel_settings_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = ChannelSettingsForm(request.POST, instance=channel_settings(request.workspace))
    if form.is_valid():
        try:
            service.update_channel_settings(
                workspace=request.workspace, changes=form.cleaned_data, actor=request.membership
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Channel settings saved.")
            return redirect("channels:settings")
    return _page(request, settings_form=form, status=400)


@manager_required
@require_POST
def provider_account(request: HttpRequest, provider: str) -> HttpResponse:
    if provider not in PROVIDER_FIELDS:
        raise Http404("No such provider.")
    account = ProviderAccount.objects.filter(workspace=request.workspace, provider=provider).first()
    form = ProviderAccountForm(
        provider,
        request.POST,
        saved_secrets=account.secrets.keys() if account else (),
        options=account.options if account else {},
    )
    if form.is_valid():
        try:
            service.save_provider_account(
                workspace=request.workspace,
                provider=provider,
                values=form.cleaned_data,
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{PROVIDER_LABELS[provider]} settings saved.")
            return redirect(reverse("channels:settings") + f"#provider-{provider}")
    return _page(request, provider_form=form, status=400)


@manager_required
@require_POST
def number_add(request: HttpRequest) -> HttpResponse:
    form = PhoneNumberForm(request.POST)
    if form.is_valid():
        try:
            phone = service.add_phone_number(
                workspace=request.workspace,
                number=form.cleaned_data["number"],
                label=form.cleaned_data["label"],
                provider=Provider.TWILIO,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{phone.number} added.")
            return redirect("channels:settings")
    return _page(request, number_form=form, status=400)


@manager_required
@require_POST
def number_default(request: HttpRequest, number_id: int) -> HttpResponse:
    phone = service.set_default_number(workspace=request.workspace, number_id=number_id)
    messages.success(request, f"{phone.number} is now the number leads see.")
    return redirect("channels:settings")


@manager_required
@require_POST
def number_remove(request: HttpRequest, number_id: int) -> HttpResponse:
    service.remove_phone_number(workspace=request.workspace, number_id=number_id)
    messages.success(request, "Number removed. Texts and calls to it no longer reach LeadFollow.")
    return redirect("channels:settings")


@manager_required
@require_POST
def test_send(request: HttpRequest) -> HttpResponse:
    form = TestSendForm(request.POST)
    result = None
    if form.is_valid():
        try:
            result = service.send_test(workspace=request.workspace, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
    if request.htmx:
        return render(
            request,
            "channels/_test_send.html",
            {"test_form": form, "test_result": result},
            status=200 if form.is_valid() else 400,
        )
    return _page(request, test_form=form, test_result=result, status=200 if result else 400)


@manager_required
def sms_segments(request: HttpRequest) -> HttpResponse:
    """What a text will cost, recounted as the author types (htmx)."""
    count = count_segments(request.GET.get("text", ""))
    return render(request, "channels/_sms_segments.html", {"count": count})
