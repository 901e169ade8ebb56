from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from leadfollow.models import ApiKey
from leadfollow.tenancy import workspace_scope

pytestmark = pytest.mark.django_db

WORKSPACE_URL = "/api/v1/workspace/"


def _client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _stored_key(workspace) -> ApiKey:
    with workspace_scope(workspace):
        return ApiKey.objects.get()


def test_manager_creates_a_key_and_sees_it_once(manager_client, workspace):
    response = manager_client.post(reverse("leadfollow:api-keys"), {"name": "Website form"})
    secret = response.context["issued"].secret
    assert response.status_code == 201
    assert secret.startswith("lf_")
    assert secret in response.content.decode()
    assert secret not in manager_client.get(reverse("leadfollow:api-keys")).content.decode()


def test_key_is_stored_only_as_a_hash(api_key, workspace):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM leadfollow_apikey")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert api_key.secret not in row
    # The random part after the public prefix (which may itself contain "_").
    assert api_key.secret.removeprefix(api_key.api_key.prefix + "_") not in row


def test_key_authenticates_and_returns_its_workspace(api_client, workspace):
    response = api_client.get(WORKSPACE_URL)
    assert response.status_code == 200
    assert response.json() == {
        "name": "Acme Roofing",
        "slug": "acme",
        "time_zone": "America/New_York",
        "default_region": "US",
        "business_days": [0, 1, 2, 3, 4],
        "business_hours_start": "09:00",
        "business_hours_end": "17:00",
    }


def test_revoked_key_gets_401_at_once(api_client, api_key, manager_client):
    manager_client.post(reverse("leadfollow:api-key-revoke", args=[api_key.api_key.pk]))
    assert api_client.get(WORKSPACE_URL).status_code == 401


def test_key_in_use_gets_401_at_once_when_revoked(api_client, api_key, manager_client):
    assert api_client.get(WORKSPACE_URL).status_code == 200  # the found key is now cached
    manager_client.post(reverse("leadfollow:api-key-revoke", args=[api_key.api_key.pk]))
    assert api_client.get(WORKSPACE_URL).status_code == 401


def test_revoke_over_htmx_returns_the_row_marked_revoked(manager_client, api_key):
    response = manager_client.post(
        reverse("leadfollow:api-key-revoke", args=[api_key.api_key.pk]), HTTP_HX_REQUEST="true"
    )
    assert "Revoked" in response.content.decode()


def test_first_use_records_last_used(api_client, workspace):
    api_client.get(WORKSPACE_URL)
    assert _stored_key(workspace).last_used_at is not None


def test_last_used_moves_on_after_a_minute(api_client, workspace):
    api_client.get(WORKSPACE_URL)
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        api_client.get(WORKSPACE_URL)
    assert _stored_key(workspace).last_used_at == later


def test_missing_key_gets_401_with_a_hint(client):
    response = client.get(WORKSPACE_URL)
    assert response.status_code == 401
    assert "Bearer" in response["WWW-Authenticate"]


def test_unknown_key_gets_401(db):
    assert _client("lf_deadbeef_nope").get(WORKSPACE_URL).status_code == 401


def test_malformed_authorization_header_gets_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two words")
    assert client.get(WORKSPACE_URL).status_code == 401


def test_rep_cannot_create_keys(rep_client, workspace):
    response = rep_client.post(reverse("leadfollow:api-keys"), {"name": "Sneaky"})
    assert response.status_code == 403
    with workspace_scope(workspace):
        assert not ApiKey.objects.exists()


def test_blank_key_name_rerenders_with_a_message(manager_client):
    response = manager_client.post(reverse("leadfollow:api-keys"), {"name": "  "})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors


def test_key_list_shows_name_prefix_and_creator(manager_client, manager, workspace):
    manager_client.post(reverse("leadfollow:api-keys"), {"name": "Partner feed"})
    page = manager_client.get(reverse("leadfollow:api-keys")).content.decode()
    key = _stored_key(workspace)
    assert "Partner feed" in page
    assert key.prefix in page
    assert manager.user.display_name in page


def test_create_api_key_command_prints_a_working_key(workspace, capsys):
    call_command("create_api_key", "acme", "Zapier")
    secret = capsys.readouterr().out.strip()
    assert _client(secret).get(WORKSPACE_URL).json()["slug"] == "acme"
