from django.urls import path

from channels import api
from channels.views import outbox, providers, suppressions, unsubscribe, webhooks

app_name = "channels"

webhook_patterns = [
    path("webhooks/twilio/sms/", webhooks.twilio_sms, name="twilio-sms"),
    path("webhooks/twilio/status/", webhooks.twilio_status, name="twilio-status"),
    path("webhooks/twilio/voice/<slug:route>/", webhooks.twilio_voice, name="twilio-voice"),
    path("webhooks/sendgrid/events/", webhooks.sendgrid_events, name="sendgrid-events"),
    path("webhooks/sendgrid/inbound/", webhooks.sendgrid_inbound, name="sendgrid-inbound"),
    path("webhooks/rvm/<slug:provider>/", webhooks.rvm, name="rvm"),
]

settings_patterns = [
    path("settings/channels/", providers.channel_settings_page, name="settings"),
    path(
        "settings/channels/providers/<slug:provider>/",
        providers.provider_account,
        name="provider-account",
    ),
    path("settings/channels/numbers/", providers.number_add, name="number-add"),
    path(
        "settings/channels/numbers/<int:number_id>/default/",
        providers.number_default,
        name="number-default",
    ),
    path(
        "settings/channels/numbers/<int:number_id>/remove/",
        providers.number_remove,
        name="number-remove",
    ),
    path("settings/channels/test/", providers.test_send, name="test-send"),
    path("settings/channels/segments/", providers.sms_segments, name="sms-segments"),
]

outbox_patterns = [
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/<int:message_id>/simulate/", outbox.outbox_simulate, name="outbox-simulate"),
    path("api/v1/outbox/", api.OutboxView.as_view(), name="api-outbox"),
    path(
        "api/v1/outbox/<int:message_id>/simulate/",
        api.OutboxSimulateView.as_view(),
        name="api-outbox-simulate",
    ),
]

# Public: the signed token in every email's unsubscribe link is the only credential.
unsubscribe_patterns = [
    path("u/<str:token>/", unsubscribe.unsubscribe_page, name="unsubscribe"),
]

page_patterns = [
    path("settings/do-not-contact/", suppressions.suppression_list, name="suppressions"),
    path("settings/do-not-contact/add/", suppressions.suppression_add, name="suppression-add"),
    path(
        "settings/do-not-contact/upload/",
        suppressions.suppression_upload,
        name="suppression-upload",
    ),
    path(
        "settings/do-not-contact/<int:suppression_id>/remove/",
        suppressions.suppression_remove,
        name="suppression-remove",
    ),
]

urlpatterns = (
    webhook_patterns + settings_patterns + outbox_patterns + page_patterns + unsubscribe_patterns
)
