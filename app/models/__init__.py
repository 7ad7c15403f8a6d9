"""Models, split by context. Importing this package registers every table."""

from app.models.accounts import (
    LoginAttempt,
    MethodicalAssociation,
    Organization,
    OrganizationKind,
    Role,
    Subject,
    User,
)

__all__ = [
    "LoginAttempt",
    "MethodicalAssociation",
    "Organization",
    "OrganizationKind",
    "Role",
    "Subject",
    "User",
]
