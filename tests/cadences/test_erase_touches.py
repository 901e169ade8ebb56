"""Erasing a lead blanks what its cadence touches said, and keeps them counted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cadences.models import Touch
from leadfollow.tenancy import unscoped, workspace_scope
from tests.factories import CadenceFactory, EnrollmentFactory, StepFactory, TouchFactory

pytestmark = pytest.mark.django_db


def _after_erasing_its_lead(api_client, touch: Touch) -> Touch:
    """Erase the touch's lead through the API, then read the touch again."""
    api_client.delete(reverse("leads:api-lead-detail", args=[touch.enrollment.lead_id]))
    with unscoped():
        return Touch.objects.get(pk=touch.pk)


def _sent_touch(workspace) -> Touch:
    """A touch sent to a new lead of the workspace."""
    with workspace_scope(workspace):
        step = StepFactory(cadence=CadenceFactory(workspace=workspace))
        return TouchFactory(
            enrollment=EnrollmentFactory(cadence=step.cadence),
            status=Touch.Status.SENT,
            variant=1,
            rendered_subject="Hi Dana",
            rendered_body="Dana, your quote for 12 Elm Street is ready.",
            error="dana@x.example deferred once",
        )


def test_erasing_a_lead_blanks_its_touches_words(api_client, workspace):
    fresh = _after_erasing_its_lead(api_client, _sent_touch(workspace))
    assert (fresh.rendered_subject, fresh.rendered_body, fresh.error) == ("", "", "")


def test_erasing_a_lead_keeps_its_touches_counted(api_client, workspace):
    touch = _sent_touch(workspace)
    fresh = _after_erasing_its_lead(api_client, touch)
    assert (fresh.status, fresh.channel, fresh.variant, fresh.sequence) == (
        Touch.Status.SENT,
        touch.channel,
        1,
        1,
    )


def test_erasing_a_lead_leaves_another_leads_touches(api_client, workspace):
    erased, kept = _sent_touch(workspace), _sent_touch(workspace)
    _after_erasing_its_lead(api_client, erased)
    with unscoped():
        assert Touch.objects.get(pk=kept.pk).rendered_body == kept.rendered_body
