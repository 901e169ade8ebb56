"""Reports pages, CSV and API: the same figures everywhere, filters refused with reasons."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import LeadSourceFactory, TeamFactory
from tests.reports.timeline import lead_at

pytestmark = pytest.mark.django_db

MONDAY_10AM = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)
JUNE = {"date_from": "2026-06-01", "date_to": "2026-06-10"}
SPEED = reverse("reports:speed-to-lead")


@pytest.fixture(autouse=True)
def _on_wednesday():
    with time_machine.travel(datetime(2026, 6, 10, 16, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def leads(workspace, rep, manager):
    """Rep: waits of 2 and 4 minutes. Manager: 20 minutes and one untouched lead."""
    return [
        lead_at(workspace, MONDAY_10AM, touch_after=120, owner=rep),
        lead_at(workspace, MONDAY_10AM, touch_after=240, owner=rep),
        lead_at(workspace, MONDAY_10AM, touch_after=1200, owner=manager),
        lead_at(workspace, MONDAY_10AM, owner=manager),
    ]


def _figure(result, key):
    return next(figure.value for figure in result.headline if figure.key == key)


def test_index_lists_every_report_with_its_headline(manager_client, leads):
    response = manager_client.get(reverse("reports:index"), JUNE)
    assert response.status_code == 200
    titles = [card["report"].title for card in response.context["cards"]]
    assert titles == [
        "Speed to lead",
        "SLA attainment",
        "Conversion funnel",
        "Channels",
        "Cadence funnel",
        "Rep leaderboard",
    ]


def test_an_overview_card_loads_its_headline_on_its_own(manager_client, leads):
    response = manager_client.get(SPEED, {**JUNE, "part": "headline"})
    assert response.status_code == 200
    assert response.context["figures"][0].value == 4


def test_a_headline_with_bad_filters_says_what_is_wrong(manager_client, leads):
    response = manager_client.get(SPEED, {"date_to": "tomorrow", "part": "headline"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_report_page_shows_the_figures_as_text_and_as_an_svg_chart(manager_client, leads):
    response = manager_client.get(SPEED, JUNE)
    html = response.content.decode()
    assert response.status_code == 200
    # 120, 240, 1200 -> median 240 s
    assert _figure(response.context["result"], "first_touch_p50") == 240.0
    assert "4 min" in html
    assert 'role="img"' in html
    assert "<title>Share of leads by time to first touch</title>" in html
    assert "Within 5 minutes: 50.0 %." in html  # the chart's description reads the values


def test_a_rep_sees_only_their_own_figures(rep_client, leads):
    response = rep_client.get(SPEED, JUNE)
    assert _figure(response.context["result"], "leads") == 2
    assert "team" not in response.context["form"].fields


def test_a_rep_cannot_ask_for_another_reps_figures(rep_client, manager, leads):
    response = rep_client.get(SPEED, {**JUNE, "rep": manager.pk})
    assert response.status_code == 400
    assert response.context["result"] is None
    assert "Pick a rep of this workspace from the list." in response.content.decode()


def test_a_manager_can_filter_by_rep(manager_client, manager, leads):
    response = manager_client.get(SPEED, {**JUNE, "rep": manager.pk})
    assert _figure(response.context["result"], "first_touch_p50") == 1200.0


def test_a_team_of_another_workspace_is_refused(manager_client, other_workspace):
    foreign = TeamFactory(workspace=other_workspace)
    response = manager_client.get(SPEED, {**JUNE, "team": foreign.pk})
    assert response.status_code == 400
    assert response.context["form"].errors["team"] == [
        "Pick a team of this workspace from the list."
    ]


def test_an_end_before_the_start_is_refused_with_a_message(manager_client):
    response = manager_client.get(SPEED, {"date_from": "2026-06-10", "date_to": "2026-06-01"})
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()


def test_a_range_over_a_year_is_refused(manager_client):
    response = manager_client.get(SPEED, {"date_from": "2025-01-01", "date_to": "2026-06-01"})
    assert response.context["form"].errors["date_from"] == ["Pick a range of at most 366 days."]


def test_without_dates_the_last_thirty_days_are_shown(manager_client):
    filters = manager_client.get(SPEED).context["filters"]
    assert (str(filters.date_from), str(filters.date_to)) == ("2026-05-12", "2026-06-10")


def test_csv_has_every_table_with_raw_numbers(manager_client, leads):
    response = manager_client.get(reverse("reports:speed-to-lead-csv"), JUNE)
    assert response["Content-Type"].startswith("text/csv")
    assert "speed-to-lead-2026-06-01-2026-06-10.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["How fast leads were answered"]
    assert rows[1][:3] == ["Answered", "First touch: leads", "First touch: share (%)"]
    assert rows[2][:3] == ["Within 5 minutes", "2", "50.0"]
    assert ["By hour of arrival (America/New_York)"] in rows


def test_csv_of_one_table(manager_client, leads, rep):
    response = manager_client.get(SPEED, {**JUNE, "format": "csv", "table": "by_rep"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["Rep", "Leads", "Touched", "Median to first touch (seconds)"]
    assert [rep.user.display_name, "2", "2", "180.0"] in [row[:4] for row in rows[1:]]


def test_csv_with_bad_filters_answers_400(manager_client):
    response = manager_client.get(reverse("reports:sla-csv"), {"date_from": "soon"})
    assert response.status_code == 400
    assert b"date_from" in response.content


def test_api_returns_the_pages_figures(api_client, leads):
    body = api_client.get(reverse("reports:api-speed-to-lead"), JUNE).json()
    figures = {figure["key"]: figure["value"] for figure in body["headline"]}
    assert (figures["leads"], figures["first_touch_p50"]) == (4, 240.0)
    assert body["filters"]["time_zone"] == "America/New_York"
    rows = next(t for t in body["tables"] if t["key"] == "bands")["rows"]
    assert rows[0] == {
        "band": "Within 5 minutes",
        "first_touch_leads": 2,
        "first_touch_share": 50.0,
        "human_touch_leads": 0,
        "human_touch_share": 0.0,
    }


def test_api_list_has_each_reports_headline(api_client, leads):
    body = api_client.get(reverse("reports:api-report-list"), JUNE).json()
    assert [report["report"] for report in body["reports"]][:3] == [
        "speed-to-lead",
        "sla",
        "funnel",
    ]
    assert body["reports"][0]["headline"][0] == {
        "key": "leads",
        "label": "Leads",
        "value": 4.0,
        "unit": "count",
    }


def test_api_bad_filters_answer_400_with_field_errors(api_client, other_workspace):
    foreign = LeadSourceFactory(workspace=other_workspace)
    response = api_client.get(
        reverse("reports:api-funnel"), {"source": foreign.pk, "date_to": "June"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "source": ["Pick a source of this workspace from the list."],
        "date_to": ["Enter a valid date."],
    }


def test_api_list_never_counts_another_workspace(api_client, leads, other_workspace):
    lead_at(other_workspace, MONDAY_10AM, touch_after=5)
    body = api_client.get(reverse("reports:api-report-list"), JUNE).json()
    assert body["reports"][0]["headline"][0]["value"] == 4


def test_the_overview_with_bad_filters_shows_why_and_no_figures(manager_client):
    response = manager_client.get(reverse("reports:index"), {"date_to": "tomorrow"})
    assert response.status_code == 400
    assert response.context["cards"] == []
    assert "Enter a valid date." in response.content.decode()


def test_csv_of_an_unknown_table_answers_400(manager_client):
    response = manager_client.get(reverse("reports:funnel-csv"), {"table": "nope"})
    assert response.status_code == 400
