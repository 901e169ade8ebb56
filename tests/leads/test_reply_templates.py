"""Settings → Reply templates: managers keep the saved replies reps start from."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels.models import ReplyTemplate
from leadfollow.tenancy import workspace_scope

pytestmark = pytest.mark.django_db

LIST = reverse("leads:reply-template-list")
NEW = reverse("leads:reply-template-new")


def _templates(workspace) -> list[ReplyTemplate]:
    with workspace_scope(workspace):
        return list(ReplyTemplate.objects.order_by("pk"))


def _saved(workspace, **fields) -> ReplyTemplate:
    values = {"name": "Missed you", "channel": "sms", "body": "Sorry I missed you!", **fields}
    with workspace_scope(workspace):
        return ReplyTemplate.objects.create(workspace=workspace, **values)


def test_manager_adds_a_text_template(manager_client, workspace, manager):
    response = manager_client.post(
        NEW, {"name": "Missed you", "channel": "sms", "body": 'Hi {{ lead.first_name | "there" }}'}
    )
    assert response.status_code == 302
    [saved] = _templates(workspace)
    assert (saved.name, saved.created_by) == ("Missed you", manager)


def test_a_template_with_a_mistyped_variable_is_refused(manager_client, workspace):
    response = manager_client.post(
        NEW, {"name": "Oops", "channel": "sms", "body": "Hi {{ lead.frist_name }}"}
    )
    assert response.status_code == 400
    assert "lead.first_name" in str(response.context["form"].errors["body"])
    assert _templates(workspace) == []


def test_an_email_template_needs_a_subject(manager_client, workspace):
    response = manager_client.post(NEW, {"name": "Quote", "channel": "email", "body": "Here"})
    assert response.context["form"].errors["subject"] == ["Give the email a subject."]


def test_two_templates_cannot_share_a_name(manager_client, workspace):
    _saved(workspace)
    response = manager_client.post(NEW, {"name": "Missed you", "channel": "sms", "body": "x"})
    assert response.context["form"].errors["name"] == ["Another template already has this name."]
    assert len(_templates(workspace)) == 1


def test_manager_edits_a_template(manager_client, workspace):
    saved = _saved(workspace)
    manager_client.post(
        reverse("leads:reply-template-edit", args=[saved.pk]),
        {"name": "Missed you", "channel": "sms", "body": "Sorry, call you back?"},
    )
    assert _templates(workspace)[0].body == "Sorry, call you back?"


def test_manager_deletes_a_template(manager_client, workspace):
    saved = _saved(workspace)
    manager_client.post(reverse("leads:reply-template-delete", args=[saved.pk]))
    assert _templates(workspace) == []


def test_the_list_shows_the_workspaces_templates(manager_client, workspace):
    _saved(workspace, name="Here is the quote")
    assert "Here is the quote" in manager_client.get(LIST).content.decode()


def test_reps_cannot_change_templates(rep_client, workspace):
    response = rep_client.post(NEW, {"name": "Mine", "channel": "sms", "body": "x"})
    assert response.status_code == 403
    assert _templates(workspace) == []
