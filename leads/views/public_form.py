"""The public web form: a hosted page anyone may open, and an endpoint any website may post to.

These are the only pages other sites may put in a frame; the rest of the app stays frame-denied.
Nothing here needs a login: the unguessable address picks the workspace and the source.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from leadfollow.errors import NotFound
from leadfollow.tenancy import workspace_scope
from leads.lead_forms import show_service_errors
from leads.models import Channel, LeadSource
from leads.normalize import InvalidLead
from leads.services import ConsentInput, intake_lead
from leads.services.sources import get_form_source
from leads.source_forms import HONEYPOT, PublicLeadForm, read_submission

logger = logging.getLogger(__name__)

UNAVAILABLE = "This form is not available."
TOO_MANY = "You have sent this form several times in a short while. Please try again later."
DEFAULT_THANKS = "Thank you! We received your message and will be in touch soon."


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _embeddable(response: HttpResponse, *, redirect_url: str = "") -> HttpResponse:
    """Let any site frame this response; allow the form's redirect target as a form action."""
    response.xframe_options_exempt = True  # what @xframe_options_exempt sets
    policy = {"frame-ancestors": ["*"]}
    if redirect_url:
        # Browsers check a form's redirect against form-action too.
        parts = urlsplit(redirect_url)
        policy["form-action"] = ["'self'", f"{parts.scheme}://{parts.netloc}"]
    response._csp_replace = policy  # what @csp_replace sets; this policy depends on the source
    return response


def _page(
    request: HttpRequest, template: str, context: dict, *, status: int = 200, redirect_url=""
) -> HttpResponse:
    response = render(request, f"leads/public/{template}", context, status=status)
    return _embeddable(response, redirect_url=redirect_url)


def _unavailable(request: HttpRequest) -> HttpResponse:
    """The same answer for an unknown, switched-off or non-form address: nothing to learn."""
    if _wants_json(request):
        return _embeddable(JsonResponse({"detail": UNAVAILABLE}, status=404))
    return _page(request, "unavailable.html", {}, status=404)


def _form_page(
    request: HttpRequest, source: LeadSource, form: PublicLeadForm, status: int = 200
) -> HttpResponse:
    if status == 400 and _wants_json(request):
        errors = {
            "non_field_errors" if name == "__all__" else name: list(messages)
            for name, messages in form.errors.items()
        }
        return _embeddable(JsonResponse(errors, status=400))
    context = {
        "source": source,
        "brand": source.workspace.name,
        "form": form,
        "honeypot": HONEYPOT,
        "action": reverse("leads:public-form-submit", args=[source.form_token]),
    }
    return _page(request, "form.html", context, status=status, redirect_url=source.redirect_url)


@require_safe
def public_form(request: HttpRequest, token: str) -> HttpResponse:
    try:
        source = get_form_source(token=token)
    except NotFound:
        return _unavailable(request)
    return _form_page(request, source, PublicLeadForm(source=source))


@csrf_exempt  # posted from other websites, which cannot know our CSRF token
@require_POST
def public_form_submit(request: HttpRequest, token: str) -> HttpResponse:
    try:
        source = get_form_source(token=token)
    except NotFound:
        return _unavailable(request)
    if _over_rate_limit(source, client_ip(request)):
        return _too_many(request, source)
    submission = read_submission(_posted(request))
    if submission.is_spam:
        logger.info("form honeypot filled source=%s", source.pk)
        return _success(request, source)
    form = PublicLeadForm(submission.fields, source=source, extras=submission.extras)
    if form.is_valid():
        with workspace_scope(source.workspace):
            try:
                intake_lead(
                    workspace=source.workspace,
                    fields=form.lead_fields(),
                    source=source,
                    consent=_consent(request, form),
                    via="form",
                )
            except InvalidLead as exc:
                show_service_errors(form, exc)
            else:
                return _success(request, source)
    return _form_page(request, source, form, status=400)


def _posted(request: HttpRequest) -> QueryDict | dict:
    """The posted fields: a form body, or a flat JSON object from a script."""
    if request.content_type != "application/json":
        return request.POST
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(body, dict):
        return {}
    return {key: value for key, value in body.items() if isinstance(value, str | int | float)}


def _success(request: HttpRequest, source: LeadSource) -> HttpResponse:
    """Thanks, or the source's own page. A spam post gets exactly this too."""
    message = source.thank_you_message or DEFAULT_THANKS
    if _wants_json(request):
        body = {"status": "received", "message": message, "redirect_url": source.redirect_url}
        return _embeddable(JsonResponse(body))
    if source.redirect_url:
        return HttpResponseRedirect(source.redirect_url, status=303)
    context = {"brand": source.workspace.name, "message": message}
    return _page(request, "thank_you.html", context)


def _too_many(request: HttpRequest, source: LeadSource) -> HttpResponse:
    if _wants_json(request):
        response = JsonResponse({"detail": TOO_MANY}, status=429)
    else:
        context = {"brand": source.workspace.name, "message": TOO_MANY}
        response = render(request, "leads/public/too_many.html", context, status=429)
    response["Retry-After"] = str(settings.FORM_RATE_WINDOW_SECONDS)
    return _embeddable(response)


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address. X-Forwarded-For counts only through proxies we were told to trust."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        # Each trusted proxy appends the address it saw; anything further left is hearsay.
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _over_rate_limit(source: LeadSource, ip: str | None) -> bool:
    """Count this post against the visitor's allowance for this form, in a fixed window."""
    key = f"form-rate:{source.pk}:{ip or 'unknown'}"
    window = settings.FORM_RATE_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window closed between add() and incr()
        cache.set(key, 1, timeout=window)
        count = 1
    return count > settings.FORM_RATE_LIMIT


def _consent(request: HttpRequest, form: PublicLeadForm) -> ConsentInput | None:
    """The consent the visitor gave by ticking the box, in the exact words they were shown."""
    if not form.has_consent:
        return None
    referer = request.headers.get("Referer", "")
    page = referer if urlsplit(referer).scheme in ("http", "https") else ""
    # The wording agrees to the source's channels; record those the visitor can be reached on.
    reachable = {Channel.EMAIL} if form.cleaned_data["email"] else set()
    if form.cleaned_data["phone"]:
        reachable |= {Channel.SMS, Channel.CALL, Channel.VOICEMAIL}
    channels = [c for c in form.source.consent_channels if c in reachable]
    if not channels:
        return None
    return ConsentInput(
        channel=channels[0],
        also=tuple(channels[1:]),
        text=form.source.consent_text,
        source_url=page
        or request.build_absolute_uri(reverse("leads:public-form", args=[form.source.form_token])),
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
