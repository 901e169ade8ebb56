import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from channels.compliance import channel_settings
from channels.models import PhoneNumber, ProviderAccount
from leadfollow.tenancy import unscoped, workspace_scope

pytestmark = pytest.mark.django_db

SETTINGS_URL = reverse("channels:settings")
VALID = {
    "email_provider": "outbox",
    "sms_provider": "outbox",
    "call_provider": "outbox",
    "voicemail_provider": "outbox",
    "from_name": "Acme Roofing",
    "from_email": "sales@acme.example",
    "reply_domain": "",
    "help_text": "",
    "quiet_hours_start": "08:00",
    "quiet_hours_end": "21:00",
    "consent_required_sms": "on",
    "consent_required_call": "on",
    "consent_required_voicemail": "on",
    "human_answers": "hang_up",
}


def _settings(workspace):
    with workspace_scope(workspace):
        return channel_settings(workspace)


def _account(workspace, provider):
    with workspace_scope(workspace):
        return ProviderAccount.objects.get(provider=provider)


def test_manager_sees_every_provider_and_the_outbox_default(manager_client):
    page = manager_client.get(SETTINGS_URL).content.decode()
    assert "dev outbox" in page
    for name in ("SendGrid", "Twilio", "Drop Cowboy"):
        assert name in page


def test_rep_cannot_open_channel_settings(rep_client):
    assert rep_client.get(SETTINGS_URL).status_code == 403


def test_manager_saves_sender_and_quiet_hours(manager_client, workspace):
    response = manager_client.post(SETTINGS_URL, {**VALID, "quiet_hours_start": "09:30"})
    assert response.status_code == 302
    saved = _settings(workspace)
    assert (saved.from_email, saved.quiet_hours_start.hour) == ("sales@acme.example", 9)


def test_window_that_ends_before_it_starts_is_refused(manager_client, workspace):
    response = manager_client.post(SETTINGS_URL, {**VALID, "quiet_hours_end": "07:00"})
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()


def test_choosing_a_provider_without_credentials_is_refused(manager_client, workspace):
    response = manager_client.post(SETTINGS_URL, {**VALID, "sms_provider": "twilio"})
    assert response.status_code == 400
    assert "Enter Twilio" in response.content.decode()
    assert _settings(workspace).sms_provider == "outbox"


def test_a_provider_cannot_serve_a_channel_it_does_not_offer(manager_client, workspace):
    response = manager_client.post(SETTINGS_URL, {**VALID, "email_provider": "twilio"})
    assert response.status_code == 400


def test_credentials_are_saved_encrypted_and_never_shown_back(manager_client, workspace):
    url = reverse("channels:provider-account", args=["twilio"])
    manager_client.post(url, {"twilio-account_sid": "AC123", "twilio-auth_token": "tok-secret"})
    account = _account(workspace, "twilio")
    page = manager_client.get(SETTINGS_URL).content.decode()
    assert account.secrets == {"auth_token": "tok-secret"}
    assert "tok-secret" not in account.secrets_encrypted
    assert "tok-secret" not in page
    assert "Saved. Leave blank to keep it." in page


def test_blank_secret_keeps_the_saved_one(manager_client, workspace):
    url = reverse("channels:provider-account", args=["twilio"])
    manager_client.post(url, {"twilio-account_sid": "AC123", "twilio-auth_token": "tok-secret"})
    manager_client.post(url, {"twilio-account_sid": "AC999", "twilio-auth_token": ""})
    account = _account(workspace, "twilio")
    assert (account.options["account_sid"], account.secrets["auth_token"]) == (
        "AC999",
        "tok-secret",
    )


def test_a_wrong_account_sid_is_named(manager_client):
    url = reverse("channels:provider-account", args=["twilio"])
    response = manager_client.post(url, {"twilio-account_sid": "XY1", "twilio-auth_token": "t"})
    assert response.status_code == 400
    assert "starts with AC" in response.content.decode()


def test_sendgrid_gets_an_inbound_secret_for_its_parse_url(manager_client, workspace):
    url = reverse("channels:provider-account", args=["sendgrid"])
    manager_client.post(url, {"sendgrid-api_key": "SG.key"})
    secret = _account(workspace, "sendgrid").secrets["inbound_secret"]
    assert (
        f"/webhooks/sendgrid/inbound/?key={secret}"
        in manager_client.get(SETTINGS_URL).content.decode()
    )


def test_unknown_provider_is_a_404(manager_client):
    url = reverse("channels:provider-account", args=["nope"])
    assert manager_client.post(url, {}).status_code == 404


def test_first_number_becomes_the_default(manager_client, workspace):
    manager_client.post(reverse("channels:number-add"), {"number": "(415) 555-0100", "label": ""})
    with workspace_scope(workspace):
        number = PhoneNumber.objects.get()
    assert (number.number, number.is_default) == ("+14155550100", True)


def test_a_number_of_another_workspace_cannot_be_taken(manager_client, other_workspace):
    with workspace_scope(other_workspace):
        PhoneNumber.objects.create(workspace=other_workspace, number="+14155550100")
    response = manager_client.post(reverse("channels:number-add"), {"number": "+14155550100"})
    assert response.status_code == 400
    assert "belongs to another workspace" in response.content.decode()


def test_an_invalid_number_is_explained(manager_client):
    response = manager_client.post(reverse("channels:number-add"), {"number": "12"})
    assert response.status_code == 400
    assert "not a" in response.content.decode()


def test_removing_the_default_number_promotes_another(manager_client, workspace):
    for number in ("+14155550100", "+14155550101"):
        manager_client.post(reverse("channels:number-add"), {"number": number})
    with workspace_scope(workspace):
        default = PhoneNumber.objects.get(is_default=True)
    manager_client.post(reverse("channels:number-remove", args=[default.pk]))
    with workspace_scope(workspace):
        assert PhoneNumber.objects.get().is_default is True


def test_test_send_through_the_outbox_reports_the_answer(manager_client):
    response = manager_client.post(
        reverse("channels:test-send"),
        {"channel": "email", "to": "me@acme.example", "text": "Hello"},
        headers={"HX-Request": "true"},
    )
    assert "Dev outbox accepted the message" in response.content.decode()


def test_test_send_explains_a_provider_without_credentials(manager_client, workspace):
    settings = _settings(workspace)
    with workspace_scope(workspace):
        settings.sms_provider = "twilio"
        settings.save()
    response = manager_client.post(
        reverse("channels:test-send"), {"channel": "sms", "to": "+14155552671", "text": "Hi"}
    )
    assert "Twilio did not send it" in response.content.decode()


def test_test_send_to_a_bad_phone_number_is_refused(manager_client):
    response = manager_client.post(
        reverse("channels:test-send"), {"channel": "sms", "to": "nope", "text": "Hi"}
    )
    assert response.status_code == 400


def test_set_provider_configures_twilio_from_the_shell(workspace):
    call_command(
        "set_provider",
        "acme",
        "twilio",
        "--account-sid",
        "AC123",
        "--auth-token",
        "tok",
        "--number",
        "+14155550100",
        "--use-for",
        "sms,call",
    )
    saved = _settings(workspace)
    assert (saved.sms_provider, saved.call_provider, saved.email_provider) == (
        "twilio",
        "twilio",
        "outbox",
    )
    with unscoped():
        assert PhoneNumber.objects.get().workspace == workspace


def test_set_provider_refuses_a_channel_the_provider_cannot_send(workspace):
    with pytest.raises(CommandError, match="twilio cannot send email"):
        call_command("set_provider", "acme", "twilio", "--use-for", "email")


def test_set_provider_names_an_unknown_channel(workspace):
    with pytest.raises(CommandError, match="Unknown channel 'fax'"):
        call_command("set_provider", "acme", "outbox", "--use-for", "email,fax")


def test_set_provider_refuses_an_option_of_another_provider(workspace):
    with pytest.raises(CommandError, match="takes no --api-key"):
        call_command("set_provider", "acme", "twilio", "--api-key", "x")


def test_set_provider_names_an_unknown_workspace():
    with pytest.raises(CommandError):
        call_command("set_provider", "nowhere", "outbox")


def test_segment_count_is_shown_as_the_text_is_typed(manager_client):
    response = manager_client.get(reverse("channels:sms-segments"), {"text": "x" * 161})
    assert "2 segments" in response.content.decode()


def test_segment_count_names_the_costly_encoding(manager_client):
    response = manager_client.get(reverse("channels:sms-segments"), {"text": "Thanks 🙂"})
    assert "UCS-2" in response.content.decode()
