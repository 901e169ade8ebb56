"""API-key authentication. Kept apart from the views: DRF reads these classes at import."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from leadfollow.models import ApiKey
from leadfollow.services.api_keys import authenticate_api_key


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer lf_…`. The key is the credential and names the workspace."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[None, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as `Authorization: Bearer <key>`."
            )
        api_key = authenticate_api_key(raw_key=header[1].decode("latin-1"))
        if api_key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        return (None, api_key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="LeadFollow API"'


class HasWorkspaceKey(BasePermission):
    message = "Send an API key: `Authorization: Bearer <key>`."

    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, ApiKey)
