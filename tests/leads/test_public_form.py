import pytest
from django.test import Client
from django.urls import reverse

from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Consent, Lead
from leads.source_forms import HONEYPOT, MAX_EXTRA_FIELDS, MAX_EXTRA_VALUE
from tests.factories import LeadFactory, LeadSourceFactory, MembershipFactory

pytestmark = pytest.mark.django_db

CONSENT = "Yes, Acme Roofing may text me about my quote. Msg & data rates may apply."
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"
VISITOR = {"first_name": "Dana", "last_name": "Kim", "email": "dana@harborview.example"}


@pytest.fixture
def source(workspace):
    return LeadSourceFactory(workspace=workspace, kind="form", name="Website", consent_text=CONSENT)


def _form(source) -> str:
    return reverse("leads:public-form", args=[source.form_token])


def _submit(source) -> str:
    return reverse("leads:public-form-submit", args=[source.form_token])


def _leads(workspace) -> list[Lead]:
    with workspace_scope(workspace):
        return list(Lead.objects.select_related("source", "account").order_by("pk"))


def _consents(workspace) -> list[Consent]:
    with workspace_scope(workspace):
        return list(Consent.objects.all())


# The hosted form


def test_hosted_form_shows_the_workspace_name(client, source):
    assert "Acme Roofing" in client.get(_form(source)).content.decode()


def test_hosted_form_shows_the_consent_wording_by_its_checkbox(client, source):
    html = client.get(_form(source)).content.decode()
    assert '<input type="checkbox" name="consent"' in html
    assert '<label for="lf_consent">Yes, Acme Roofing may text me about my quote. Msg &amp;' in html


def test_hosted_form_without_consent_wording_has_no_checkbox(client, workspace):
    source = LeadSourceFactory(workspace=workspace, kind="form")
    assert 'name="consent"' not in client.get(_form(source)).content.decode()


def test_hosted_form_hides_the_honeypot_from_people(client, source):
    html = client.get(_form(source)).content.decode()
    assert '<div class="public__trap" aria-hidden="true">' in html
    assert f'name="{HONEYPOT}" id="lf_{HONEYPOT}" value="" tabindex="-1" autocomplete="off"' in html


def test_unknown_address_is_a_404_that_names_nothing(client, source):
    response = client.get("/f/not-a-real-token/")
    assert response.status_code == 404
    assert "Acme Roofing" not in response.content.decode()


def test_switched_off_form_is_a_404(client, workspace):
    source = LeadSourceFactory(workspace=workspace, kind="form", is_active=False)
    response = client.get(_form(source))
    assert response.status_code == 404
    assert workspace.name not in response.content.decode()


def test_api_source_has_no_hosted_form(client, workspace):
    source = LeadSourceFactory(workspace=workspace, kind="api")
    assert client.get(_form(source)).status_code == 404


def test_posting_to_a_switched_off_form_writes_nothing(client, workspace):
    source = LeadSourceFactory(workspace=workspace, kind="form", is_active=False)
    response = client.post(_submit(source), VISITOR)
    assert response.status_code == 404
    assert _leads(workspace) == []


# Framing: only the public form may be put in a frame


def test_hosted_form_may_be_framed_by_any_site(client, source):
    response = client.get(_form(source))
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_thank_you_page_may_be_framed_by_any_site(client, source):
    response = client.post(_submit(source), VISITOR)
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_the_rest_of_the_app_stays_frame_denied(manager_client, source):
    response = manager_client.get(reverse("leads:source-detail", args=[source.pk]))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_form_with_a_redirect_may_post_on_to_that_site(client, workspace):
    source = LeadSourceFactory(
        workspace=workspace, kind="form", redirect_url="https://acme.example/thanks?from=form"
    )
    policy = client.get(_form(source)).headers["Content-Security-Policy"]
    assert "form-action 'self' https://acme.example" in policy


# Submitting


def test_submit_creates_a_lead_from_the_source(client, workspace, source):
    client.post(_submit(source), {**VISITOR, "phone": "(212) 555-0143", "company": "Harborview"})
    [lead] = _leads(workspace)
    assert (lead.email, lead.phone, lead.source, lead.account.name) == (
        "dana@harborview.example",
        "+12125550143",
        source,
        "Harborview",
    )


def test_submit_shows_the_source_thank_you_message(client, workspace):
    source = LeadSourceFactory(
        workspace=workspace, kind="form", thank_you_message="We call back within the hour."
    )
    response = client.post(_submit(source), VISITOR)
    assert response.status_code == 200
    assert "We call back within the hour." in response.content.decode()


def test_submit_logs_that_the_lead_came_through_the_form(client, workspace, source):
    client.post(_submit(source), VISITOR)
    with workspace_scope(workspace):
        created = Activity.objects.get(kind=Activity.Kind.CREATED)
    assert created.payload == {"via": "form", "source": "Website"}


def test_ticked_consent_is_stored_with_exact_wording_address_and_browser(client, workspace, source):
    client.post(
        _submit(source),
        {**VISITOR, "phone": "2125550143", "consent": "on"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT=BROWSER,
        HTTP_REFERER="https://acme.example/contact",
    )
    consent = _consents(workspace)[0]
    assert (consent.text, consent.ip_address, consent.user_agent, consent.source_url) == (
        CONSENT,
        "203.0.113.9",
        BROWSER,
        "https://acme.example/contact",
    )


def test_consent_covers_each_channel_the_wording_agrees_to(client, workspace, source):
    client.post(_submit(source), {**VISITOR, "phone": "2125550143", "consent": "on"})
    assert sorted(consent.channel for consent in _consents(workspace)) == [
        "call",
        "sms",
        "voicemail",
    ]


def test_consent_for_phone_channels_needs_a_phone_number(client, workspace, source):
    client.post(_submit(source), {**VISITOR, "consent": "on"})
    assert _consents(workspace) == []


def test_consent_to_email_is_recorded_for_an_email_only_visitor(client, workspace, source):
    with workspace_scope(workspace):
        source.consent_channels = ["email"]
        source.save()
    client.post(_submit(source), {**VISITOR, "consent": "on"})
    assert [consent.channel for consent in _consents(workspace)] == ["email"]


def test_unticked_consent_stores_none(client, workspace, source):
    client.post(_submit(source), VISITOR)
    assert _consents(workspace) == []


def test_forwarded_address_is_ignored_without_a_trusted_proxy(client, workspace, source):
    client.post(
        _submit(source),
        {**VISITOR, "phone": "2125550143", "consent": "on"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert _consents(workspace)[0].ip_address == "203.0.113.9"


def test_forwarded_address_is_used_behind_a_trusted_proxy(client, settings, workspace, source):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        _submit(source),
        {**VISITOR, "phone": "2125550143", "consent": "on"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7",
    )
    assert _consents(workspace)[0].ip_address == "198.51.100.7"


def test_post_from_another_site_needs_no_csrf_token(workspace, source):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_submit(source), VISITOR).status_code == 200
    assert len(_leads(workspace)) == 1


@pytest.mark.parametrize(
    ("posted", "field", "expected"),
    [
        ({"your-email": "dana@harborview.example"}, "email", "dana@harborview.example"),
        ({"email_address": "dana@harborview.example"}, "email", "dana@harborview.example"),
        ({"email": "d@x.example", "phone_number": "2125550143"}, "phone", "+12125550143"),
        ({"email": "d@x.example", "tel": "2125550143"}, "phone", "+12125550143"),
        ({"email": "d@x.example", "First Name": "Dana"}, "first_name", "Dana"),
        ({"email": "d@x.example", "surname": "Kim"}, "last_name", "Kim"),
    ],
)
def test_existing_site_field_names_are_understood(
    client, workspace, source, posted, field, expected
):
    client.post(_submit(source), posted)
    assert getattr(_leads(workspace)[0], field) == expected


@pytest.mark.parametrize("alias", ["company", "organization", "organisation", "company_name"])
def test_company_aliases_name_the_account(client, workspace, source, alias):
    client.post(_submit(source), {"email": "d@x.example", alias: "Harborview Dental"})
    assert _leads(workspace)[0].account.name == "Harborview Dental"


@pytest.mark.parametrize("alias", ["name", "full_name", "your-name"])
def test_a_single_name_field_is_split_into_first_and_last(client, workspace, source, alias):
    client.post(_submit(source), {"email": "d@x.example", alias: "Dana Lee Kim"})
    lead = _leads(workspace)[0]
    assert (lead.first_name, lead.last_name) == ("Dana", "Lee Kim")


@pytest.mark.parametrize("alias", ["message", "comments", "your-message"])
def test_the_message_is_kept_with_the_lead(client, workspace, source, alias):
    client.post(_submit(source), {**VISITOR, alias: "Leaking roof over the garage."})
    assert _leads(workspace)[0].custom_fields == {"message": "Leaking roof over the garage."}


def test_unknown_fields_are_kept_as_custom_fields(client, workspace, source):
    client.post(_submit(source), {**VISITOR, "utm_source": "google", "Roof type": "Slate"})
    assert _leads(workspace)[0].custom_fields == {"utm_source": "google", "Roof type": "Slate"}


def test_form_plumbing_is_not_kept(client, workspace, source):
    client.post(
        _submit(source),
        {**VISITOR, "csrfmiddlewaretoken": "abc", "_wpcf7": "12", "g-recaptcha-response": "x"},
    )
    assert _leads(workspace)[0].custom_fields == {}


def test_unknown_fields_are_capped_in_number(client, workspace, source):
    extras = {f"extra_{n:02d}": "x" for n in range(MAX_EXTRA_FIELDS + 15)}
    client.post(_submit(source), {**VISITOR, **extras})
    assert len(_leads(workspace)[0].custom_fields) == MAX_EXTRA_FIELDS


def test_unknown_field_values_are_capped_in_size(client, workspace, source):
    client.post(_submit(source), {**VISITOR, "notes_long": "y" * (MAX_EXTRA_VALUE * 3)})
    assert len(_leads(workspace)[0].custom_fields["notes_long"]) == MAX_EXTRA_VALUE


def test_json_body_is_read_like_a_form(client, workspace, source):
    client.post(_submit(source), VISITOR, content_type="application/json")
    assert _leads(workspace)[0].email == "dana@harborview.example"


def test_repeat_submission_merges_into_the_same_lead(client, workspace, source):
    LeadFactory(workspace=workspace, email="dana@harborview.example", phone=None)
    client.post(_submit(source), {**VISITOR, "phone": "2125550143"})
    [lead] = _leads(workspace)
    assert lead.phone == "+12125550143"


# Spam and abuse


def test_filled_honeypot_looks_like_success(client, source):
    honest = client.post(_submit(source), {**VISITOR, "email": "a@x.example"})
    spam = client.post(_submit(source), {**VISITOR, HONEYPOT: "http://spam.example"})
    assert (spam.status_code, spam.content) == (honest.status_code, honest.content)


def test_filled_honeypot_writes_nothing(client, workspace, source):
    client.post(_submit(source), {**VISITOR, HONEYPOT: "http://spam.example", "consent": "on"})
    assert (_leads(workspace), _consents(workspace)) == ([], [])


def test_too_many_posts_from_one_address_get_a_429(client, settings, workspace, source):
    settings.FORM_RATE_LIMIT = 2
    for n in range(2):
        client.post(_submit(source), {"email": f"v{n}@x.example"}, REMOTE_ADDR="203.0.113.9")
    response = client.post(_submit(source), {"email": "v3@x.example"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert "try again a little later" in response.content.decode()
    assert len(_leads(workspace)) == 2


def test_rate_limit_tells_when_to_retry(client, settings, source):
    settings.FORM_RATE_LIMIT = 0
    response = client.post(_submit(source), VISITOR)
    assert response["Retry-After"] == str(settings.FORM_RATE_WINDOW_SECONDS)


def test_rate_limit_counts_each_address_apart(client, settings, workspace, source):
    settings.FORM_RATE_LIMIT = 1
    client.post(_submit(source), {"email": "a@x.example"}, REMOTE_ADDR="203.0.113.9")
    response = client.post(_submit(source), {"email": "b@x.example"}, REMOTE_ADDR="203.0.113.10")
    assert response.status_code == 200


# Outcomes


def test_source_with_a_redirect_sends_the_visitor_there(client, workspace):
    source = LeadSourceFactory(
        workspace=workspace, kind="form", redirect_url="https://acme.example/thanks"
    )
    response = client.post(_submit(source), VISITOR)
    assert (response.status_code, response["Location"]) == (303, "https://acme.example/thanks")


def test_bad_submission_shows_the_form_again_with_messages_and_values(client, workspace, source):
    response = client.post(
        _submit(source), {"first_name": "Dana", "email": "dana@", "message": "Roof leak"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "“dana@” is not a valid email address." in html
    assert 'value="Dana"' in html
    assert ">\nRoof leak</textarea>" in html
    assert _leads(workspace) == []


def test_submission_without_email_or_phone_says_what_is_missing(client, source):
    response = client.post(_submit(source), {"first_name": "Dana"})
    assert "Give at least an email address or a phone number." in response.content.decode()


def test_re_shown_form_keeps_the_extra_fields_of_an_existing_site(client, source):
    response = client.post(_submit(source), {"email": "dana@", "utm_source": "google"})
    assert '<input type="hidden" name="utm_source" value="google">' in response.content.decode()


def test_json_client_gets_400_with_field_errors(client, source):
    response = client.post(_submit(source), {"email": "dana@"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json() == {"email": ["“dana@” is not a valid email address."]}


def test_json_client_gets_the_thank_you_message(client, workspace):
    source = LeadSourceFactory(workspace=workspace, kind="form", thank_you_message="Thanks!")
    response = client.post(_submit(source), VISITOR, HTTP_ACCEPT="application/json")
    assert response.json() == {"status": "received", "message": "Thanks!", "redirect_url": ""}


def test_member_of_another_workspace_submits_into_the_form_workspace(
    other_workspace, workspace, source
):
    stranger = Client()
    stranger.force_login(MembershipFactory(workspace=other_workspace).user)
    stranger.post(_submit(source), VISITOR)
    assert [lead.email for lead in _leads(workspace)] == ["dana@harborview.example"]
    assert _leads(other_workspace) == []
