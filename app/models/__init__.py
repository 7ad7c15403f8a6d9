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
from app.models.catalog import (
    Collection,
    EducationLevel,
    Favourite,
    Material,
    MaterialLevel,
    MaterialStatus,
    MaterialType,
    Review,
    StoredFile,
)
from app.models.search import FileText, IndexState, IndexTask, TextStatus, WorkerLease
from app.models.tracking import AccessEvent, AccessKind

__all__ = [
    "AccessEvent",
    "AccessKind",
    "Collection",
    "EducationLevel",
    "Favourite",
    "FileText",
    "IndexState",
    "IndexTask",
    "LoginAttempt",
    "Material",
    "MaterialLevel",
    "MaterialStatus",
    "MaterialType",
    "MethodicalAssociation",
    "Organization",
    "OrganizationKind",
    "Review",
    "Role",
    "StoredFile",
    "Subject",
    "TextStatus",
    "User",
    "WorkerLease",
]
