"""Provider secrets are encrypted at rest with a key from the environment (Fernet: AES + HMAC)."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> MultiFernet:
    """The first key encrypts; every key decrypts, so keys can be rotated without downtime."""
    keys = settings.CHANNEL_SECRETS_KEYS
    if not keys:
        raise ImproperlyConfigured("CHANNEL_SECRETS_KEY is not set.")
    return MultiFernet([Fernet(_as_fernet_key(key)) for key in keys])


def _as_fernet_key(key: str) -> bytes:
    """Accept a Fernet key as generated, or any long passphrase (stretched with SHA-256)."""
    raw = key.encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def encrypt_json(values: dict) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict:
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "Stored provider secrets cannot be decrypted: CHANNEL_SECRETS_KEY changed. "
            "Put the old key after the new one (comma-separated) to keep reading them."
        ) from exc
