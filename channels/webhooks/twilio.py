"""Twilio's requests: inbound texts, message and call status callbacks, and the voice routes
whose TwiML steers a call (`/webhooks/twilio/voice/<route>/`).

Inbound texts find their workspace by the number they were sent to; everything else by the
message token we put in the callback URL (`?m=<token>`). Either way the signature is checked with
that workspace's auth token before anything else is read. The dev outbox signs its simulated
requests with its own token, so its numbers and messages are verified the same way.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from django.http import QueryDict
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from channels.adapters.base import ProviderError
from channels.adapters.twilio import BRIDGE, DROP, TwilioVoice, bridge_twiml, drop_twiml
from channels.compliance import channel_settings
from channels.models import Channel, Message, PhoneNumber, Provider, ProviderAccount, WebhookEvent
from channels.services import events
from channels.services.suppression import is_suppressed
from channels.webhooks import Accepted, IncomingWebhook, WebhookRejected, processor, receiver
from leads.services.activities import log_activity

logger = logging.getLogger(__name__)

TWIML = "text/xml"
# Where each provider keeps the token Twilio-shaped requests are signed with.
AUTH_TOKEN_SECRET = {Provider.TWILIO: "auth_token", Provider.OUTBOX: "twilio_auth_token"}

# Twilio's default opt-out, opt-in and help keywords (the whole message, any case).
STOP_WORDS = {"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"}
STOP_WORDS |= {"REVOKE"}
START_WORDS = {"START", "YES", "UNSTOP", "OPTIN"}
HELP_WORDS = {"HELP", "INFO"}

# Why a text was not delivered, in plain words (Twilio's error dictionary).
DELIVERY_ERRORS = {
    "30003": "the lead's phone is unreachable (switched off or out of coverage)",
    "30004": "the message was blocked by the lead or their carrier",
    "30005": "the number is unknown or no longer in service",
    "30006": "the number is a landline or cannot receive texts",
    "30007": "the carrier filtered the message as spam",
    "30008": "the carrier could not deliver it and gave no reason",
    "30034": "the sending number is not registered for US texting (A2P 10DLC)",
    "21610": "the lead has unsubscribed from this number (replied STOP)",
}
UNSUBSCRIBED = "21610"
CALL_OUTCOME = {
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "failed",
    "canceled": "canceled",
}
FINAL_CALL_STATUSES = {"completed", *CALL_OUTCOME}


# --- Finding the workspace and checking the signature -----------------------------------------


def _form(incoming: IncomingWebhook) -> QueryDict:
    if incoming.form is None:
        raise WebhookRejected(400, "Expected a form post.")
    return incoming.form


def _verify(incoming: IncomingWebhook, workspace, provider: str) -> None:
    """Twilio signs the exact URL it called plus every posted field with the auth token."""
    account = ProviderAccount.objects.filter(workspace=workspace, provider=provider).first()
    token = account.secrets.get(AUTH_TOKEN_SECRET.get(provider, "")) if account else None
    signature = incoming.header("x-twilio-signature")
    if not token:
        raise WebhookRejected(403, "No Twilio auth token to verify this request with.")
    if not signature:
        raise WebhookRejected(403, "Missing signature.")
    algorithm = get_signature_algorithm(incoming.header("x-twilio-webhooks-signature-settings"))
    if not RequestValidator(token).validate(incoming.url, incoming.form, signature, algorithm):
        raise WebhookRejected(403, "Bad signature.")


def _message_for(incoming: IncomingWebhook) -> Message:
    """The message named by the callback URL's token (the receiver runs unscoped)."""
    token = parse_qs(urlsplit(incoming.url).query).get("m", [""])[0]
    if not token:
        raise WebhookRejected(400, "The callback URL names no message.")
    message = Message.objects.select_related("workspace", "lead").filter(token=token).first()
    if message is None or message.provider not in AUTH_TOKEN_SECRET:
        raise WebhookRejected(404, "Unknown message.")
    return message


def _message_of(event: WebhookEvent) -> Message:
    token = parse_qs(urlsplit(event.url).query)["m"][0]
    return Message.objects.select_related("lead").get(workspace=event.workspace, token=token)


def _required(form: QueryDict, *names: str) -> None:
    missing = [name for name in names if not form.get(name, "").strip()]
    if missing:
        raise WebhookRejected(400, f"Missing {', '.join(missing)}.")


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _note(message: Message, **values) -> None:
    message.details = {**message.details, **values}
    message.save(update_fields=["details"])


# --- Inbound texts ----------------------------------------------------------------------------


@receiver("twilio", "sms")
def receive_sms(incoming: IncomingWebhook) -> Accepted:
    form = _form(incoming)
    _required(form, "To")
    number = PhoneNumber.objects.select_related("workspace").filter(number=form["To"]).first()
    if number is None or number.provider not in AUTH_TOKEN_SECRET:
        raise WebhookRejected(404, "Unknown number.")
    _verify(incoming, number.workspace, number.provider)
    _required(form, "From", "MessageSid")
    return Accepted(
        workspace=number.workspace,
        kind="sms",
        dedupe_key=form["MessageSid"],
        inline=True,  # a STOP must stop follow-ups before Twilio hears back
        reply=_sms_answer,
    )


def _keyword(body: str) -> str:
    return " ".join(body.split()).upper()


def _sms_answer(event: WebhookEvent) -> tuple[str, str]:
    response = MessagingResponse()
    if _keyword(QueryDict(event.body).get("Body", "")) in HELP_WORDS:
        response.message(_help_text(event.workspace))
    return str(response), TWIML


def _help_text(workspace) -> str:
    return channel_settings(workspace).help_text or (
        f"{workspace.name}: texts about your inquiry. Msg & data rates may apply. "
        "Reply STOP to opt out."
    )


@processor("twilio", "sms")
def apply_sms(event: WebhookEvent) -> None:
    form = QueryDict(event.body)
    workspace, sender = event.workspace, form["From"]
    keyword = _keyword(form.get("Body", ""))
    # "Yes" is also an ordinary answer: it opts back in only a number that had opted out.
    opted_out = is_suppressed(workspace=workspace, channel=Channel.SMS, address=sender)
    if keyword in STOP_WORDS:
        events.opt_out(workspace=workspace, channel=Channel.SMS, address=sender, how="replied STOP")
    elif keyword in START_WORDS and (keyword != "YES" or opted_out):
        events.opt_in(
            workspace=workspace, channel=Channel.SMS, address=sender, how=f"replied {keyword}"
        )
    elif keyword not in HELP_WORDS:
        _record_reply(workspace, form)


def _record_reply(workspace, form: QueryDict) -> None:
    sender = form["From"]
    lead = events.lead_writing_in(workspace=workspace, channel=Channel.SMS, address=sender)
    if lead is None:
        return
    number = PhoneNumber.objects.filter(workspace=workspace, number=form["To"]).first()
    last_text = (
        Message.objects.filter(
            workspace=workspace,
            lead=lead,
            channel=Channel.SMS,
            direction=Message.Direction.OUTBOUND,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    media = [
        form[f"MediaUrl{n}"] for n in range(_int(form.get("NumMedia"))) if f"MediaUrl{n}" in form
    ]
    events.lead_replied(
        workspace=workspace,
        lead=lead,
        channel=Channel.SMS,
        text=form.get("Body", ""),
        provider=number.provider if number else Provider.TWILIO,
        from_address=sender,
        to_address=form["To"],
        provider_message_id=form["MessageSid"],
        in_reply_to=last_text,
        details={"media": media} if media else None,
    )


# --- Status callbacks (texts and calls) -------------------------------------------------------


@receiver("twilio", "status")
def receive_status(incoming: IncomingWebhook) -> Accepted:
    form = _form(incoming)
    message = _message_for(incoming)
    _verify(incoming, message.workspace, message.provider)
    sid = form.get("MessageSid") or form.get("CallSid")
    status = form.get("MessageStatus") or form.get("CallStatus")
    if not sid or not status:
        raise WebhookRejected(400, "Missing the SID or the status.")
    return Accepted(
        workspace=message.workspace,
        kind="status",
        dedupe_key=f"{sid}:{status}:{form.get('SequenceNumber', '')}",
        # The outbox page shows the row it just changed, so a simulated callback applies at once.
        inline=message.provider == Provider.OUTBOX,
    )


@processor("twilio", "status")
def apply_status(event: WebhookEvent) -> None:
    form = QueryDict(event.body)
    message = _message_of(event)
    if form.get("MessageStatus"):
        _text_status(message, form["MessageStatus"], form.get("ErrorCode", ""))
    elif form.get("CallStatus") in FINAL_CALL_STATUSES:
        _call_ended(message, form)
    # queued, sent, ringing, in-progress: the final callback says what matters


def _text_status(message: Message, status: str, error_code: str) -> None:
    if status == "delivered":
        events.record_status(message=message, status=Message.Status.DELIVERED)
    elif status in ("undelivered", "failed"):
        reason = DELIVERY_ERRORS.get(error_code, "Twilio gave no reason")
        error = reason[:1].upper() + reason[1:]
        error += f" (Twilio error {error_code})" if error_code else ""
        events.record_status(
            message=message, status=status, error=error, details={"error_code": error_code}
        )
        if error_code == UNSUBSCRIBED:
            events.opt_out(
                workspace=message.workspace,
                channel=Channel.SMS,
                address=message.to_address,
                how="unsubscribed at Twilio",
            )


def _call_ended(message: Message, form: QueryDict) -> None:
    status = form["CallStatus"]
    answered_by = form.get("AnsweredBy") or message.details.get("answered_by", "")
    duration = _int(form.get("CallDuration")) or None
    summary = ""
    if message.details.get("dial_status"):  # a bridged call: how the lead's leg went
        dialed = message.details["dial_status"]
        status = "completed" if dialed in ("completed", "answered") else dialed
        duration = message.details.get("dial_duration") or None
    if status == "completed" and answered_by.startswith("machine"):
        outcome = "voicemail"
        if message.details.get("mode") == DROP:
            summary = "Voicemail left"
    elif status == "completed":
        outcome = "answered"
    else:
        outcome = CALL_OUTCOME.get(status, "failed")
        if _rep_missed(message, outcome):
            summary = "Not connected: the rep's phone did not answer"
    events.record_call_outcome(
        message=message,
        outcome=outcome,
        duration_seconds=duration,
        answered_by=answered_by,
        recording_url=form.get("RecordingUrl", ""),
        summary=summary,
        details={"call_status": form["CallStatus"]},
    )


def _rep_missed(message: Message, outcome: str) -> bool:
    """A click-to-call rings the rep first: without their answer the lead was never dialled."""
    return (
        message.provider == Provider.TWILIO
        and message.details.get("mode") == BRIDGE
        and not message.details.get("rep_answered")
        and not message.details.get("dial_status")
        and outcome in ("no_answer", "busy")
    )


# --- Voice routes: TwiML that steers a call ---------------------------------------------------


def _voice(
    incoming: IncomingWebhook, route: str, *, inline: bool = True, reply=None, needs=()
) -> Accepted:
    form = _form(incoming)
    message = _message_for(incoming)
    if message.channel != Channel.CALL:
        raise WebhookRejected(404, "Unknown call.")
    _verify(incoming, message.workspace, message.provider)
    _required(form, "CallSid", *needs)

    def answer(event: WebhookEvent) -> tuple[str, str]:
        return reply(message, QueryDict(event.body)), TWIML

    return Accepted(
        workspace=message.workspace,
        kind=f"voice-{route}",
        dedupe_key=f"{form['CallSid']}:{route}:{form.get('AnsweredBy', '')}",
        inline=inline,
        reply=answer if reply is not None else None,
    )


def _dialed_url(message: Message) -> str:
    return TwilioVoice.public_url("channels:twilio-voice", "dialed") + f"?m={message.token}"


@receiver("twilio", "voice-bridge")
def receive_bridge(incoming: IncomingWebhook) -> Accepted:
    """The rep picked up: whisper, then dial the lead showing the workspace number."""
    return _voice(
        incoming,
        "bridge",
        reply=lambda message, form: bridge_twiml(message, dialed_url=_dialed_url(message)),
    )


@receiver("twilio", "voice-dialed")
def receive_dialed(incoming: IncomingWebhook) -> Accepted:
    """The lead's leg of a bridged call ended (the <Dial> action)."""
    return _voice(incoming, "dialed", reply=lambda message, form: str(VoiceResponse().hangup()))


@receiver("twilio", "voice-drop")
def receive_drop(incoming: IncomingWebhook) -> Accepted:
    """A voicemail-drop call connected; with asynchronous detection, before Twilio knows who."""
    return _voice(
        incoming,
        "drop",
        reply=lambda message, form: drop_twiml(
            message,
            answered_by=form.get("AnsweredBy", ""),
            settings=channel_settings(message.workspace),
        ),
    )


@receiver("twilio", "voice-amd")
def receive_amd(incoming: IncomingWebhook) -> Accepted:
    """Answering-machine detection decided: a machine after its beep, a person, or a fax."""
    return _voice(incoming, "amd", inline=False, needs=("AnsweredBy",))


@processor("twilio", "voice-bridge")
def apply_bridge(event: WebhookEvent) -> None:
    _note(_message_of(event), rep_answered=True)


@processor("twilio", "voice-dialed")
def apply_dialed(event: WebhookEvent) -> None:
    form = QueryDict(event.body)
    _note(
        _message_of(event),
        dial_status=form.get("DialCallStatus", ""),
        dial_duration=_int(form.get("DialCallDuration")),
    )


@processor("twilio", "voice-drop")
def apply_drop(event: WebhookEvent) -> None:
    answered_by = QueryDict(event.body).get("AnsweredBy", "")
    if answered_by:
        message = _message_of(event)
        _note(message, answered_by=answered_by)
        _tell_if_unconnected(message, answered_by)


def _tell_if_unconnected(message: Message, answered_by: str) -> None:
    """A person answered a voicemail drop that should connect them, but nobody was there to
    connect to: they hear the apology, and the lead's timeline says so, so the owner calls back."""
    missing = message.details.get("connect_missing")
    if not missing or not answered_by.startswith("human") or message.details.get("unconnected"):
        return
    _note(message, unconnected=True)
    log_activity(
        workspace=message.workspace,
        lead=message.lead,
        kind="call_not_connected",
        channel=Channel.CALL,
        direction="out",
        summary=f"A person answered the automated call but could not be put through: {missing}",
        payload={"message_id": message.pk, "reason": missing},
    )


@processor("twilio", "voice-amd")
def apply_amd(event: WebhookEvent) -> None:
    """Give the live call its instructions: the recording after the beep, or the person's."""
    form = QueryDict(event.body)
    message = _message_of(event)
    answered_by = form["AnsweredBy"]
    _note(
        message,
        answered_by=answered_by,
        machine_detection_ms=_int(form.get("MachineDetectionDuration")),
    )
    if message.provider != Provider.TWILIO or message.details.get("mode") != DROP:
        return  # only voicemail drops placed through Twilio wait for detection
    if message.details.get("outcome"):
        return  # the call is over
    _tell_if_unconnected(message, answered_by)
    settings = channel_settings(event.workspace)
    twiml = drop_twiml(message, answered_by=answered_by, settings=settings)
    account = ProviderAccount.objects.filter(
        workspace=event.workspace, provider=Provider.TWILIO
    ).first()
    try:
        voice = TwilioVoice(
            workspace=event.workspace, channel=Channel.CALL, settings=settings, account=account
        )
        voice.update_call(call_sid=form["CallSid"], twiml=twiml)
    except ProviderError as exc:
        # Retrying later is pointless: the person or the machine will have hung up by then.
        logger.warning("could not steer call message_id=%s code=%s", message.pk, exc.code)
        _note(message, amd_error=exc.message)
