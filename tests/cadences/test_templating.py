from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from cadences.templating import (
    MAX_ERRORS,
    VARIABLES,
    TemplateError,
    TemplateInvalid,
    build_context,
    preview_sample_context,
    render,
    render_html,
    validate,
    variables_used,
)
from leadfollow.tenancy import workspace_scope
from scoring.models import RepAvailability
from tests.factories import (
    AccountFactory,
    HolidayFactory,
    LeadFactory,
    MembershipFactory,
    TimeOffFactory,
    UserFactory,
)

# Friday 12 June 2026, 16:00 in New York: too late for a meeting today, and the weekend is next.
FRIDAY_4PM_NEW_YORK = datetime(2026, 6, 12, 20, 0, tzinfo=UTC)


def _context(workspace, **kwargs) -> dict[str, str | None]:
    kwargs.setdefault("lead", LeadFactory(workspace=workspace, time_zone="America/New_York"))
    with workspace_scope(workspace):
        return build_context(workspace=workspace, **kwargs)


def _meetings(context) -> list[str | None]:
    return [context["meeting.option_1"], context["meeting.option_2"]]


# Validation


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for reaching out, we'll call you today.",
        "Hi {{ lead.first_name }},",
        "Hi {{lead.first_name}},",
        'Hi {{ lead.first_name | "there" }},',
        "Hi {{ lead.first_name | 'there' }},",
        "Hi {{lead.first_name|'there'}},",
        'Sent from {{ workspace.name | "" }}',
        "Prices in {curly braces} and a lone }} are just text.",
        '{{ account.name | "{your team}" }} and {{ owner.full_name | "}}" }}',
        "{{\n  unsubscribe_url\n}}",
        "Does {{ meeting.option_1 }} or {{ meeting.option_2 }} work? It's {{ lead.local_time }}.",
    ],
)
def test_valid_template_has_no_errors(text):
    assert validate(text) == []


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("Hi {{ lead.first_name", 1, 4, "“{{” is never closed"),
        ("Hi\n{{ lead.first_name }\nthanks", 2, 1, "“{{” is never closed"),
        ("Hi {{ }} there", 1, 4, "is empty"),
        ("Hi {{}} there", 1, 4, "is empty"),
        ("Hi {{ lead.frist_name }}", 1, 7, "“lead.frist_name” is not a variable"),
        ("Hi {{ lead.first_name | there }}", 1, 25, "write the fallback in quotes"),
        ('Hi {{ lead.first_name | "there }}', 1, 25, 'quote " is never closed'),
        ("Hi {{ lead.first_name | 'there\n' }}", 1, 25, "quote ' is never closed"),
        ("Hi {{ {{ lead.first_name }} }}", 1, 7, "Braces cannot be nested"),
        ("Hi {{ lead.first_name {{ lead.last_name }}", 1, 23, "Braces cannot be nested"),
        ("Hi {{ lead.first name }}", 1, 18, "found “name”"),
        ('Hi {{ | "there" }}', 1, 7, "Start with a variable name"),
        ('Hi {{ "there" }}', 1, 7, "Start with a variable name"),
        ('Hi {{ lead.first_name | "a" "b" }}', 1, 29, 'found “"b"”'),
    ],
)
def test_invalid_template_reports_where_and_what(text, line, column, words):
    [error] = validate(text)
    assert (error.line, error.column) == (line, column)
    assert words in error.message


def test_error_reads_as_one_sentence_with_a_suggestion_for_a_typo():
    [error] = validate("Hello,\nThanks, {{ lead.frist_name }}!")
    assert str(error) == (
        "Line 2, column 12: “lead.frist_name” is not a variable. Did you mean lead.first_name?"
    )


def test_suggestion_ignores_case():
    [error] = validate("{{ Lead.First_Name }}")
    assert error.message.endswith("Did you mean lead.first_name?")


def test_every_mistake_is_reported_in_reading_order():
    errors = validate("{{ lead.nmae }} and {{ }}\n{{ owner.emial }}")
    assert [(error.line, error.column) for error in errors] == [(1, 4), (1, 21), (2, 4)]


def test_errors_stop_after_a_screenful():
    assert len(validate("{{ }}" * 1000)) == MAX_ERRORS


@pytest.mark.parametrize(
    "text",
    [
        "{{ lead.__class__ }}",
        "{{ lead.email.upper }}",
        "{{ lead }}",
        "{{ lead.owner.user.password }}",
        "{{ lead.custom_fields }}",
        "{{ __import__('os').system('ls') }}",
        "{{ lead.first_name.__len__ }}",
    ],
)
def test_anything_beyond_the_listed_variables_is_refused(text):
    assert validate(text)


def test_unknown_variable_cannot_be_rendered_even_when_the_context_has_it():
    with pytest.raises(TemplateInvalid) as caught:
        render("{{ lead.password }}", {"lead.password": "secret"})
    assert caught.value.template_errors == [
        TemplateError(1, 4, "“lead.password” is not a variable. Did you mean lead.phone?")
    ]


def test_variables_used_lists_each_variable_once():
    text = 'Hi {{ lead.first_name | "there" }}, {{ lead.first_name }} at {{account.name}}'
    assert variables_used(text) == {"lead.first_name", "account.name"}


# Rendering


def test_render_inserts_values_as_plain_text():
    rendered = render("Hi {{ lead.first_name }} & co", {"lead.first_name": "<Ana>"})
    assert (rendered.text, rendered.missing) == ("Hi <Ana> & co", [])


@pytest.mark.parametrize("context", [{}, {"lead.first_name": None}, {"lead.first_name": ""}])
def test_fallback_stands_in_for_a_missing_value(context):
    rendered = render('Hi {{ lead.first_name | "there" }},', context)
    assert (rendered.text, rendered.missing) == ("Hi there,", [])


def test_fallback_stands_in_for_a_blank_value():
    rendered = render("Hi {{ lead.first_name | 'there' }},", {"lead.first_name": "  "})
    assert rendered.text == "Hi there,"


def test_value_wins_over_the_fallback():
    rendered = render('Hi {{ lead.first_name | "there" }},', {"lead.first_name": "Ana"})
    assert rendered.text == "Hi Ana,"


def test_missing_value_without_fallback_is_reported_once():
    text = "{{ meeting.option_1 }} or {{ meeting.option_2 }}? Reply to {{ meeting.option_1 }}"
    rendered = render(text, {"meeting.option_2": "Tue 16 Jun at 9:00 AM"})
    assert rendered.missing == ["meeting.option_1"]


def test_html_escapes_inserted_values():
    context = {"lead.first_name": '<script>alert("x")</script>'}
    rendered = render_html("Hi {{ lead.first_name }},", context)
    assert rendered.text == "<p>Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;,</p>"


def test_html_escapes_the_template_text_and_the_fallback():
    rendered = render_html('<b>Tom & Jerry</b> {{ lead.first_name | "<i>friend</i>" }}', {})
    assert rendered.text == ("<p>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; &lt;i&gt;friend&lt;/i&gt;</p>")


def test_html_turns_blank_lines_into_paragraphs_and_newlines_into_breaks():
    text = "Hi {{ lead.first_name }},\r\n\r\nQuick question.\nAre you free?\n\n\n— Sam\n"
    rendered = render_html(text, {"lead.first_name": "Ana"})
    assert rendered.text == (
        "<p>Hi Ana,</p>\n<p>Quick question.<br>\nAre you free?</p>\n<p>— Sam</p>"
    )


def test_html_links_the_unsubscribe_url():
    url = "https://app.example/u/abc?x=1&y=2"
    rendered = render_html("Stop: {{ unsubscribe_url }}", {"unsubscribe_url": url})
    link = "https://app.example/u/abc?x=1&amp;y=2"
    assert rendered.text == f'<p>Stop: <a href="{link}">{link}</a></p>'


def test_html_does_not_link_a_url_that_is_not_http():
    rendered = render_html("{{ unsubscribe_url }}", {"unsubscribe_url": "javascript:alert(1)"})
    assert rendered.text == "<p>javascript:alert(1)</p>"


# Context


def test_sample_context_fills_every_variable():
    sample = preview_sample_context(now=FRIDAY_4PM_NEW_YORK)
    assert set(sample) == set(VARIABLES)
    assert all(sample.values())


def test_context_fills_lead_account_owner_and_workspace(workspace):
    owner = MembershipFactory(
        workspace=workspace,
        user=UserFactory(first_name="Sam", last_name="Okafor", email="sam@acme.example"),
    )
    lead = LeadFactory(
        workspace=workspace,
        first_name="Ana",
        last_name="Lima",
        title="Office Manager",
        account=AccountFactory(workspace=workspace, name="Brightside Dental"),
    )
    context = _context(workspace, lead=lead, owner_membership=owner, unsubscribe_url="https://u")
    clock_and_meetings = ("lead.local_time", "meeting.option_1", "meeting.option_2")
    assert {name: value for name, value in context.items() if name not in clock_and_meetings} == {
        "lead.first_name": "Ana",
        "lead.last_name": "Lima",
        "lead.full_name": "Ana Lima",
        "lead.email": lead.email,
        "lead.phone": lead.phone,
        "lead.title": "Office Manager",
        "lead.company": "Brightside Dental",
        "account.name": "Brightside Dental",
        "owner.first_name": "Sam",
        "owner.last_name": "Okafor",
        "owner.full_name": "Sam Okafor",
        "owner.email": "sam@acme.example",
        "workspace.name": "Acme Roofing",
        "unsubscribe_url": "https://u",
    }


def test_context_has_a_value_slot_for_every_listed_variable(workspace):
    assert set(_context(workspace, meeting_slots=())) == set(VARIABLES)


def test_context_without_account_owner_or_name_leaves_them_empty(workspace):
    lead = LeadFactory(workspace=workspace, first_name="", last_name="", title="", account=None)
    context = _context(workspace, lead=lead)
    empty = [name for name, value in context.items() if value is None]
    assert sorted(empty) == [
        "account.name",
        "lead.company",
        "lead.first_name",
        "lead.full_name",
        "lead.last_name",
        "lead.title",
        "owner.email",
        "owner.first_name",
        "owner.full_name",
        "owner.last_name",
        "unsubscribe_url",
    ]


def test_context_lets_a_template_fall_back_when_the_lead_has_no_first_name(workspace):
    context = _context(workspace, lead=LeadFactory(workspace=workspace, first_name=""))
    assert render('Hi {{ lead.first_name | "there" }},', context).text == "Hi there,"


@pytest.mark.parametrize(
    ("lead_fields", "expected"),
    [
        ({"time_zone": "America/Los_Angeles"}, "11:30 AM"),  # the lead's own zone
        ({"time_zone": "", "phone": "+442079460958"}, "7:30 PM"),  # London, from the number
        ({"time_zone": "", "phone": None}, "2:30 PM"),  # the workspace's (New York)
        ({"time_zone": "Europe/Paris"}, "8:30 PM"),
    ],
)
def test_local_time_is_the_leads_time_of_day(workspace, lead_fields, expected):
    lead = LeadFactory(workspace=workspace, **lead_fields)
    with time_machine.travel(datetime(2026, 6, 10, 18, 30, tzinfo=UTC), tick=False):
        context = _context(workspace, lead=lead, meeting_slots=())
    assert context["lead.local_time"] == expected


# Meeting times


def test_meeting_times_skip_the_weekend_in_business_hours(workspace):
    with time_machine.travel(FRIDAY_4PM_NEW_YORK, tick=False):
        context = _context(workspace)
    assert _meetings(context) == ["Mon 15 Jun at 9:00 AM", "Tue 16 Jun at 9:00 AM"]


def test_meeting_times_are_shown_in_the_leads_time_zone(workspace):
    lead = LeadFactory(workspace=workspace, time_zone="Europe/London")
    with time_machine.travel(FRIDAY_4PM_NEW_YORK, tick=False):
        context = _context(workspace, lead=lead)
    assert _meetings(context) == ["Mon 15 Jun at 2:00 PM", "Tue 16 Jun at 2:00 PM"]


def test_meeting_times_give_two_hours_notice_on_the_half_hour_then_another_day(workspace):
    tuesday_10_10 = datetime(2026, 6, 16, 14, 10, tzinfo=UTC)
    with time_machine.travel(tuesday_10_10, tick=False):
        context = _context(workspace)
    assert _meetings(context) == ["Tue 16 Jun at 12:30 PM", "Wed 17 Jun at 9:00 AM"]


def test_meeting_times_follow_the_owners_working_hours_and_zone(workspace, rep):
    RepAvailability.objects.create(
        workspace=workspace,
        membership=rep,
        time_zone="Europe/London",
        working_hours={"5": [["10:00", "12:00"]], "1": [["15:00", "16:00"], ["08:00", "09:00"]]},
    )
    with time_machine.travel(FRIDAY_4PM_NEW_YORK, tick=False):
        context = _context(workspace, owner_membership=rep)
    # Saturday 10:00 and Tuesday 08:00 in London, told to a lead in New York.
    assert _meetings(context) == ["Sat 13 Jun at 5:00 AM", "Tue 16 Jun at 3:00 AM"]


def test_meeting_times_use_business_hours_for_an_owner_without_availability(workspace, rep):
    with time_machine.travel(FRIDAY_4PM_NEW_YORK, tick=False):
        context = _context(workspace, owner_membership=rep)
    assert _meetings(context) == ["Mon 15 Jun at 9:00 AM", "Tue 16 Jun at 9:00 AM"]


def test_meeting_times_avoid_the_owners_time_off(workspace, rep):
    TimeOffFactory(
        workspace=workspace,
        membership=rep,
        starts_at=datetime(2026, 6, 15, 4, 0, tzinfo=UTC),
        ends_at=datetime(2026, 6, 16, 14, 0, tzinfo=UTC),  # back Tuesday 10:00
    )
    with time_machine.travel(FRIDAY_4PM_NEW_YORK, tick=False):
        context = _context(workspace, owner_membership=rep)
    assert _meetings(context) == ["Tue 16 Jun at 10:00 AM", "Wed 17 Jun at 9:00 AM"]


def test_meeting_times_skip_holidays(workspace):
    HolidayFactory(workspace=workspace, date=date(2026, 6, 15))
    with time_machine.travel(FRIDAY_4PM_NEW_YORK, tick=False):
        context = _context(workspace)
    assert _meetings(context) == ["Tue 16 Jun at 9:00 AM", "Wed 17 Jun at 9:00 AM"]


def test_meeting_times_keep_nine_am_across_a_dst_change(workspace):
    lead = LeadFactory(workspace=workspace, time_zone="Europe/London")  # still on GMT
    friday_4pm_est = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)  # US clocks go forward Sunday
    with time_machine.travel(friday_4pm_est, tick=False):
        context = _context(workspace, lead=lead)
    assert _meetings(context) == ["Mon 9 Mar at 1:00 PM", "Tue 10 Mar at 1:00 PM"]


def test_meeting_times_are_missing_when_the_owner_never_works(workspace, rep):
    RepAvailability.objects.create(workspace=workspace, membership=rep, working_hours={})
    context = _context(workspace, owner_membership=rep)
    rendered = render("Free {{ meeting.option_1 }}?", context)
    assert rendered.missing == ["meeting.option_1"]


def test_given_meeting_slots_are_formatted_in_the_leads_zone(workspace):
    lead = LeadFactory(workspace=workspace, time_zone="Asia/Tokyo")
    slot = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    context = _context(workspace, lead=lead, meeting_slots=[slot, slot + timedelta(days=1)])
    assert _meetings(context) == ["Tue 24 Nov at 10:00 AM", "Wed 25 Nov at 10:00 AM"]
