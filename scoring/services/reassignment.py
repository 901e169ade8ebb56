"""Managers moving leads from one rep to another, from the team board."""

from __future__ import annotations

from django.db import transaction

from leadfollow.errors import DomainError, InvalidInput
from leadfollow.models import Membership, Workspace
from leads.models import Lead
from leads.services.changes import update_lead

REASSIGN_LIMIT = 200


class LeadsNotReassigned(InvalidInput):
    """Some leads could not move, so none did. `problems` maps each such lead's id to why."""

    def __init__(self, problems: dict[int, str]):
        count = len(problems)
        super().__init__(
            f"{count} lead{'s' if count != 1 else ''} could not be moved, so nothing was changed.",
            code="not_reassigned",
            field="lead_ids",
        )
        self.problems = problems


@transaction.atomic
def reassign_leads(
    *,
    workspace: Workspace,
    lead_ids: list[int],
    to_member_id: int,
    from_member_id: int | None = None,
    actor: Membership | None = None,
) -> list[Lead]:
    """Give leads to another active member, each owner change logged on the lead's timeline.

    All or nothing: every lead is tried so the manager sees each problem at once, then one
    problem undoes the whole move. With `from_member_id`, a lead someone else took meanwhile
    is a problem rather than silently taken from its new owner. Rows are locked in id order.
    """
    ids = sorted(set(lead_ids))
    if not ids:
        raise InvalidInput("Tick at least one lead to move.", field="lead_ids")
    if len(ids) > REASSIGN_LIMIT:
        raise InvalidInput(f"Move at most {REASSIGN_LIMIT} leads at once.", field="lead_ids")
    target = Membership.objects.filter(workspace=workspace, pk=to_member_id, is_active=True)
    if not target.exists():
        raise InvalidInput("Choose an active member to move the leads to.", field="to")
    if to_member_id == from_member_id:
        raise InvalidInput("Choose someone else: these leads are already theirs.", field="to")
    owners = dict(
        Lead.objects.select_for_update()
        .filter(workspace=workspace, pk__in=ids, erased_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "owner_id")
    )
    problems: dict[int, str] = {}
    moved = []
    for pk in ids:
        if pk not in owners:
            problems[pk] = "Not a lead of this workspace."
        elif from_member_id is not None and owners[pk] != from_member_id:
            problems[pk] = "Someone else moved it meanwhile. Reload the board."
        else:
            try:
                with transaction.atomic():
                    changes = {"owner": to_member_id}
                    moved.append(
                        update_lead(workspace=workspace, lead_id=pk, changes=changes, actor=actor)
                    )
            except DomainError as exc:
                problems[pk] = exc.message
    if problems:
        raise LeadsNotReassigned(problems)
    return moved
