import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from leadfollow.tenancy import workspace_scope
from leads.models import LeadSource
from tests.browser.conftest import log_in, shoot
from tests.factories import TEST_PASSWORD, LeadSourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

CONSENT = (
    "Yes, Acme Roofing may call and text me about my quote, including by automated means. "
    "Consent is not a condition of purchase. Reply STOP to opt out."
)
THANKS = "Thanks for reaching out! A roofing specialist will call you within the hour."


def _visitor(browser, live_server, **options):
    """A stranger's browser: no session, its own CSP console watch."""
    context = browser.new_context(base_url=live_server.url, **options)
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda msg: "Content Security Policy" in msg.text and page.csp_violations.append(msg.text),
    )
    return context, page


def test_manager_publishes_a_form_and_a_visitor_becomes_a_lead(
    page, browser, live_server, acme_team
):
    _, manager, _ = acme_team
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/settings/sources/")
    page.get_by_role("link", name="Add a web form").click()
    page.get_by_label("Name").fill("Website contact form")
    page.get_by_label("Consent checkbox wording").fill(CONSENT)
    page.get_by_label("Thank-you message").fill(THANKS)
    page.get_by_role("button", name="Add source").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Website contact form")
    expect(page.locator("#snippet-iframe")).to_contain_text("<iframe src=")
    form_url = page.locator("#form-url").inner_text()
    shoot(page, "sources-detail")

    context, visitor = _visitor(browser, live_server, viewport={"width": 1280, "height": 900})
    visitor.goto(form_url)
    expect(visitor.get_by_text("Acme Roofing", exact=True)).to_be_visible()
    expect(visitor.locator("input[name=lf_website]")).not_to_be_in_viewport()
    shoot(visitor, "public-form")
    visitor.get_by_label("First name").fill("Dana")
    visitor.get_by_label("Last name").fill("Kim")
    visitor.get_by_label("Email").fill("dana@harborviewdental.example")
    visitor.get_by_label("Phone").fill("(212) 555-0143")
    visitor.get_by_label("Company").fill("Harborview Dental")
    visitor.get_by_label("How can we help?").fill("Our clinic roof leaks over the waiting room.")
    visitor.get_by_label(CONSENT).check()
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(visitor.get_by_text(THANKS)).to_be_visible()
    shoot(visitor, "public-form-thanks")
    assert visitor.csp_violations == []
    context.close()

    page.goto("/leads/")
    page.get_by_role("link", name="Dana Kim").click()
    expect(page.locator("#lead-header")).to_contain_text("Website contact form")
    expect(page.locator("#timeline")).to_contain_text(CONSENT)
    shoot(page, "sources-lead-from-form")
    page.goto("/settings/sources/")
    expect(page.get_by_role("link", name="1 lead from Website contact form")).to_be_visible()
    shoot(page, "sources-list")
    assert page.csp_violations == []


def test_hosted_form_fits_a_phone_and_shows_errors_in_place(phone, acme_team):
    workspace, _, _ = acme_team
    source = LeadSourceFactory(workspace=workspace, kind="form", consent_text=CONSENT)
    phone.goto(f"/f/{source.form_token}/")
    expect(phone.get_by_role("button", name="Send")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "public-form-phone")
    phone.get_by_label("First name").fill("Dana")
    phone.get_by_label("Phone").fill("12")
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("alert")).to_contain_text("Please check the form")
    expect(phone.get_by_label("First name")).to_have_value("Dana")
    shoot(phone, "public-form-phone-errors")


@pytest.fixture
def other_site():
    """The customer's own website: a real server on another origin, serving one page."""

    class Site(BaseHTTPRequestHandler):
        page = ""

        def do_GET(self):
            body = Site.page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # 127.0.0.1, while the app is served as localhost: another origin.
    Site.url = f"http://127.0.0.1:{server.server_address[1]}/contact-us/"
    yield Site
    server.shutdown()
    thread.join()


def test_form_embedded_on_another_site_sizes_itself_and_takes_a_lead(
    page, browser, live_server, acme_team, other_site
):
    workspace, manager, _ = acme_team
    source = LeadSourceFactory(workspace=workspace, kind="form", name="Website")
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto(f"/settings/sources/{source.pk}/")
    snippet = page.locator("#snippet-iframe").inner_text()

    context, visitor = _visitor(browser, live_server, viewport={"width": 1100, "height": 900})
    other_site.page = f"<!doctype html><title>Acme Roofing</title><h1>Contact us</h1>{snippet}"
    visitor.goto(other_site.url)
    frame = visitor.frame_locator("iframe[data-leadfollow-form]")
    expect(frame.get_by_role("button", name="Send")).to_be_visible()
    # embed.js grows the frame to the form's height: no scrollbar inside the frame.
    expect(visitor.locator("iframe[data-leadfollow-form]")).to_have_attribute(
        "style", re.compile(r"height: \d+px")
    )
    shoot(visitor, "public-form-embedded")
    frame.get_by_label("Email").fill("luis@sunbelt.example")
    frame.get_by_role("button", name="Send").click()
    expect(frame.get_by_role("heading", name="Thank you!")).to_be_visible()
    context.close()
    with workspace_scope(workspace):
        assert LeadSource.objects.get(pk=source.pk).leads.get().email == "luis@sunbelt.example"
