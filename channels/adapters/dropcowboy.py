"""Ringless voicemail through Drop Cowboy's current API: one drop per request.

Drop Cowboy answers 202 as soon as a drop is queued (even for a number that cannot take it); the
real result arrives later by signed webhook (`channels.webhooks.dropcowboy`). Every request
carries an `Idempotency-Key` derived from the message's token, so sending the same message again
after a timeout or a 5xx cannot leave two voicemails: those failures are safe to retry.
"""

from __future__ import annotations

import logging
import uuid

import requests
from django.conf import settings as django_settings

from channels.adapters.base import ChannelAdapter, ProviderError, SendResult
from channels.models import Message, Provider

logger = logging.getLogger(__name__)

# Drop Cowboy reads at most this many characters of text to speech.
TTS_MAX_CHARS = 1200
# Fixed namespace: the same message token always gives the same idempotency key.
IDEMPOTENCY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://leadfollow.app/dropcowboy/rvm")

# Drop Cowboy's numeric reason codes, in plain words. Branch on the number, never the text.
REASONS = {
    3000: "The Drop Cowboy account has no funds left: top it up before sending again.",
    3001: "Drop Cowboy cannot use the recording: upload it again or choose another one.",
    3007: "Drop Cowboy refused the API key or secret: check them under Settings → Channels.",
    4001: "The lead's phone has no voicemail box set up, so the voicemail cannot be left.",
    4002: "The lead's voicemail box is full, so the voicemail cannot be left.",
    4010: (
        "Drop Cowboy has no usable phone line to send from: check the phone line id under "
        "Settings → Channels."
    ),
    6011: "The provider has no consent on file for this lead's number.",
}
STATUS_WORDS = {
    401: REASONS[3007],
    403: REASONS[3007],
    402: REASONS[3000],
    404: (
        "Drop Cowboy did not find the phone line, recording or brand: check them under "
        "Settings → Channels."
    ),
}


def idempotency_key(message: Message) -> str:
    """A UUID that stays the same for every attempt to send this message."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, message.token))


class DropCowboyVoicemail(ChannelAdapter):
    provider = Provider.DROPCOWBOY
    # Without the webhook secret no result could ever be trusted, so a drop is not sent.
    required_secrets = ("api_key", "api_secret", "webhook_secret")
    required_options = ("phone_line_id",)

    def send(self, message: Message) -> SendResult:
        key = idempotency_key(message)
        body = self._body(message)
        url = django_settings.DROPCOWBOY_API_BASE_URL.rstrip("/") + "/rvm"
        headers = {
            "x-key": self.secrets["api_key"],
            "x-secret": self.secrets["api_secret"],
            "Idempotency-Key": key,
            "Accept": "application/json",
        }
        try:
            response = requests.post(
                url,
                json=body,
                headers=headers,
                timeout=django_settings.PROVIDER_TIMEOUT_SECONDS,
            )
        except requests.Timeout as exc:
            raise ProviderError(
                "Drop Cowboy did not answer in time; the drop will be tried again (it cannot "
                "be left twice).",
                retryable=True,
                code="timeout",
            ) from exc
        except requests.RequestException as exc:
            raise ProviderError(
                "Could not reach Drop Cowboy; the drop will be tried again.",
                retryable=True,
                code="unreachable",
            ) from exc
        if not response.ok:
            raise _refused(response)
        drop_id = _answer(response).get("message_id")
        if not drop_id:
            # Queued or not, sending again with the same key returns the same drop.
            raise ProviderError(
                "Drop Cowboy's answer had no drop id; the drop will be tried again.",
                retryable=True,
                code="bad_answer",
                status=response.status_code,
            )
        return SendResult(
            provider_message_id=str(drop_id)[:120],
            details={"idempotency_key": key, "audio": "media" if "media_id" in body else "tts"},
        )

    def _body(self, message: Message) -> dict:
        to = message.to_address
        if not to.startswith("+"):
            raise ProviderError(
                "The lead's phone number is not in international form (+country code).",
                code="bad_number",
            )
        body = {
            "to": to,
            "phone_line_id": self.options["phone_line_id"],
            "foreign_id": message.token,
            "callback_url": self.public_url("channels:rvm", self.provider) + f"?m={message.token}",
        }
        media_id = message.details.get("media_id") or self.options.get("media_id")
        voice_id = message.details.get("voice_id") or self.options.get("voice_id")
        text = message.body_text.strip()
        if media_id:
            body["media_id"] = media_id
        elif voice_id and text:
            if len(text) > TTS_MAX_CHARS:
                raise ProviderError(
                    f"The voicemail text is {len(text)} characters long; Drop Cowboy reads at "
                    f"most {TTS_MAX_CHARS:,}. Shorten it or choose a recording.",
                    code="tts_too_long",
                )
            body["voice_id"], body["tts_body"] = voice_id, text
        else:
            raise ProviderError(
                "The voicemail has no recording: choose one for the step, or set a default "
                "recording id under Settings → Channels.",
                code="no_audio",
            )
        if self.options.get("brand_id"):
            body["brand_id"] = self.options["brand_id"]
        return body


def _answer(response: requests.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _refused(response: requests.Response) -> ProviderError:
    status = response.status_code
    answer = _answer(response)
    try:
        reason_code = int(answer.get("reason_code"))
    except (TypeError, ValueError):
        reason_code = None
    logger.info("dropcowboy refused status=%s reason_code=%s", status, reason_code)
    if status == 429:
        words, retryable = "Drop Cowboy is limiting how fast we send; it will be tried again.", True
    elif status >= 500:
        words = f"Drop Cowboy had a problem on its side (HTTP {status}); it will be tried again."
        retryable = True
    elif status == 409:
        # The same idempotency key is still being worked on: asking again later is safe.
        words, retryable = (
            "Drop Cowboy is still working on this drop; it will be asked again.",
            True,
        )
    else:
        said = str(answer.get("message") or answer.get("error") or answer.get("reason") or "")
        words = REASONS.get(reason_code) or STATUS_WORDS.get(status)
        if words is None:
            words = f"Drop Cowboy refused the voicemail: {said.rstrip('.') or 'no reason given'}."
        retryable = False
    return ProviderError(words, retryable=retryable, code=str(reason_code or status), status=status)
