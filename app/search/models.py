"""Durable index work: an outbox of changes, extracted texts and the writer's lease."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Base, UTCDateTime, utcnow


class IndexState(enum.StrEnum):
    PENDING = "pending"
    INDEXED = "indexed"
    ERROR = "error"


class TextStatus(enum.StrEnum):
    PENDING = "pending"
    FULL = "full"
    PARTIAL = "partial"
    FAILED = "failed"
    NONE = "none"  # pictures, video, archives: nothing to extract


class IndexTask(Base):
    """A change that must reach the index, written in the transaction that made it."""

    __tablename__ = "index_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(50), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class FileText(Base):
    """Text extracted from a stored file: the index is rebuilt from these, not from bytes."""

    __tablename__ = "file_texts"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text, default="")


class WorkerLease(Base):
    """Who may write the index now. Taken with a conditional UPDATE, so at most one holds it."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
