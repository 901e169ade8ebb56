from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leadfollow.models import Invitation, Membership, Role, User
from leadfollow.tenancy import workspace_scope
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _accept_url(token: str) -> str:
    return reverse("leadfollow:invite-accept", args=[token])


def _seat(workspace, user):
    with workspace_scope(workspace):
        return Membership.objects.filter(user=user).first()


def test_manager_invite_emails_a_single_use_link(
    manager_client, workspace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("leadfollow:members"), {"email": "New.Rep@Example.test", "role": "rep"}
        )
    assert response.status_code == 302
    assert mail.outbox[0].to == ["new.rep@example.test"]
    assert "/invites/" in mail.outbox[0].body


def test_invite_link_is_stored_only_as_a_hash(
    manager_client, workspace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            reverse("leadfollow:members"), {"email": "a@example.test", "role": "rep"}
        )
    token = mail.outbox[0].body.split("/invites/")[1].split("/")[0]
    with workspace_scope(workspace):
        invitation = Invitation.objects.get()
    assert token not in invitation.token_hash
    assert len(invitation.token_hash) == 64


def test_new_person_accepts_by_creating_an_account(client, workspace):
    InvitationFactory(workspace=workspace, email="sam@example.test", role=Role.MANAGER, token="t1")
    response = client.post(
        _accept_url("t1"), {"full_name": "Sam Lee", "password": "a-long-enough-secret-42"}
    )
    assert response.status_code == 302
    seat = _seat(workspace, User.objects.get(email="sam@example.test"))
    assert (seat.role, seat.is_active) == (Role.MANAGER, True)


def test_logged_in_invitee_joins_with_one_click(client, workspace, other_workspace):
    existing = MembershipFactory(workspace=other_workspace, user__email="kim@example.test")
    InvitationFactory(workspace=workspace, email="kim@example.test", token="t2")
    client.force_login(existing.user)
    client.post(_accept_url("t2"))
    assert _seat(workspace, existing.user).role == Role.REP
    existing.user.refresh_from_db()
    assert existing.user.current_workspace == workspace


def test_invite_link_works_only_once(client, workspace):
    InvitationFactory(workspace=workspace, email="sam@example.test", token="t3")
    client.post(_accept_url("t3"), {"full_name": "Sam Lee", "password": "a-long-enough-secret-42"})
    response = client.get(_accept_url("t3"))
    assert response.status_code == 410
    assert b"already been used" in response.content


def test_expired_invite_is_refused(client, workspace):
    InvitationFactory(workspace=workspace, email="sam@example.test", token="t4")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False):
        response = client.post(
            _accept_url("t4"), {"full_name": "Sam Lee", "password": "a-long-enough-secret-42"}
        )
    assert response.status_code == 410
    assert not User.objects.filter(email="sam@example.test").exists()


def test_withdrawn_invite_is_refused(client, manager_client, workspace):
    invitation = InvitationFactory(workspace=workspace, token="t5")
    manager_client.post(reverse("leadfollow:invitation-revoke", args=[invitation.pk]))
    assert client.get(_accept_url("t5")).status_code == 410


def test_unknown_invite_link_is_404(client):
    assert client.get(_accept_url("not-a-token")).status_code == 404


def test_invite_for_another_address_does_not_join_the_logged_in_user(client, workspace):
    someone = UserFactory(email="other@example.test")
    InvitationFactory(workspace=workspace, email="sam@example.test", token="t6")
    client.force_login(someone)
    client.post(_accept_url("t6"))
    assert _seat(workspace, someone) is None


def test_existing_account_must_log_in_to_accept(client, workspace):
    UserFactory(email="sam@example.test")
    InvitationFactory(workspace=workspace, email="sam@example.test", token="t7")
    response = client.get(_accept_url("t7"))
    assert b"Log in to accept" in response.content


def test_rep_cannot_invite(rep_client):
    response = rep_client.post(
        reverse("leadfollow:members"), {"email": "x@example.test", "role": "rep"}
    )
    assert response.status_code == 403


def test_manager_cannot_invite_an_owner(manager_client, workspace):
    response = manager_client.post(
        reverse("leadfollow:members"), {"email": "boss@example.test", "role": "owner"}
    )
    assert response.status_code == 400
    assert b"role above yours" in response.content
    with workspace_scope(workspace):
        assert not Invitation.objects.exists()


def test_inviting_an_existing_member_says_so(manager_client, rep):
    response = manager_client.post(
        reverse("leadfollow:members"), {"email": rep.user.email, "role": "rep"}
    )
    assert b"already a member" in response.content


def test_invalid_invite_email_rerenders_with_a_message(manager_client):
    response = manager_client.post(reverse("leadfollow:members"), {"email": "nope", "role": "rep"})
    assert response.status_code == 400
    assert "email" in response.context["invite_form"].errors
