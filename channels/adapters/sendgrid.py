"""Email through SendGrid (the sendgrid SDK, v3 mail send).

Every email carries what brings its echoes home: our own Message-ID (`<lf.<token>@domain>`) so a
reply's In-Reply-To names the conversation, a reply-to address with the same token, and custom
args (`lf_tenant`, `lf_message`, `lf_lead`) that SendGrid copies onto every event it reports.
"""

from __future__ import annotations

import json
import logging
from urllib.error import URLError

from django.conf import settings as django_settings
from django.utils.html import escape, linebreaks, strip_tags
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from channels.adapters.base import ChannelAdapter, NotConfigured, ProviderError, SendResult
from channels.models import Channel, Message, Provider
from channels.unsubscribe import unsubscribe_url

logger = logging.getLogger(__name__)

REFUSED = {
    401: "SendGrid refused the API key: check it under Settings → Channels.",
    403: "SendGrid refused to send for this account: the from address must be a verified sender "
    "and the API key needs the Mail Send permission.",
    413: "The email is too large for SendGrid.",
}


def message_id_domain(settings) -> str:
    """The domain of our Message-IDs: the reply domain, else the sender's own domain."""
    return settings.reply_domain or settings.from_email.rpartition("@")[2]


class SendGridEmail(ChannelAdapter):
    provider = Provider.SENDGRID
    required_secrets = ("api_key",)

    def sender_address(self, message: Message) -> str:
        return self.settings.from_email

    def send(self, message: Message) -> SendResult:
        body = self.mail_body(message)
        client = SendGridAPIClient(
            api_key=self.secrets["api_key"], host=django_settings.SENDGRID_API_HOST
        )
        try:
            # `send()` takes no timeout; the HTTP client under it does.
            response = client.client.mail.send.post(
                request_body=body, timeout=django_settings.PROVIDER_TIMEOUT_SECONDS
            )
        except HTTPError as exc:
            raise _refused(exc) from exc
        except TimeoutError as exc:
            raise _timed_out() from exc
        except URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _timed_out() from exc
            raise ProviderError(
                "Could not reach SendGrid. The email may have gone out, so it is not retried "
                "automatically: check SendGrid's activity feed before sending again.",
                code="unreachable",
            ) from exc
        provider_id = response.headers.get("X-Message-Id", "") if response.headers else ""
        return SendResult(
            provider_message_id=provider_id,
            details={"message_id": body["headers"]["Message-ID"], "from": self.settings.from_email},
        )

    def mail_body(self, message: Message) -> dict:
        """The v3 mail-send request for one message."""
        settings = self.settings
        if not settings.from_email:
            raise NotConfigured(
                "SendGrid needs a sender address: a manager can enter it under Settings → "
                "Channels.",
                code="no_sender",
            )
        text, html = _parts(message)
        domain = message_id_domain(settings)
        link = unsubscribe_url(message)
        headers = {
            "Message-ID": f"<lf.{message.token}@{domain}>",
            "List-Unsubscribe": f"<{link}>"
            + (f", <mailto:unsubscribe+{message.token}@{domain}>" if settings.reply_domain else ""),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            **_thread_headers(message),
        }
        recipient = {"email": message.to_address}
        if message.lead.full_name:
            recipient["name"] = message.lead.full_name
        sender = {"email": settings.from_email}
        if settings.from_name:
            sender["name"] = settings.from_name
        reply_to = (
            f"reply+{message.token}@{settings.reply_domain}"
            if settings.reply_domain
            else settings.from_email
        )
        return {
            "personalizations": [
                {
                    "to": [recipient],
                    # Custom args on the personalization: SendGrid copies them onto every event.
                    "custom_args": {
                        "lf_tenant": str(message.workspace_id),
                        "lf_message": str(message.pk),
                        "lf_lead": str(message.lead_id),
                    },
                }
            ],
            "from": sender,
            "reply_to": {"email": reply_to},
            "subject": message.subject,
            "content": [
                {"type": "text/plain", "value": _text_with_footer(text, link)},
                {"type": "text/html", "value": _html_with_footer(html, link)},
            ],
            "headers": headers,
            "tracking_settings": {
                "click_tracking": {"enable": True, "enable_text": False},
                "open_tracking": {"enable": True},
                # Our own signed page handles unsubscribing, not SendGrid's.
                "subscription_tracking": {"enable": False},
            },
        }


def _parts(message: Message) -> tuple[str, str]:
    text, html = message.body_text.strip(), message.body_html.strip()
    if not text and html:
        text = strip_tags(html).strip()
    if not text:
        raise ProviderError("The email has no text to send.", code="empty")
    if not message.subject.strip():
        raise ProviderError("The email has no subject.", code="no_subject")
    return text, html or linebreaks(escape(text))


def _text_with_footer(text: str, link: str) -> str:
    return f"{text}\n\n--\nTo stop getting these emails, unsubscribe here: {link}\n"


def _html_with_footer(html: str, link: str) -> str:
    # clicktracking="off" keeps SendGrid from rewriting the link through its click tracker.
    footer = (
        '<p style="margin-top:24px;font-size:12px;color:#6b7280">'
        "To stop getting these emails, "
        f'<a href="{escape(link)}" clicktracking="off">unsubscribe here</a>.</p>'
    )
    head, body_end, tail = html.rpartition("</body>")
    return f"{head}{footer}{body_end}{tail}" if body_end else html + footer


def _thread_headers(message: Message) -> dict:
    """In-Reply-To and References when answering an email whose Message-ID we know."""
    parent = message.in_reply_to
    if parent is None or parent.channel != Channel.EMAIL:
        return {}
    parent_id = parent.details.get("message_id", "")
    if not parent_id:
        return {}
    references = " ".join(filter(None, [parent.details.get("references", ""), parent_id]))
    return {"In-Reply-To": parent_id, "References": references[-900:].lstrip()}


def _timed_out() -> ProviderError:
    return ProviderError(
        "SendGrid did not answer in time. The email may have gone out, so it is not retried "
        "automatically: check SendGrid's activity feed before sending again.",
        code="timeout",
    )


def _refused(exc: HTTPError) -> ProviderError:
    """SendGrid's answer in plain words. It refused before accepting, so 429/5xx may retry."""
    status = int(exc.status_code)
    if status == 429:
        words, retryable = "SendGrid is limiting how fast we send; it will be tried again.", True
    elif status >= 500:
        words = f"SendGrid had a problem on its side (HTTP {status}); it will be tried again."
        retryable = True
    else:
        said = "" if status == 401 else _error_messages(exc.body)
        words = f"SendGrid refused the email: {said}" if said else None
        words = words or REFUSED.get(status) or f"SendGrid refused the email (HTTP {status})."
        retryable = False
    return ProviderError(words, retryable=retryable, code=f"http_{status}", status=status)


def _error_messages(body: bytes | str | None) -> str:
    """SendGrid's `errors[].message` (with the field it names), joined into one sentence."""
    try:
        errors = json.loads(body or b"{}").get("errors") or []
    except (ValueError, AttributeError):
        return ""
    said = []
    for error in errors[:5]:
        if not isinstance(error, dict) or not error.get("message"):
            continue
        text = str(error["message"]).strip().rstrip(".")
        if error.get("field"):
            text += f" (field {error['field']})"
        said.append(text)
    return "; ".join(said) + "." if said else ""
