"""Texts and calls through Twilio (the twilio SDK), and the TwiML our voice routes answer with.

Every request names a status callback carrying the message's token (`?m=<token>`), so Twilio's
callbacks find their message, and through it their workspace, without trusting anything else.
"""

from __future__ import annotations

import logging
import re

import requests
from django.conf import settings as django_settings
from django.core.exceptions import ObjectDoesNotExist
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from channels.adapters.base import ChannelAdapter, ProviderError, SendResult
from channels.models import Channel, ChannelSettings, Message, PhoneNumber, Provider
from channels.services import events
from leads.phones import PhoneInvalid, parse_phone

logger = logging.getLogger(__name__)

CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
BRIDGE, DROP, TEST = "bridge", "drop", "test"  # TEST: a manager's "send a test" from settings

# Twilio error codes a rep may meet when sending, in plain words.
SEND_ERRORS = {
    20003: "Twilio refused the account SID or auth token: check them under Settings → Channels.",
    20404: "Twilio could not find the account: check the account SID.",
    21211: "The lead's phone number is not a valid number.",
    21214: "The lead's phone number cannot be reached.",
    21217: "The phone number to call is not valid.",
    21219: "A trial Twilio account can only reach verified numbers.",
    21408: "The Twilio account may not send to this country.",
    21606: "The workspace's number cannot send texts.",
    21608: "A trial Twilio account can only text verified numbers.",
    21610: "The lead replied STOP to this number earlier and has unsubscribed.",
    21612: "Twilio cannot route a text from this number to the lead's number.",
    21614: "The lead's number is not a mobile number and cannot receive texts.",
    21660: "The workspace's number does not belong to this Twilio account.",
}
UNSUBSCRIBED = 21610
SDK_PREFIX = re.compile(r"^Unable to \w+ record: ")  # the SDK's words, not Twilio's


class _TwilioAdapter(ChannelAdapter):
    provider = Provider.TWILIO
    required_secrets = ("auth_token",)
    required_options = ("account_sid",)
    noun = "message"

    def client(self) -> Client:
        http = TwilioHttpClient(timeout=django_settings.PROVIDER_TIMEOUT_SECONDS)
        client = Client(self.options["account_sid"], self.secrets["auth_token"], http_client=http)
        # The SDK rewrites the host from TWILIO_REGION / TWILIO_EDGE in the environment; the
        # host is ours to choose (a staging mock, the tests' local server).
        client.region = client.edge = None
        client.api.base_url = django_settings.TWILIO_API_BASE_URL.rstrip("/")
        return client

    def sender_address(self, message: Message) -> str:
        number = self._number()
        return number.number if number else ""

    def _number(self) -> PhoneNumber | None:
        numbers = PhoneNumber.objects.filter(workspace=self.workspace, provider=Provider.TWILIO)
        return numbers.order_by("-is_default", "number").first()

    def _from(self, message: Message) -> str:
        sender = message.from_address or self.sender_address(message)
        if not sender:
            raise ProviderError(
                "The workspace has no Twilio number to send from: a manager can add one under "
                "Settings → Channels.",
                code="no_number",
            )
        return sender

    def callback(self, route: str, message: Message) -> str | None:
        if message.pk is None:  # a settings test: no stored message to report back to
            return None
        if route == "status":
            return self.public_url("channels:twilio-status") + f"?m={message.token}"
        return self.public_url("channels:twilio-voice", route) + f"?m={message.token}"

    def _call_api(self, request):
        """Run one SDK request; turn every failure into a ProviderError in plain words."""
        try:
            return request()
        except TwilioRestException as exc:
            raise _refused(exc, self.noun) from exc
        except requests.Timeout as exc:
            raise ProviderError(
                f"Twilio did not answer in time. The {self.noun} may have gone out, so it is not "
                "retried automatically: check Twilio's log before trying again.",
                code="timeout",
            ) from exc
        except requests.RequestException as exc:
            raise ProviderError(
                f"Could not reach Twilio. The {self.noun} may have gone out, so it is not retried "
                "automatically.",
                code="unreachable",
            ) from exc
        except (TwilioException, ValueError) as exc:
            raise ProviderError(
                f"Twilio's answer could not be read; check Twilio's log before resending the "
                f"{self.noun}.",
                code="bad_answer",
            ) from exc


def _refused(exc: TwilioRestException, noun: str) -> ProviderError:
    status, code = exc.status, exc.code
    if status == 429:
        words = "Twilio is limiting how fast we send; it will be tried again shortly."
    elif status >= 500:
        words = f"Twilio had a problem on its side (HTTP {status}); it will be tried again."
    else:
        said = SDK_PREFIX.sub("", exc.msg or "") or "no reason given"
        plain = SEND_ERRORS.get(code) or said.rstrip(".") + "."
        words = f"Twilio refused the {noun}: {plain}"
    if code:
        words += f" (Twilio error {code})"
    return ProviderError(
        words, retryable=status == 429 or status >= 500, code=str(code or status), status=status
    )


class TwilioSms(_TwilioAdapter):
    noun = "text"

    def send(self, message: Message) -> SendResult:
        sender = self._from(message)
        try:
            sent = self._call_api(
                lambda: self.client().messages.create(
                    to=message.to_address,
                    from_=sender,
                    body=message.body_text,
                    status_callback=self.callback("status", message),
                )
            )
        except ProviderError as exc:
            if exc.code == str(UNSUBSCRIBED):
                self._opt_out(message)
            raise
        return SendResult(
            provider_message_id=sent.sid,
            details={"twilio_status": sent.status, "from": sender},
        )

    def _opt_out(self, message: Message) -> None:
        # Twilio keeps its own STOP list; when it refuses for that reason we honour it too.
        events.opt_out(
            workspace=self.workspace,
            channel=Channel.SMS,
            address=message.to_address,
            how="unsubscribed at Twilio",
        )


class TwilioVoice(_TwilioAdapter):
    """Calls by `message.details["mode"]`: a rep's click-to-call ("bridge": ring the rep's
    phone, then dial the lead), an automated voicemail drop ("drop"), or a settings test call
    that says its text ("test")."""

    noun = "call"

    def send(self, message: Message) -> SendResult:
        mode = _mode(message)
        sender = self._from(message)
        common = {
            "from_": sender,
            "status_callback": self.callback("status", message),
            "status_callback_event": CALL_EVENTS,
            "status_callback_method": "POST",
        }
        if mode == TEST:
            response = VoiceResponse()
            response.say(message.body_text or f"This is a test call from {self.workspace.name}.")
            response.hangup()
            create = {"to": message.to_address, "from_": sender, "twiml": str(response)}
        elif mode == BRIDGE:
            rep_phone = message.details.get("rep_phone")
            if not rep_phone:
                raise ProviderError("The rep's phone number is missing.", code="no_rep_phone")
            create = {"to": rep_phone, "url": self.callback("bridge", message), **common}
        else:
            if not (message.details.get("audio_url") or message.body_text.strip()):
                raise ProviderError(
                    "The voicemail drop has no recording or text to play.", code="no_audio"
                )
            create = {
                "to": message.to_address,
                "url": self.callback("drop", message),
                "machine_detection": "DetectMessageEnd",
                "async_amd": "true",
                "async_amd_status_callback": self.callback("amd", message),
                "async_amd_status_callback_method": "POST",
                **common,
            }
        details = {"mode": mode, "from": sender}
        if mode == DROP and self.settings.human_answers == ChannelSettings.HumanAnswers.CONNECT:
            details.update(self._connection(message))
        call = self._call_api(lambda: self.client().calls.create(**create))
        return SendResult(
            provider_message_id=call.sid, details={**details, "twilio_status": call.status}
        )

    def _connection(self, message: Message) -> dict:
        """Whom a person who answers a voicemail drop is put through to: the lead's owner, on
        the mobile number in their alert settings. Without one, `connect_missing` says why, and
        the person hears the apology instead (the timeline notes it when someone answers)."""
        if message.details.get("connect_to"):
            return {}
        owner = message.lead.owner
        if owner is None or not owner.is_active:
            return {"connect_missing": "the lead has no owner"}
        try:
            phone = owner.availability.mobile_phone
        except ObjectDoesNotExist:
            phone = ""
        try:
            parsed = parse_phone(phone, default_region=self.workspace.default_region)
        except PhoneInvalid:
            return {"connect_missing": "the lead's owner has no mobile number in their settings"}
        return {"connect_to": parsed.e164}

    def update_call(self, *, call_sid: str, twiml: str) -> None:
        """Give a live call new instructions (after answering-machine detection decided)."""
        self._call_api(lambda: self.client().calls(call_sid).update(twiml=twiml))


def _mode(message: Message) -> str:
    mode = message.details.get("mode") or (BRIDGE if message.details.get("rep_phone") else DROP)
    if mode not in (BRIDGE, DROP, TEST):
        raise ProviderError(f"Unknown kind of call “{mode}”.", code="bad_mode")
    return mode


# --- TwiML ------------------------------------------------------------------------------------


def bridge_twiml(message: Message, *, dialed_url: str) -> str:
    """The rep answered their phone: a short whisper, then dial the lead from our number."""
    response = VoiceResponse()
    response.say(f"Calling {message.lead.display_name} now.")
    dial = response.dial(caller_id=message.from_address, action=dialed_url, method="POST")
    dial.number(message.to_address)
    return str(response)


def drop_twiml(message: Message, *, answered_by: str, settings: ChannelSettings) -> str:
    """What a voicemail-drop call does once we know who (or what) answered.

    With asynchronous detection Twilio asks before it knows: hold the line quietly until the
    detection result arrives and the call is given new instructions.
    """
    response = VoiceResponse()
    if not answered_by:
        response.pause(length=60)
        response.hangup()
    elif answered_by.startswith("machine"):
        _play_recording(response, message)
    elif answered_by == "fax":
        response.hangup()
    else:  # human, or unknown: most often a person who said nothing
        _human_answered(response, message, settings)
    return str(response)


def _play_recording(response: VoiceResponse, message: Message) -> None:
    audio_url = message.details.get("audio_url")
    if audio_url:
        response.play(audio_url)
    else:
        response.say(message.body_text)
    response.hangup()


def _human_answered(response: VoiceResponse, message: Message, settings: ChannelSettings) -> None:
    connect_to = message.details.get("connect_to")
    name = message.workspace.name
    if settings.human_answers == ChannelSettings.HumanAnswers.CONNECT and connect_to:
        response.say(f"Hello, this is {name}. Please hold while we connect you.")
        response.dial(caller_id=message.from_address).number(connect_to)
        return
    response.say(f"Hello, this is {name}. Sorry, we will try you again at a better time. Goodbye.")
    response.hangup()
