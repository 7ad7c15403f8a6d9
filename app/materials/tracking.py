"""Recording access facts: append-only events plus atomic counters."""

from __future__ import annotations

from sqlalchemy import update

from app.accounts.models import User
from app.core.models import utcnow
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.materials.access_events import AccessEvent, AccessKind
from app.materials.models import Material, StoredFile


@unit_of_work()
def record_material_view(user: User, material: Material) -> None:
    db.session.add(
        AccessEvent(
            kind=AccessKind.MATERIAL_VIEW, user_id=user.id, material_id=material.id, at=utcnow()
        )
    )


@unit_of_work()
def record_download(user: User, file: StoredFile) -> None:
    """One event per download; counters grow in SQL so concurrent downloads never lose one."""
    db.session.add(
        AccessEvent(
            kind=AccessKind.FILE_DOWNLOAD,
            user_id=user.id,
            material_id=file.material_id,
            file_id=file.id,
            at=utcnow(),
        )
    )
    db.session.execute(
        update(StoredFile)
        .where(StoredFile.id == file.id)
        .values(download_count=StoredFile.download_count + 1)
    )
    db.session.execute(
        update(Material)
        .where(Material.id == file.material_id)
        .values(download_count=Material.download_count + 1)
    )
