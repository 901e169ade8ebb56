import pytest
from django.urls import reverse

from leadfollow.models import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

MANAGER_PAGES = [
    ("leadfollow:workspace-settings", []),
    ("leadfollow:members", []),
    ("leadfollow:api-keys", []),
]


@pytest.mark.parametrize(("name", "args"), MANAGER_PAGES)
def test_rep_gets_403_on_manager_pages(rep_client, name, args):
    assert rep_client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), MANAGER_PAGES)
def test_manager_opens_manager_pages(manager_client, name, args):
    assert manager_client.get(reverse(name, args=args)).status_code == 200


def test_rep_cannot_remove_members_by_posting_directly(rep_client, workspace):
    other = MembershipFactory(workspace=workspace)
    response = rep_client.post(reverse("leadfollow:member-remove", args=[other.pk]))
    assert response.status_code == 403


def test_settings_sends_a_rep_to_their_profile(rep_client):
    response = rep_client.get(reverse("leadfollow:settings"))
    assert response["Location"] == reverse("leadfollow:profile")


def test_switching_workspace_changes_what_the_pages_show(manager, other_workspace, manager_client):
    MembershipFactory(workspace=other_workspace, user=manager.user, role=Role.MANAGER)
    manager_client.post(reverse("leadfollow:workspace-switch"), {"workspace": other_workspace.pk})
    response = manager_client.get(reverse("leadfollow:workspace-settings"))
    assert response.context["workspace"] == other_workspace


def test_switching_to_a_workspace_you_are_not_in_is_refused(rep, rep_client, other_workspace):
    rep_client.post(reverse("leadfollow:workspace-switch"), {"workspace": other_workspace.pk})
    rep.user.refresh_from_db()
    assert rep.user.current_workspace_id != other_workspace.pk
    response = rep_client.get(reverse("leadfollow:profile"))
    assert response.context["workspace"] == rep.workspace


def test_switcher_lists_every_workspace_of_the_member(rep, other_workspace, rep_client):
    MembershipFactory(workspace=other_workspace, user=rep.user)
    response = rep_client.get(reverse("leadfollow:profile"))
    assert {seat.workspace for seat in response.context["switchable"]} == {
        rep.workspace,
        other_workspace,
    }


def test_workspace_settings_rejects_end_before_start(manager_client, workspace):
    response = manager_client.post(
        reverse("leadfollow:workspace-settings"),
        {
            "name": "Acme",
            "time_zone": "UTC",
            "default_region": "US",
            "business_days": ["0"],
            "business_hours_start": "18:00",
            "business_hours_end": "09:00",
        },
    )
    assert "business_hours_end" in response.context["form"].errors
    workspace.refresh_from_db()
    assert workspace.name == "Acme Roofing"


def test_manager_creates_a_second_workspace_and_owns_it(manager_client, manager):
    manager_client.post(
        reverse("leadfollow:workspace-create"),
        {"name": "Second Co", "time_zone": "UTC", "default_region": "GB"},
    )
    manager.user.refresh_from_db()
    assert manager.user.current_workspace.name == "Second Co"
