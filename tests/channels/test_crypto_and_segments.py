import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from channels.crypto import decrypt_json, encrypt_json
from channels.models import ProviderAccount
from channels.sms import count_segments
from leadfollow.tenancy import workspace_scope


@pytest.mark.django_db
def test_provider_secrets_are_not_stored_in_clear_text(workspace):
    with workspace_scope(workspace):
        account = ProviderAccount(workspace=workspace, provider="twilio")
        account.secrets = {"auth_token": "tok-very-secret"}
        account.save()
        stored = ProviderAccount.objects.get()
    assert "tok-very-secret" not in stored.secrets_encrypted
    assert stored.secrets == {"auth_token": "tok-very-secret"}


def test_rotated_keys_still_read_old_secrets(settings):
    old = Fernet.generate_key().decode()
    settings.CHANNEL_SECRETS_KEYS = [old]
    token = encrypt_json({"api_key": "SG.x"})
    settings.CHANNEL_SECRETS_KEYS = [Fernet.generate_key().decode(), old]
    assert decrypt_json(token) == {"api_key": "SG.x"}


def test_a_lost_key_says_what_to_do(settings):
    token = encrypt_json({"api_key": "SG.x"})
    settings.CHANNEL_SECRETS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="CHANNEL_SECRETS_KEY changed"):
        decrypt_json(token)


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters take two septets
        ("€" * 81, "GSM-7", 2),
        ("Thanks! 🙂", "UCS-2", 1),
        ("é" * 160, "GSM-7", 1),  # é is in the GSM alphabet
        ("ê" * 70, "UCS-2", 1),  # ê is not
        ("ê" * 71, "UCS-2", 2),
        ("ê" * 135, "UCS-2", 3),
    ],
)
def test_segment_count(text, encoding, segments):
    count = count_segments(text)
    assert (count.encoding, count.segments) == (encoding, segments)
