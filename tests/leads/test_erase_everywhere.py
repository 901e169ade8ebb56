"""Erasing a lead (GDPR) leaves none of the person's words anywhere in the database.

The lead gets data in every place LeadFollow keeps some: the API request that created it,
messages both ways by email, SMS and call, the providers' raw webhooks, a cadence touch, a
task, a logged call, a notification and a rejected import row. After the erasure, every text
and JSON column of every model is scanned for the person's email, phone, names and words.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps
from django.db import models
from django.urls import reverse

from cadences.models import Touch
from channels.models import Message, Suppression, WebhookEvent
from channels.outbox import simulate
from channels.services.sending import Outgoing, send_message
from channels.services.suppression import address_hash
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Consent, Lead, LeadImportReject
from leads.services.call_log import log_call
from leads.services.changes import update_lead
from reports.registry import all_reports
from tests.factories import (
    CadenceFactory,
    EnrollmentFactory,
    LeadFactory,
    LeadImportFactory,
    NotificationFactory,
    StepFactory,
    TaskFactory,
    TouchFactory,
)

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # 12:00 in New York: inside quiet hours' window
FIRST, LAST = "Zephyrine", "Quackenbush"
EMAIL = "zephyrine.q@quackmail.example"
PHONE = "+14155552671"
PHRASE = "violet armadillo"
NEEDLES = (FIRST, LAST, EMAIL, PHONE, PHONE[1:], PHONE[2:], PHRASE, PHRASE.replace(" ", "+"))
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def _leftovers() -> list[str]:
    """Every (model.field: needle) where a needle still appears, in any row of any workspace."""
    found = []
    with unscoped():
        for model in apps.get_models():
            names = [f.attname for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
            for row in model._default_manager.values_list("pk", *names) if names else ():
                for name, value in zip(names, row[1:], strict=True):
                    text = (
                        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    )
                    found += [
                        f"{model._meta.label}.{name}#{row[0]}: {needle}"
                        for needle in NEEDLES
                        if needle.lower() in (text or "").lower()
                    ]
    return found


def _send(workspace, lead, channel, **extra) -> Message:
    outgoing = Outgoing(
        channel=channel, subject=f"Hi {FIRST}", text=f"Hi {FIRST}, about the {PHRASE}", **extra
    )
    outcome = send_message(workspace=workspace, lead=lead, outgoing=outgoing, now=NOON)
    assert outcome.status == "sent", outcome.reason
    return outcome.message


def _richly_known_lead(api_client, workspace, rep) -> Lead:
    """The person, known through every channel and every kind of record."""
    response = api_client.post(
        reverse("leads:api-lead-list"),
        {
            "first_name": FIRST,
            "last_name": LAST,
            "email": EMAIL,
            "phone": PHONE,
            "custom_fields": {"wish": f"a {PHRASE}"},
        },
        format="json",
        headers={"Idempotency-Key": "form-submission-1"},
    )
    assert response.status_code == 201
    with workspace_scope(workspace):
        lead = update_lead(
            workspace=workspace,
            lead_id=response.json()["id"],
            changes={"owner": rep.pk, "time_zone": "America/New_York"},
        )
        for channel in ("sms", "call"):
            Consent.objects.create(
                workspace=workspace, lead=lead, channel=channel, text="Yes", captured_at=NOON
            )
        email, sms = _send(workspace, lead, "email"), _send(workspace, lead, "sms")
        call = _send(workspace, lead, "call", details={"mode": "bridge"})
        for message, event in ((email, "replied"), (sms, "replied"), (call, "answered")):
            reply = f"{FIRST} {LAST} here, {PHONE}: yes to the {PHRASE}"
            simulate(workspace=workspace, message=message, event=event, text=reply)
        log_call(
            workspace=workspace,
            lead_id=lead.pk,
            outcome="answered",
            actor=rep,
            notes=f"{FIRST} wants the {PHRASE}",
            message_id=call.pk,
        )
        step = StepFactory(cadence=CadenceFactory(workspace=workspace))
        TouchFactory(
            enrollment=EnrollmentFactory(cadence=step.cadence, lead=lead),
            status=Touch.Status.SENT,
            message=email,
            rendered_subject=f"Hi {FIRST}",
            rendered_body=f"Dear {FIRST} {LAST}, the {PHRASE}",
            error=f"Earlier try: {EMAIL} deferred",
        )
        TaskFactory(workspace=workspace, lead=lead, title=f"Call {FIRST} {LAST}", notes=PHRASE)
        NotificationFactory(
            workspace=workspace, lead=lead, recipient=rep, text=f"{FIRST} {LAST}: {PHRASE}"
        )
        LeadImportReject.objects.create(
            workspace=workspace,
            lead_import=LeadImportFactory(workspace=workspace),
            stage=LeadImportReject.Stage.IMPORT,
            row_number=2,
            values=[f"{FIRST} {LAST}", EMAIL],
            reason=f"{EMAIL} is already in this file",
        )
    return lead


def test_erasing_a_lead_leaves_none_of_the_persons_words_anywhere(api_client, workspace, rep):
    with time_machine.travel(NOON, tick=False):
        lead = _richly_known_lead(api_client, workspace, rep)
        assert len(_leftovers()) > 20  # the person is everywhere before
        response = api_client.delete(reverse("leads:api-lead-detail", args=[lead.pk]))
    assert response.status_code == 204
    assert _leftovers() == []


def test_erasing_a_lead_keeps_every_row_that_counts(api_client, workspace, rep):
    with time_machine.travel(NOON, tick=False):
        lead = _richly_known_lead(api_client, workspace, rep)
        with workspace_scope(workspace):
            before = (Message.objects.filter(lead=lead).count(), Touch.objects.count())
            events = WebhookEvent.objects.count()
        api_client.delete(reverse("leads:api-lead-detail", args=[lead.pk]))
    with workspace_scope(workspace):
        after = (Message.objects.filter(lead=lead).count(), Touch.objects.count())
        assert (after, WebhookEvent.objects.count()) == (before, events)
        assert before[0] == 5  # an email, a text and a call sent; two replies


def test_erasing_a_lead_keeps_its_hash_on_the_suppression_list(api_client, workspace, rep):
    with time_machine.travel(NOON, tick=False):
        lead = _richly_known_lead(api_client, workspace, rep)
        api_client.delete(reverse("leads:api-lead-detail", args=[lead.pk]))
    with workspace_scope(workspace):
        erased = Suppression.objects.filter(reason=Suppression.Reason.ERASED)
        hashes = set(erased.values_list("address_hash", flat=True))
    assert {address_hash(EMAIL), address_hash(PHONE)} <= hashes


def test_erasing_a_lead_leaves_another_leads_messages_alone(api_client, workspace, rep):
    with time_machine.travel(NOON, tick=False):
        lead = _richly_known_lead(api_client, workspace, rep)
        with workspace_scope(workspace):
            other = LeadFactory(workspace=workspace, first_name="Ottilie", email="ott@x.example")
            kept = _send(workspace, other, "email")
        api_client.delete(reverse("leads:api-lead-detail", args=[lead.pk]))
    with workspace_scope(workspace):
        kept.refresh_from_db()
    assert (kept.to_address, kept.body_text) == ("ott@x.example", f"Hi {FIRST}, about the {PHRASE}")


def test_erasing_a_lead_changes_no_count_of_its_messages_or_touches(api_client, workspace, rep):
    # Erasing stops the lead's cadence, which the cadence funnel rightly counts as an exit.
    slugs = [report.slug for report in all_reports() if report.slug != "cadence-funnel"]
    with time_machine.travel(NOON, tick=False):
        lead = _richly_known_lead(api_client, workspace, rep)
        before = {slug: api_client.get(reverse(f"reports:api-{slug}")).json() for slug in slugs}
        api_client.delete(reverse("leads:api-lead-detail", args=[lead.pk]))
        after = {slug: api_client.get(reverse(f"reports:api-{slug}")).json() for slug in slugs}
    assert before["channels"]["headline"][0] == {
        "key": "sent",
        "label": "Sent",
        "value": 3.0,
        "unit": "count",
    }
    assert after == before


def _pages(rep_client, manager_client, lead) -> dict:
    pages = {
        "lead page": (rep_client, reverse("leads:lead-detail", args=[lead.pk])),
        "inbox": (rep_client, reverse("leads:inbox")),
        "notifications": (rep_client, reverse("scoring:notifications")),
        "outbox": (manager_client, reverse("channels:outbox")),
        "reports": (manager_client, reverse("reports:index")),
        **{
            report.slug: (manager_client, reverse(f"reports:{report.slug}"))
            for report in all_reports()
        },
    }
    return {name: client.get(url) for name, (client, url) in pages.items()}


def test_an_erased_leads_pages_render_without_the_person(
    api_client, workspace, rep, rep_client, manager_client
):
    with time_machine.travel(NOON, tick=False):
        lead = _richly_known_lead(api_client, workspace, rep)
        api_client.delete(reverse("leads:api-lead-detail", args=[lead.pk]))
        responses = _pages(rep_client, manager_client, lead)
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 200)
    shown = {name: r.content.decode() for name, r in responses.items()}
    assert {
        name: [n for n in NEEDLES if n.lower() in html.lower()] for name, html in shown.items()
    } == (dict.fromkeys(shown, []))


def test_an_erased_leads_messages_say_they_were_erased_on_its_page(
    api_client, workspace, rep, rep_client
):
    with time_machine.travel(NOON, tick=False):
        lead = _richly_known_lead(api_client, workspace, rep)
        api_client.delete(reverse("leads:api-lead-detail", args=[lead.pk]))
        response = rep_client.get(reverse("leads:lead-detail", args=[lead.pk]))
    assert response.content.decode().count("Erased with the lead's personal data.") == 5
