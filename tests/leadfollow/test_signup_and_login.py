import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from leadfollow.models import Membership, Role, User, Workspace
from leadfollow.tenancy import unscoped
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "full_name": "Dana Fox",
    "email": "Dana@Example.test",
    "password": "a-long-enough-secret-42",
    "workspace_name": "Fox Plumbing",
    "time_zone": "Europe/London",
}


def test_signup_creates_workspace_with_the_user_as_owner(client):
    response = client.post(reverse("leadfollow:signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="dana@example.test")
    workspace = Workspace.objects.get(name="Fox Plumbing")
    with unscoped():
        membership = Membership.objects.get(user=user)
    assert (membership.workspace, membership.role) == (workspace, Role.OWNER)
    assert (workspace.slug, workspace.time_zone) == ("fox-plumbing", "Europe/London")


def test_signup_logs_the_new_owner_in(client):
    client.post(reverse("leadfollow:signup"), SIGNUP)
    response = client.get(reverse("leadfollow:profile"))
    assert response.status_code == 200
    assert b"dana@example.test" in response.content


def test_signup_with_a_taken_email_rerenders_the_form_with_a_message(client):
    UserFactory(email="dana@example.test")
    response = client.post(reverse("leadfollow:signup"), SIGNUP)
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["email"][0]
    assert not Workspace.objects.filter(name="Fox Plumbing").exists()


def test_signup_with_a_weak_password_saves_nothing(client):
    response = client.post(reverse("leadfollow:signup"), {**SIGNUP, "password": "12345"})
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(email="dana@example.test").exists()


def test_signup_with_an_unknown_time_zone_is_rejected(client):
    response = client.post(reverse("leadfollow:signup"), {**SIGNUP, "time_zone": "Mars/Base"})
    assert "time_zone" in response.context["form"].errors


def test_two_workspaces_with_the_same_name_get_distinct_slugs():
    Client().post(reverse("leadfollow:signup"), SIGNUP)
    Client().post(reverse("leadfollow:signup"), {**SIGNUP, "email": "other@example.test"})
    assert set(Workspace.objects.values_list("slug", flat=True)) == {
        "fox-plumbing",
        "fox-plumbing-2",
    }


def test_login_with_email_and_password_opens_the_workspace(client, rep):
    response = client.post(
        reverse("leadfollow:login"), {"username": rep.user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("leadfollow:profile")).status_code == 200


def test_login_with_a_wrong_password_says_so(client, rep):
    response = client.post(
        reverse("leadfollow:login"), {"username": rep.user.email, "password": "nope-nope-nope"}
    )
    assert response.status_code == 200
    assert b"do not match an account" in response.content


def test_repeated_failed_logins_lock_the_account_with_a_clear_message(client, rep, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("leadfollow:login"), {"username": rep.user.email, "password": "bad"})
    response = client.post(
        reverse("leadfollow:login"), {"username": rep.user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content


def test_logout_ends_the_session(rep_client):
    rep_client.post(reverse("leadfollow:logout"))
    response = rep_client.get(reverse("leadfollow:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("leadfollow:login"))


def test_pages_redirect_visitors_to_login(client):
    response = client.get(reverse("leadfollow:members"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("leadfollow:login"))


def test_password_reset_emails_a_link_that_sets_a_new_password(client, rep):
    client.post(reverse("leadfollow:password-reset"), {"email": rep.user.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": "brand-new-secret-77", "new_password2": "brand-new-secret-77"},
    )
    rep.user.refresh_from_db()
    assert rep.user.check_password("brand-new-secret-77")


def test_password_reset_for_an_unknown_email_sends_nothing_and_reveals_nothing(client):
    response = client.post(reverse("leadfollow:password-reset"), {"email": "ghost@example.test"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_user_without_workspaces_is_sent_to_create_one(client):
    membership = MembershipFactory(is_active=False)
    client.force_login(membership.user)
    response = client.get(reverse("leadfollow:home"))
    assert response["Location"] == reverse("leadfollow:workspace-create")
