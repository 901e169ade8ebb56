"""The API's OpenAPI schema: valid, served with its docs, and honoured by the API itself."""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadfollow.tenancy import workspace_scope
from leadfollow.wsgi import application
from leads.services import intake_lead

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn raises on any warning, e.g. an endpoint whose types could not be worked out.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )


def test_schema_documents_the_bearer_key_scheme(client):
    schema = client.get(reverse("leadfollow:api-schema"), {"format": "json"}).json()
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"],
    }


def test_every_operation_has_examples_and_documents_its_errors(client):
    schema = client.get(reverse("leadfollow:api-schema"), {"format": "json"}).json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"401", "429"} <= set(responses), f"{method} {path}"
            documented = [r for r in responses.values() if "content" in r]
            assert all(r["content"]["application/json"].get("examples") for r in documented), (
                f"{method} {path}"
            )


def test_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    response = client.get(reverse("leadfollow:api-docs"))
    html = response.content.decode()
    assert response.status_code == 200
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(src.startswith("/") for src in sources), sources  # no CDN


def test_docs_page_has_no_inline_script_or_style(client):
    html = client.get(reverse("leadfollow:api-docs")).content.decode()
    assert "<style" not in html
    assert re.findall(r"<script>", html) == []  # every script has a src: the CSP allows only ours


def test_docs_start_up_script_is_served_as_javascript(client):
    response = client.get(reverse("leadfollow:api-docs"), {"script": ""})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()


@pytest.fixture
def _test_transaction_kept():
    """Like Django's test client: the app must not close the test's connection after a request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def existing_lead(workspace):
    with workspace_scope(workspace):
        return intake_lead(
            workspace=workspace, fields={"email": "dana@northwind.example", "first_name": "Dana"}
        ).lead


# Loaded through the WSGI app, as a client would see it. (Not from a fixture: schemathesis' lazy
# fixture loader does not run under pytest 9.)
api_schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
api_schema.config.generation.update(deterministic=True)


@api_schema.parametrize()
@settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.usefixtures("_test_transaction_kept")
def test_api_answers_as_its_schema_says(case, api_key, existing_lead):
    # Ids in the path point at a real lead, so detail operations reach their 200 answers.
    if "lead_id" in (case.path_parameters or {}):
        case.path_parameters["lead_id"] = existing_lead.pk
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key.secret}"}, checks=CHECKS)
