"""Domain errors. Services raise them; the handlers in ``error_pages`` answer them.

``status_code`` is the HTTP answer when the error reaches the handlers; a form that
shows the message next to its field answers with ``form_status`` instead.
"""


class DomainError(Exception):
    """A rule of the domain refused the request; ``str(error)`` is for the user."""

    status_code = 400
    form_status = 200


class ValidationError(DomainError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StorageFailure(ValidationError):
    """The store could not take or give the bytes; nothing was saved."""

    status_code = 503
    form_status = 503


class NotFound(DomainError):
    """Missing, or hidden from this user: both answer 404, so existence is not leaked."""

    status_code = 404


class PermissionDenied(DomainError):
    status_code = 404
