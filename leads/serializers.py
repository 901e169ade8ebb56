"""API input and output shapes for leads. Shape only: rules live in the services."""

from __future__ import annotations

from rest_framework import serializers

from leadfollow.serializers import StrictCharField, StrictSerializer
from leads.models import Activity, Channel, Lead


class ConsentIn(StrictSerializer):
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
    email = _text()
    phone = _text()
    company = _text()
    title = _text()
    time_zone = _text()
    custom_fields = serializers.DictField(required=False)


class LeadIntakeIn(LeadFieldsIn):
    source = StrictCharField(required=False, max_length=120)
    consent = ConsentIn(required=False)


class LeadBulkIn(StrictSerializer):
    leads = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=500)


class LeadPatchIn(LeadFieldsIn):
    status = serializers.ChoiceField(choices=Lead.Status.choices, required=False)
    owner = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    do_not_email = serializers.BooleanField(required=False)
    do_not_sms = serializers.BooleanField(required=False)
    do_not_call = serializers.BooleanField(required=False)
    do_not_voicemail = serializers.BooleanField(required=False)


class LeadFilterIn(StrictSerializer):
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


class LeadOut(serializers.ModelSerializer):
    company = serializers.CharField(source="account.name", default=None)
    source = serializers.CharField(source="source.name", default=None)
    owner = OwnerOut(default=None)

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
            "created_at",
            "updated_at",
            "first_touch_at",
            "first_human_touch_at",
            "first_reply_at",
            "last_activity_at",
            "erased_at",
        ]


class IntakeOut(LeadOut):
    merged = serializers.SerializerMethodField()

    class Meta(LeadOut.Meta):
        fields = [*LeadOut.Meta.fields, "merged"]

    def get_merged(self, lead: Lead) -> bool:
        return self.context["merged"]


class ActivityOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.user.display_name", default=None)

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
