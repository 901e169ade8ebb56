"""The top navigation. One list, so every page shows the same sections in the same order."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, url name of the section's first page, path prefix of its pages)
SECTIONS = [
    ("Inbox", "leads:inbox", "/inbox/"),
    ("Leads", "leads:lead-list", "/leads/"),
    ("Cadences", "cadences:cadence-list", "/cadences/"),
    ("Rules", "scoring:rule-list", "/rules/"),
    ("Reports", "reports:index", "/reports/"),
    ("Settings", "leadfollow:settings", "/settings/"),
]


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str | None  # None while the section's pages are not installed: shown disabled
    is_current: bool


def main_navigation(request: HttpRequest) -> list[NavItem]:
    items = []
    for label, url_name, prefix in SECTIONS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            url = None
        items.append(NavItem(label, url, url is not None and request.path.startswith(prefix)))
    return items
