"""The domain error tree. Apps subclass these with precise names; edges map them once.

`leadfollow.api.exception_handler` turns them into JSON responses; page views catch them and show
the message on the form or as a flash message.
"""


class DomainError(Exception):
    """A business rule said no. `code` is stable for clients; `message` is for people."""

    status_code = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.errors = errors  # several fields at once, DRF's shape


class InvalidInput(DomainError):
    status_code = 400
    default_code = "invalid"


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"


class Forbidden(DomainError):
    """Only for role checks inside one workspace; other workspaces' objects are NotFound."""

    status_code = 403
    default_code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"
