import pytest

from channels.services import suppress_address
from leadfollow.tenancy import workspace_scope
from leads.models import Account, Activity, Lead
from leads.services import intake_lead
from leads.services.changes import erase_lead

pytestmark = pytest.mark.django_db


def _intake(workspace, **fields):
    with workspace_scope(workspace):
        return intake_lead(workspace=workspace, fields=fields)


def test_business_email_domain_joins_the_same_account(workspace):
    first = _intake(workspace, email="ann@globex.example", company="Globex")
    second = _intake(workspace, email="bob@globex.example")
    assert second.lead.account_id == first.lead.account_id
    with workspace_scope(workspace):
        assert Account.objects.get().domain == "globex.example"


def test_free_mail_address_makes_no_account(workspace):
    result = _intake(workspace, email="ann@gmail.com")
    assert result.lead.account is None


def test_company_name_without_business_domain_matches_case_insensitively(workspace):
    first = _intake(workspace, email="ann@gmail.com", company="Initech")
    second = _intake(workspace, email="bob@yahoo.com", company="INITECH")
    assert first.lead.account_id == second.lead.account_id


def test_time_zone_comes_from_the_phone_number(workspace):
    result = _intake(workspace, phone="+1 415 555 2671")
    assert result.lead.time_zone == "America/Los_Angeles"


def test_explicit_time_zone_wins_over_the_phone(workspace):
    result = _intake(workspace, phone="+1 415 555 2671", time_zone="Europe/Paris")
    assert result.lead.time_zone == "Europe/Paris"


def test_phone_added_by_a_re_inquiry_gives_the_lead_its_time_zone(workspace):
    _intake(workspace, email="ann@acme.example")
    result = _intake(workspace, email="ann@acme.example", phone="+1 415 555 2671")
    assert result.lead.time_zone == "America/Los_Angeles"


def test_local_number_uses_the_workspace_region(workspace):
    workspace.default_region = "GB"
    workspace.save()
    result = _intake(workspace, phone="020 7946 0958")
    assert result.lead.phone == "+442079460958"


def test_email_match_wins_when_email_and_phone_match_different_leads(workspace):
    by_email = _intake(workspace, email="ann@acme.example").lead
    by_phone = _intake(workspace, phone="+14155552671").lead
    result = _intake(workspace, email="ann@acme.example", phone="+14155552671")
    assert result.lead == by_email
    with workspace_scope(workspace):
        by_email.refresh_from_db()
        activity = Activity.objects.get(lead=by_email, kind=Activity.Kind.RE_INQUIRY)
    assert by_email.phone is None  # the number belongs to the other lead
    assert activity.payload["also_matched"] == [by_phone.pk]


def test_repeat_inquiry_keeps_the_first_values_and_logs_the_new_ones(workspace):
    _intake(workspace, email="ann@acme.example", first_name="Ann", custom_fields={"budget": "5k"})
    result = _intake(
        workspace, email="ANN@acme.example", first_name="Anne", custom_fields={"budget": "9k"}
    )
    with workspace_scope(workspace):
        activity = Activity.objects.get(kind=Activity.Kind.RE_INQUIRY)
    assert result.lead.first_name == "Ann"
    assert activity.payload["differing"] == {"first_name": "Anne", "custom_fields.budget": "9k"}


def test_erased_person_returning_is_saved_but_never_contacted(workspace):
    lead = _intake(workspace, email="ann@acme.example", phone="+14155552671").lead
    with workspace_scope(workspace):
        erase_lead(workspace=workspace, lead_id=lead.pk)
    again = _intake(workspace, email="ann@acme.example", phone="+14155552671").lead
    assert again.pk != lead.pk
    assert (again.do_not_email, again.do_not_sms, again.do_not_call, again.do_not_voicemail) == (
        True,
        True,
        True,
        True,
    )


def test_opted_out_number_flags_only_its_channel(workspace):
    with workspace_scope(workspace):
        suppress_address(
            workspace=workspace, channel="sms", address="+14155552671", reason="opt_out"
        )
    lead = _intake(workspace, phone="+14155552671").lead
    assert (lead.do_not_sms, lead.do_not_call) == (True, False)


def test_erase_removes_personal_data_and_keeps_the_row(workspace):
    lead = _intake(workspace, email="ann@acme.example", first_name="Ann").lead
    with workspace_scope(workspace):
        erase_lead(workspace=workspace, lead_id=lead.pk)
        lead = Lead.objects.get(pk=lead.pk)
        summaries = set(Activity.objects.filter(lead=lead).values_list("summary", flat=True))
    assert (lead.email, lead.first_name, lead.display_name) == (None, "", "Erased lead")
    assert summaries == {"", "Personal data erased on request"}
