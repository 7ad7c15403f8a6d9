"""Domain errors that views turn into messages or HTTP errors."""


class DomainError(Exception):
    """A rule of the domain refused the request; ``str(error)`` is for the user."""


class ValidationError(DomainError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    pass
