"""The page behind the unsubscribe link in every email: public, no login, no JavaScript.

GET asks to confirm (mail scanners open links, and must not unsubscribe anyone); POST
unsubscribes, whether from the page's button or from a mail client's RFC 8058 one-click POST.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels.unsubscribe import LINK_HOW, masked_address, message_for_token, unsubscribe
from leadfollow.errors import NotFound

TEMPLATE = "channels/unsubscribe.html"
ONE_CLICK_HOW = "one-click unsubscribe in the mail app"


# The signed link is the only credential and no session is used: a mail client's one-click POST
# cannot carry a CSRF token, and anyone holding the link could make that POST anyway.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        message = message_for_token(token)
    except NotFound:
        return render(request, TEMPLATE, {"state": "invalid"}, status=404)
    context = {
        "state": "confirm",
        "brand": message.workspace.name,
        "address": masked_address(message.to_address),
    }
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        how = ONE_CLICK_HOW if one_click else LINK_HOW
        unsubscribe(workspace=message.workspace, message=message, how=how)
        context["state"] = "done"
    return render(request, TEMPLATE, context)
