import pytest
from django.urls import reverse

from leadfollow.errors import InvalidInput, NotFound
from leadfollow.tenancy import workspace_scope
from leads.models import LeadSource
from leads.services import sources
from tests.factories import LeadFactory, LeadSourceFactory

pytestmark = pytest.mark.django_db

LIST = reverse("leads:source-list")
NEW = reverse("leads:source-new")
CONSENT = "Yes, Acme Roofing may text and call me about my quote. Reply STOP to opt out."


def _detail(source) -> str:
    return reverse("leads:source-detail", args=[source.pk])


def _reload(workspace, source) -> LeadSource:
    with workspace_scope(workspace):
        return LeadSource.objects.get(pk=source.pk)


def _form_source(workspace, **kwargs) -> LeadSource:
    return LeadSourceFactory(workspace=workspace, kind="form", **kwargs)


# The service


def test_create_source_saves_every_setting(workspace, manager):
    with workspace_scope(workspace):
        source = sources.create_source(
            workspace=workspace,
            name="  Website contact form ",
            kind="form",
            consent_text=CONSENT,
            thank_you_message="Thanks, we call back within the hour.",
            redirect_url="https://acme.example/thanks",
            actor=manager,
        )
    saved = _reload(workspace, source)
    assert (saved.name, saved.kind, saved.consent_text, saved.redirect_url) == (
        "Website contact form",
        "form",
        CONSENT,
        "https://acme.example/thanks",
    )


def test_create_source_refuses_a_name_the_workspace_has(workspace):
    _form_source(workspace, name="Website")
    with workspace_scope(workspace), pytest.raises(sources.SourceNameTaken) as caught:
        sources.create_source(workspace=workspace, name="Website")
    assert caught.value.field == "name"


def test_another_workspace_may_use_the_same_name(workspace, other_workspace):
    _form_source(other_workspace, name="Website")
    with workspace_scope(workspace):
        source = sources.create_source(workspace=workspace, name="Website")
    assert source.pk is not None


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://files.example/x", "//acme.example/thanks", "acme"]
)
def test_create_source_refuses_a_redirect_that_is_not_a_web_address(workspace, url):
    with workspace_scope(workspace), pytest.raises(InvalidInput) as caught:
        sources.create_source(workspace=workspace, name="Website", redirect_url=url)
    assert caught.value.field == "redirect_url"


def test_update_source_refuses_a_taken_name_and_keeps_the_old_one(workspace):
    _form_source(workspace, name="Website")
    source = _form_source(workspace, name="Spring promo")
    with workspace_scope(workspace), pytest.raises(sources.SourceNameTaken):
        sources.update_source(workspace=workspace, source_id=source.pk, changes={"name": "Website"})
    assert _reload(workspace, source).name == "Spring promo"


def test_update_source_refuses_fields_it_does_not_edit(workspace):
    source = _form_source(workspace)
    with workspace_scope(workspace), pytest.raises(InvalidInput):
        sources.update_source(
            workspace=workspace, source_id=source.pk, changes={"form_token": "mine"}
        )


def test_update_source_of_another_workspace_is_not_found(workspace, other_workspace):
    source = _form_source(other_workspace)
    with workspace_scope(workspace), pytest.raises(NotFound):
        sources.update_source(workspace=workspace, source_id=source.pk, changes={"name": "Mine"})


def test_regenerate_form_token_replaces_the_token(workspace):
    source = _form_source(workspace)
    with workspace_scope(workspace):
        sources.regenerate_form_token(workspace=workspace, source_id=source.pk)
    assert _reload(workspace, source).form_token != source.form_token


def test_switching_a_source_off_twice_keeps_it_off(workspace):
    source = _form_source(workspace)
    with workspace_scope(workspace):
        sources.set_source_active(workspace=workspace, source_id=source.pk, is_active=False)
        sources.set_source_active(workspace=workspace, source_id=source.pk, is_active=False)
    assert _reload(workspace, source).is_active is False


def test_overview_counts_each_source_leads(workspace):
    source = _form_source(workspace)
    LeadFactory.create_batch(2, workspace=workspace, source=source)
    with workspace_scope(workspace):
        row = sources.sources_overview(workspace=workspace).get(pk=source.pk)
    assert row.lead_count == 2


# The pages


def test_manager_adds_a_source_and_lands_on_its_page(manager_client, workspace):
    response = manager_client.post(
        NEW,
        {
            "name": "Website",
            "kind": "form",
            "consent_text": CONSENT,
            "consent_channels": ["sms", "call"],
        },
    )
    with workspace_scope(workspace):
        source = LeadSource.objects.get(name="Website")
    assert response.status_code == 302
    assert response.url == _detail(source)
    assert source.consent_channels == ["sms", "call"]


def test_consent_wording_without_what_it_agrees_to_is_refused(manager_client, workspace):
    response = manager_client.post(
        NEW, {"name": "Website", "kind": "form", "consent_text": CONSENT}
    )
    assert response.status_code == 400
    assert "Tick what the checkbox agrees to" in response.content.decode()


def test_adding_a_taken_name_shows_a_clear_error(manager_client, workspace):
    _form_source(workspace, name="Website")
    response = manager_client.post(NEW, {"name": "Website", "kind": "form"})
    assert response.status_code == 400
    assert "There is already a source called “Website”" in response.content.decode()


def test_adding_a_javascript_redirect_is_refused_on_the_form(manager_client, workspace):
    response = manager_client.post(
        NEW, {"name": "Website", "kind": "form", "redirect_url": "javascript:alert(1)"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["redirect_url"]


def test_rep_may_view_the_list(rep_client, workspace):
    _form_source(workspace, name="Website")
    response = rep_client.get(LIST)
    assert response.status_code == 200
    assert "Website" in response.content.decode()


def test_rep_sees_no_add_button(rep_client):
    assert NEW not in rep_client.get(LIST).content.decode()


def test_rep_cannot_add_a_source(rep_client):
    assert rep_client.post(NEW, {"name": "Website", "kind": "form"}).status_code == 403


def test_rep_cannot_edit_a_source(rep_client, workspace):
    source = _form_source(workspace, name="Website")
    response = rep_client.post(_detail(source), {"name": "Renamed", "kind": "form"})
    assert response.status_code == 403
    assert _reload(workspace, source).name == "Website"


def test_rep_sees_a_source_without_its_edit_controls(rep_client, workspace):
    source = _form_source(workspace, consent_text=CONSENT)
    html = rep_client.get(_detail(source)).content.decode()
    assert f"<q>{CONSENT}</q>" in html
    assert reverse("leads:source-token", args=[source.pk]) not in html
    assert 'name="name"' not in html


def test_list_shows_lead_count_and_last_lead(manager_client, workspace):
    source = _form_source(workspace, name="Website")
    LeadFactory.create_batch(3, workspace=workspace, source=source)
    html = manager_client.get(LIST).content.decode()
    assert f'?source={source.pk}" aria-label="3 leads from Website"' in html
    assert '<time datetime="' in html


def test_form_source_page_shows_the_hosted_address_and_both_snippets(manager_client, workspace):
    source = _form_source(workspace)
    html = manager_client.get(_detail(source)).content.decode()
    assert f"http://testserver/f/{source.form_token}/</code>" in html
    assert f"&lt;iframe src=&quot;http://testserver/f/{source.form_token}/&quot;" in html
    assert (
        f"&lt;form method=&quot;post&quot; action=&quot;http://testserver/f/{source.form_token}"
        "/submit/&quot;&gt;" in html
    )


def test_form_snippet_carries_the_consent_wording(manager_client, workspace):
    source = _form_source(workspace, consent_text="Text me & call me")
    html = manager_client.get(_detail(source)).content.decode()
    # Escaped once for the site that pastes it, and once more to show it on this page.
    assert "name=&quot;consent&quot; value=&quot;yes&quot;&gt; Text me &amp;amp; call me" in html


def test_api_source_page_links_to_the_api_keys(manager_client, workspace):
    source = LeadSourceFactory(workspace=workspace, kind="api")
    assert reverse("leadfollow:api-keys") in manager_client.get(_detail(source)).content.decode()


def test_manager_edits_a_source(manager_client, workspace):
    source = _form_source(workspace, name="Website")
    manager_client.post(
        _detail(source),
        {"name": "Website", "kind": "form", "thank_you_message": "We call within the hour."},
    )
    assert _reload(workspace, source).thank_you_message == "We call within the hour."


def test_switching_off_takes_the_form_offline(manager_client, client, workspace):
    source = _form_source(workspace)
    manager_client.post(reverse("leads:source-active", args=[source.pk]), {"is_active": "0"})
    assert client.get(reverse("leads:public-form", args=[source.form_token])).status_code == 404


def test_switching_back_on_brings_the_form_back(manager_client, client, workspace):
    source = _form_source(workspace, is_active=False)
    manager_client.post(reverse("leads:source-active", args=[source.pk]), {"is_active": "1"})
    assert client.get(reverse("leads:public-form", args=[source.form_token])).status_code == 200


def test_new_address_makes_the_old_one_answer_404(manager_client, client, workspace):
    source = _form_source(workspace)
    old = reverse("leads:public-form", args=[source.form_token])
    manager_client.post(reverse("leads:source-token", args=[source.pk]))
    assert client.get(old).status_code == 404


def test_settings_navigation_links_lead_sources(rep_client):
    html = rep_client.get(reverse("leadfollow:profile")).content.decode()
    assert f'href="{LIST}"' in html
