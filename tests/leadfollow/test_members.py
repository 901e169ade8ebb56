import pytest
from django.urls import reverse

from leadfollow.models import Membership, Role
from leadfollow.tenancy import workspace_scope
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _reload(membership):
    with workspace_scope(membership.workspace):
        return Membership.objects.get(pk=membership.pk)


def test_manager_removes_a_rep(manager_client, rep):
    manager_client.post(reverse("leadfollow:member-remove", args=[rep.pk]))
    assert _reload(rep).is_active is False


def test_removed_member_loses_access_to_the_workspace(manager_client, rep, rep_client):
    manager_client.post(reverse("leadfollow:member-remove", args=[rep.pk]))
    response = rep_client.get(reverse("leadfollow:profile"))
    assert response["Location"] == reverse("leadfollow:workspace-create")


def test_manager_cannot_remove_an_owner(manager_client, owner):
    manager_client.post(reverse("leadfollow:member-remove", args=[owner.pk]))
    assert _reload(owner).is_active is True


def test_the_last_owner_cannot_be_removed(owner_client, owner, workspace):
    second = MembershipFactory(workspace=workspace, role=Role.OWNER)
    client_of_second = owner_client.__class__()
    client_of_second.force_login(second.user)
    owner_client.post(reverse("leadfollow:member-remove", args=[second.pk]))
    response = client_of_second.post(reverse("leadfollow:member-remove", args=[owner.pk]))
    assert response.status_code == 302
    assert _reload(owner).is_active is True


def test_role_change_over_htmx_returns_the_updated_row(manager_client, rep):
    response = manager_client.post(
        reverse("leadfollow:member-role", args=[rep.pk]),
        {"role": "manager"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="member-{rep.pk}"' in response.content.decode()
    assert _reload(rep).role == Role.MANAGER


def test_manager_cannot_promote_to_owner(manager_client, rep):
    response = manager_client.post(
        reverse("leadfollow:member-role", args=[rep.pk]), {"role": "owner"}, HTTP_HX_REQUEST="true"
    )
    assert b"above yours" in response.content
    assert _reload(rep).role == Role.REP


def test_unknown_role_is_rejected(owner_client, rep):
    owner_client.post(reverse("leadfollow:member-role", args=[rep.pk]), {"role": "emperor"})
    assert _reload(rep).role == Role.REP


def test_members_page_lists_the_team(manager_client, rep):
    response = manager_client.get(reverse("leadfollow:members"))
    assert rep.user.email in response.content.decode()
