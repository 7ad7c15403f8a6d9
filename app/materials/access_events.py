"""Append-only facts: who opened or downloaded what, and when (UTC)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Base, UTCDateTime, utcnow


class AccessKind(enum.StrEnum):
    MATERIAL_VIEW = "material_view"
    FILE_DOWNLOAD = "file_download"
    MODULE_OPEN = "module_open"
    MODULE_DOWNLOAD = "module_download"
    MODULE_TIME = "module_time"  # time on page, sent by the browser while the tab is visible
    MODULE_STUDIED = "module_studied"  # the teacher confirmed studying the module
    TEST_SUBMITTED = "test_submitted"  # an attempt at the module's test was handed in


class AccessEvent(Base):
    """Never updated or deleted: reports aggregate these facts."""

    __tablename__ = "access_events"
    __table_args__ = (
        Index("ix_access_events_material_at", "material_id", "at"),
        Index("ix_access_events_user_at", "user_id", "at"),
        # Covering on PostgreSQL: usage reports count views and downloads from the index alone.
        Index(
            "ix_access_events_kind_at", "kind", "at", postgresql_include=["material_id", "user_id"]
        ),
        Index("ix_access_events_module_user_at", "module_id", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    material_id: Mapped[int | None] = mapped_column(ForeignKey("materials.id", ondelete="SET NULL"))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"))
    module_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_files.id", ondelete="SET NULL")
    )
    seconds: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
