"""The public webhook endpoints. Thin: each turns the request into an IncomingWebhook and hands
it to `channels.webhooks.receive`, the code the dev outbox's simulations run through too."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels.webhooks import IncomingWebhook, receive


def incoming_from(request: HttpRequest) -> IncomingWebhook:
    """The URL is rebuilt from BASE_URL: it is the address we gave the provider, which signs it."""
    content_type = request.content_type or ""
    form = None
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = request.POST.copy()
        for name, files in request.FILES.lists():
            form.setlist(name, [upload.name for upload in files])
    body = request.body if content_type != "multipart/form-data" else _multipart_text(form)
    return IncomingWebhook(
        url=settings.BASE_URL + request.get_full_path(),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        content_type=content_type,
        form=form,
    )


def _multipart_text(form: QueryDict | None) -> bytes:
    # A multipart body's raw bytes are consumed by the parser; keep the fields (no files).
    return (form.urlencode() if form is not None else "").encode()


def _answer(provider: str, route: str, request: HttpRequest) -> HttpResponse:
    answer = receive(provider, route, incoming_from(request))
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@csrf_exempt
@require_POST
def twilio_sms(request: HttpRequest) -> HttpResponse:
    return _answer("twilio", "sms", request)


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    return _answer("twilio", "status", request)


@csrf_exempt
@require_POST
def twilio_voice(request: HttpRequest, route: str) -> HttpResponse:
    return _answer("twilio", f"voice-{route}", request)


@csrf_exempt
@require_POST
def sendgrid_events(request: HttpRequest) -> HttpResponse:
    return _answer("sendgrid", "events", request)


@csrf_exempt
@require_POST
def sendgrid_inbound(request: HttpRequest) -> HttpResponse:
    return _answer("sendgrid", "inbound", request)


@csrf_exempt
@require_POST
def rvm(request: HttpRequest, provider: str) -> HttpResponse:
    return _answer(provider, "rvm", request)
