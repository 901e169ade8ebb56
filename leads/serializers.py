"""API input and output shapes for leads. Shape only: rules live in the services."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import prefetch_related_objects
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cadences.serializers import EnrollmentOut, prefetch_enrollments
from leadfollow.serializers import StrictCharField, StrictSerializer
from leads.models import Activity, Channel, Lead


class ConsentIn(StrictSerializer):
    """What the person agreed to, where and when."""

    channel = serializers.ChoiceField(choices=Channel.choices)
    text = StrictCharField(max_length=5000)
    captured_at = serializers.DateTimeField(required=False)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=500)


def _text(**kwargs) -> StrictCharField:
    return StrictCharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False, **kwargs
    )


class LeadFieldsIn(StrictSerializer):
    unknown_field_message = "Unknown field. Put extra data in custom_fields."

    first_name = _text()
    last_name = _text()
    email = _text(max_length=254)  # the column's width: a longer address never fits
    phone = _text(max_length=50)
    company = _text()
    title = _text()
    time_zone = _text(max_length=64)
    custom_fields = serializers.DictField(required=False)


class LeadIntakeIn(LeadFieldsIn):
    """A lead from a source. Unknown fields are refused; extra data goes in custom_fields."""

    source = StrictCharField(required=False, max_length=120)
    consent = ConsentIn(required=False)


class LeadBulkIn(StrictSerializer):
    """Up to 500 leads; each item is validated on its own."""

    leads = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=500)


class LeadPatchIn(LeadFieldsIn):
    """The fields to change; the others stay as they are."""

    status = serializers.ChoiceField(choices=Lead.Status.choices, required=False)
    owner = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    do_not_email = serializers.BooleanField(required=False)
    do_not_sms = serializers.BooleanField(required=False)
    do_not_call = serializers.BooleanField(required=False)
    do_not_voicemail = serializers.BooleanField(required=False)


class LeadFilterIn(StrictSerializer):
    """Filters of the lead list; `q` searches names, email, phone and company."""

    status = serializers.ChoiceField(choices=Lead.Status.choices, required=False)
    owner = serializers.IntegerField(required=False, min_value=1)
    source = serializers.IntegerField(required=False, min_value=1)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    q = serializers.CharField(required=False, max_length=100)
    cursor = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200)


class OwnerOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")


def _related(lead: Lead, name: str):
    """A reverse one-to-one (score, SLA clock) or None while the lead has none."""
    try:
        return getattr(lead, name)
    except ObjectDoesNotExist:
        return None


class LeadListOut(serializers.ListSerializer):
    def to_representation(self, data):
        leads = list(data)
        prefetch_related_objects(leads, "score", "sla")  # two queries for a page, not two a lead
        prefetch_enrollments(leads)  # and three for every lead's cadences
        return super().to_representation(leads)


_LEAD_TIMES = (
    "created_at",
    "updated_at",
    "first_touch_at",
    "first_human_touch_at",
    "first_reply_at",
    "last_activity_at",
    "erased_at",
)


class LeadOut(serializers.ModelSerializer):
    company = serializers.CharField(source="account.name", default=None, allow_null=True)
    source = serializers.CharField(source="source.name", default=None, allow_null=True)
    owner = OwnerOut(default=None, allow_null=True)
    score = serializers.SerializerMethodField()
    band = serializers.SerializerMethodField()
    score_breakdown = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()
    enrollments = serializers.SerializerMethodField()

    def get_score(self, lead: Lead) -> int | None:
        score = _related(lead, "score")
        return score.total if score else None

    def get_band(self, lead: Lead) -> str | None:
        score = _related(lead, "score")
        return (score.band or None) if score else None

    def get_score_breakdown(self, lead: Lead) -> list[dict]:
        score = _related(lead, "score")
        return (
            [{"rule": x["name"], "points": x["points"]} for x in score.breakdown] if score else []
        )

    def get_sla(self, lead: Lead) -> dict | None:
        clock = _related(lead, "sla")
        if clock is None:
            return None
        fields = ("started_at", "warn_at", "due_at", "met_at", "breached_at")
        times = {name: getattr(clock, name) and getattr(clock, name).isoformat() for name in fields}
        return {"policy": clock.policy_id, **times}

    @extend_schema_field(EnrollmentOut(many=True))
    def get_enrollments(self, lead: Lead) -> list[dict]:
        """The lead's cadences, newest first: status, current step and next touch."""
        prefetch_enrollments([lead])  # a no-op when the list already fetched them
        return EnrollmentOut(lead.enrollments.all(), many=True).data

    class Meta:
        model = Lead
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "account_id",
            "title",
            "custom_fields",
            "source",
            "owner",
            "status",
            "time_zone",
            "do_not_email",
            "do_not_sms",
            "do_not_call",
            "do_not_voicemail",
            *_LEAD_TIMES,
            "score",
            "band",
            "score_breakdown",
            "sla",
            "enrollments",
        ]
        list_serializer_class = LeadListOut


class IntakeOut(LeadOut):
    merged = serializers.SerializerMethodField()

    class Meta(LeadOut.Meta):
        fields = [*LeadOut.Meta.fields, "merged"]

    def get_merged(self, lead: Lead) -> bool:
        return self.context["merged"]

    def to_representation(self, lead: Lead) -> dict:
        """What the declared fields make of the lead, written out by hand: every lead a source
        sends gets this answer, and building some thirty field objects for each one cost more
        than the rest of the answer. The fields still describe it (the API schema)."""
        owner = lead.owner
        return {
            "id": lead.pk,
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "email": lead.email,
            "phone": lead.phone,
            "company": lead.account.name if lead.account is not None else None,
            "account_id": lead.account_id,
            "title": lead.title,
            "custom_fields": lead.custom_fields,
            "source": lead.source.name if lead.source is not None else None,
            "owner": None
            if owner is None
            else {"id": owner.pk, "name": owner.user.display_name, "email": owner.user.email},
            "status": lead.status,
            "time_zone": lead.time_zone,
            "do_not_email": bool(lead.do_not_email),
            "do_not_sms": bool(lead.do_not_sms),
            "do_not_call": bool(lead.do_not_call),
            "do_not_voicemail": bool(lead.do_not_voicemail),
            **{name: _moment(getattr(lead, name)) for name in _LEAD_TIMES},
            "score": self.get_score(lead),
            "band": self.get_band(lead),
            "score_breakdown": self.get_score_breakdown(lead),
            "sla": self.get_sla(lead),
            "enrollments": [_enrollment(enrollment) for enrollment in _enrollments(lead)],
            "merged": self.get_merged(lead),
        }


def _moment(value: datetime | None) -> str | None:
    """A time as DRF's DateTimeField writes it: ISO 8601 in the current zone, UTC as "Z"."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return f"{text[:-6]}Z" if text.endswith("+00:00") else text


def _enrollments(lead: Lead):
    prefetch_enrollments([lead])  # a no-op when the intake left them on the lead
    return lead.enrollments.all()


def _enrollment(enrollment) -> dict:
    """EnrollmentOut's answer, written out like IntakeOut's."""
    step, touches = enrollment.current_step, None
    if enrollment.is_live:
        touches = EnrollmentOut._open(enrollment)
    touch = touches[0] if touches else None
    return {
        "id": enrollment.pk,
        "cadence": {"id": enrollment.cadence.pk, "name": enrollment.cadence.name},
        "status": enrollment.status,
        "exit_reason": enrollment.exit_reason,
        "current_step": None if step is None else {"position": step.position, "kind": step.kind},
        "next_touch": None
        if touch is None
        else {"due_at": _moment(touch.due_at), "channel": touch.channel, "status": touch.status},
        "enrolled_at": _moment(enrollment.enrolled_at),
        "ended_at": _moment(enrollment.ended_at),
    }


class ActivityOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.user.display_name", default=None, allow_null=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "channel",
            "direction",
            "actor",
            "summary",
            "payload",
            "occurred_at",
        ]


class BulkSummaryOut(serializers.Serializer):
    created = serializers.IntegerField()
    merged = serializers.IntegerField()
    invalid = serializers.IntegerField()


class BulkItemOut(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in `leads`, from 0.")
    status = serializers.ChoiceField(choices=["created", "merged", "invalid"])
    id = serializers.IntegerField(required=False, help_text="The lead's id, unless invalid.")
    errors = serializers.DictField(
        required=False, help_text="The item's field errors, when invalid."
    )


class LeadBulkOut(serializers.Serializer):
    summary = BulkSummaryOut()
    results = BulkItemOut(many=True)
