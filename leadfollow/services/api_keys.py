"""API keys for lead sources: shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from leadfollow.errors import Forbidden, InvalidInput, NotFound
from leadfollow.models import ApiKey, Membership, Role, Workspace
from leadfollow.tenancy import unscoped

KEY_PREFIX = "lf_"
REVOKED = "revoked"  # in the cache in place of a key revoked a moment ago


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    secret: str  # the whole key; exists only in this object and the one response that shows it


def _hash(raw_key: str) -> str:
    # The key carries 256 bits of randomness, so a fast hash is enough: there is nothing to guess.
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def create_api_key(
    *, workspace: Workspace, name: str, actor: Membership | None = None
) -> IssuedApiKey:
    """Issue a new key. `actor` None means an operator from the shell."""
    if actor is not None and not actor.has_role(Role.MANAGER):
        raise Forbidden("Only managers and owners can create API keys.")
    name = name.strip()
    if not name:
        raise InvalidInput(
            "Give the key a name, such as the lead source that will use it.", field="name"
        )
    public = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}{public}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        workspace=workspace,
        name=name[:80],
        prefix=f"{KEY_PREFIX}{public}",
        key_hash=_hash(raw_key),
        created_by=actor.user if actor else None,
    )
    return IssuedApiKey(api_key=api_key, secret=raw_key)


@transaction.atomic
def revoke_api_key(*, workspace: Workspace, api_key_id: int, actor: Membership) -> ApiKey:
    """Stop a key from working, at once. Safe to call twice."""
    if not actor.has_role(Role.MANAGER):
        raise Forbidden("Only managers and owners can revoke API keys.")
    try:
        api_key = ApiKey.objects.select_for_update().get(workspace=workspace, pk=api_key_id)
    except ApiKey.DoesNotExist as exc:
        raise NotFound("No such API key.") from exc
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    # Forget the key now, and after commit leave a mark that outlives any request that read the
    # row just before the commit: such a request must not put the key back into the cache.
    cache.delete(_cache_key(api_key.key_hash))
    mark = partial(
        cache.set, _cache_key(api_key.key_hash), REVOKED, settings.API_KEY_CACHE_SECONDS + 60
    )
    transaction.on_commit(mark)
    return api_key


def authenticate_api_key(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, with its workspace; records when it was last used.

    A found key is kept in the cache for `API_KEY_CACHE_SECONDS`, so a busy source does not
    read it before every lead. Revoking it removes it from the cache at once; a change to the
    workspace's settings reaches the API within that time.
    """
    if not raw_key.startswith(KEY_PREFIX):
        return None
    key_hash = _hash(raw_key)
    api_key = cache.get(_cache_key(key_hash))
    if api_key == REVOKED:
        return None
    # The key itself names the workspace: nothing is in scope until it is found.
    with unscoped():
        read = api_key is None
        if read:
            api_key = (
                ApiKey.objects.select_related("workspace")
                .filter(key_hash=key_hash, revoked_at__isnull=True)
                .first()
            )
            if api_key is None:
                return None
        now = timezone.now()
        stale = now - settings.API_KEY_LAST_USED_GRANULARITY
        if api_key.last_used_at is None or api_key.last_used_at < stale:
            # One write a minute at most, however busy the source is.
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
            if not read:
                cache.delete(_cache_key(key_hash))  # the next request reads the new time
        if read:  # only what was just read is cached; `add` never replaces a revoked mark
            cache.add(_cache_key(key_hash), api_key, settings.API_KEY_CACHE_SECONDS)
    return api_key


def _cache_key(key_hash: str) -> str:
    return f"api-key:{key_hash}"
