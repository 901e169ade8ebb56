from django.http import HttpRequest

from leadfollow.navigation import main_navigation
from leadfollow.selectors import memberships_for_user


def workspace(request: HttpRequest) -> dict:
    """The current workspace, the switcher's list and the top navigation, for every page."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"workspace": None, "membership": None, "switchable": [], "nav": []}
    return {
        "workspace": membership.workspace,
        "membership": membership,
        "switchable": memberships_for_user(user=request.user),
        "nav": main_navigation(request),
    }
