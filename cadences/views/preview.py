"""Preview a cadence for a lead or sample values: every message and the planned timeline."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cadences import selectors
from cadences.services.enrollment import get_cadence
from channels.compliance import lead_time_zone
from leadfollow.roles import member_required
from leads.selectors import get_lead


@member_required()
def cadence_preview(request: HttpRequest, cadence_id: int) -> HttpResponse:
    """Reads only: nothing is enrolled, saved or sent."""
    workspace = request.workspace
    cadence = get_cadence(workspace=workspace, cadence_id=cadence_id)
    lead_id = request.GET.get("lead", "")
    lead = get_lead(workspace=workspace, lead_id=int(lead_id)) if lead_id.isdigit() else None
    now = timezone.now()
    planned = selectors.preview_cadence(workspace=workspace, cadence=cadence, lead=lead, now=now)
    zone = lead_time_zone(lead, workspace) if lead else selectors.SAMPLE_ZONE
    context = {"cadence": cadence, "lead": lead, "planned": planned, "zone": str(zone), "now": now}
    template = "cadences/_preview_result.html" if request.htmx else "cadences/preview.html"
    return render(request, template, context)
