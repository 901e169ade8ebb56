"""API shapes of the channels app."""

from __future__ import annotations

from rest_framework import serializers

from channels.models import Channel, Message
from channels.outbox import EVENTS_BY_CHANNEL
from leadfollow.serializers import StrictCharField, StrictSerializer

ALL_EVENTS = sorted({event for events in EVENTS_BY_CHANNEL.values() for event in events})


class MessageOut(serializers.ModelSerializer):
    events = serializers.SerializerMethodField(help_text="Events the outbox can simulate on it.")

    class Meta:
        model = Message
        fields = [
            "id",
            "lead",
            "channel",
            "direction",
            "status",
            "to_address",
            "from_address",
            "subject",
            "body_text",
            "segments",
            "provider_message_id",
            "error",
            "details",
            "created_at",
            "sent_at",
            "delivered_at",
            "opened_at",
            "clicked_at",
            "replied_at",
            "events",
        ]

    def get_events(self, message: Message) -> list[str]:
        return list(EVENTS_BY_CHANNEL[message.channel])


class OutboxFilterIn(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    cursor = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200)


class SimulateIn(StrictSerializer):
    event = serializers.ChoiceField(choices=ALL_EVENTS)
    text = StrictCharField(required=False, allow_blank=True, max_length=5000)


class SimulateOut(serializers.Serializer):
    event = serializers.CharField()
    webhook_status = serializers.IntegerField(help_text="What the webhook endpoint answered.")
    message = MessageOut()
