"""The tabs every page of the Inbox section shares: the queue, tasks and the team board."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

# (label, url name, shown to reps too)
INBOX_TABS = [
    ("Queue", "leads:inbox", True),
    ("Tasks", "cadences:task-list", True),
    ("Team board", "scoring:team-board", False),
]


@register.inclusion_tag("leads/_inbox_tabs.html", takes_context=True)
def inbox_tabs(context) -> dict:
    request = context["request"]
    membership = getattr(request, "membership", None)
    is_rep = membership is None or membership.role == "rep"
    tabs = []
    for label, url_name, for_reps in INBOX_TABS:
        if is_rep and not for_reps:
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # that page is not installed
        tabs.append({"label": label, "url": url, "is_current": request.path == url})
    return {"tabs": tabs}
