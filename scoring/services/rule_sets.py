"""A workspace's rules, read from the database once per change instead of once per lead.

Every intake scores, routes, starts an SLA clock and looks for auto-enroll cadences, and each
of those used to load the same few rows again. Each process now keeps what it loaded, keyed by
the workspace's rules version: a token in the shared cache (Redis in production, so every web
and worker process sees a change at once) that any save or delete of a watched model replaces.
The token is replaced when the row is written and again after commit: a process that reloads
between the two would otherwise keep the uncommitted past under the new token. Within one
transaction a process reads the token once (its own changes it sees at once), so the intake
steps do not each ask the cache. Without a shared cache (development on one machine, several
processes) a loaded set is also dropped after `MAX_AGE` seconds, so a rule changed in the web
process reaches the scheduler's process soon.

Callers must treat what they get as read-only: the same objects serve every lead of the
workspace. Cache rows only, never their relations (a cached rule's member could be
deactivated without its rule changing): follow a relation by its id, with a fresh query.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
MAX_AGE = 30.0  # seconds; only matters where the cache is not shared between processes
_loaded: dict[tuple[int, str], tuple[str, float, object]] = {}
# workspace id -> (token, the outermost atomic block it was read in)
_tokens: dict[int, tuple[str, object | None]] = {}


def cached_rule_set(*, workspace_id: int, name: str, load: Callable[[], T]) -> T:
    """What `load()` returns for the workspace, loaded again only after a rule change."""
    version = _version(workspace_id)
    hit = _loaded.get((workspace_id, name))
    now = time.monotonic()
    if hit is not None and hit[0] == version and now - hit[1] < MAX_AGE:
        return hit[2]
    value = load()
    _loaded[(workspace_id, name)] = (version, now, value)
    return value


def read_versions(*, workspace_ids: set[int]) -> None:
    """Ask the cache for many workspaces' versions in one round trip (a chunk of cadence sends
    spans hundreds of workspaces), for the rule-set reads that follow in this transaction.
    Outside a transaction each read asks the cache itself, so there is nothing to keep."""
    block = _transaction()
    if block is None:
        return
    wanted = [
        workspace_id
        for workspace_id in workspace_ids
        if (known := _tokens.get(workspace_id)) is None or known[1] is not block
    ]
    if not wanted:
        return
    found = cache.get_many([_key(workspace_id) for workspace_id in wanted])
    for workspace_id in wanted:
        version = found.get(_key(workspace_id))
        if version is not None:  # a missing token is set by the first read, as always
            _tokens[workspace_id] = (version, block)


def rules_changed(*, workspace_id: int) -> None:
    """Make every process load the workspace's rules again, now and once this transaction
    commits. Saves and deletes of watched models call it; bulk updates must call it too."""
    _new_version(workspace_id)
    transaction.on_commit(partial(_new_version, workspace_id))


def watch_rule_models(*rule_models: type[models.Model]) -> None:
    """Treat any save or delete of these workspace-owned models as a rule change."""
    for model in rule_models:
        label = model._meta.label_lower
        post_save.connect(_on_write, sender=model, dispatch_uid=f"rule_sets.save.{label}")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"rule_sets.delete.{label}")


def _on_write(sender, instance: models.Model, **kwargs) -> None:
    rules_changed(workspace_id=instance.workspace_id)


def _key(workspace_id: int) -> str:
    return f"rule-sets-version:{workspace_id}"


def _version(workspace_id: int) -> str:
    block = _transaction()
    known = _tokens.get(workspace_id)
    if known is not None and block is not None and known[1] is block:
        return known[0]
    version = cache.get(_key(workspace_id))
    if version is None:
        # First reader since the cache was emptied: `add` keeps a token another process set.
        cache.add(_key(workspace_id), uuid.uuid4().hex, timeout=None)
        version = cache.get(_key(workspace_id))
    _tokens[workspace_id] = (version, block)
    return version


def _new_version(workspace_id: int) -> None:
    version = uuid.uuid4().hex
    cache.set(_key(workspace_id), version, timeout=None)
    _tokens[workspace_id] = (version, _transaction())


def _transaction() -> object | None:
    """The current transaction's outermost atomic block, None in autocommit."""
    blocks = connection.atomic_blocks
    return blocks[0] if blocks else None
