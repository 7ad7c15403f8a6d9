"""Professional development taken elsewhere, and attestation data, for the three-year register."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy import select as select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core import file_references
from app.core.models import Base, UTCDateTime, utcnow


class TrainingStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    RETURNED = "returned"


class AttestationCategory(enum.StrEnum):
    NONE = ""
    CONFORMITY = "conformity"  # соответствие занимаемой должности
    FIRST = "first"
    HIGHEST = "highest"
    METHODIST = "methodist"  # педагог-методист
    MENTOR = "mentor"  # педагог-наставник


class ExternalTraining(Base):
    """Training at a regional institute, a ЦНППМ, a university; counts once verified."""

    __tablename__ = "external_trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(500))
    programme: Mapped[str] = mapped_column(String(1000))
    hours: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    document_type: Mapped[str] = mapped_column(String(200), default="")
    document_number: Mapped[str] = mapped_column(String(100), default="")
    scan_key: Mapped[str | None] = mapped_column(String(100), index=True)
    scan_name: Mapped[str] = mapped_column(String(255), default="")
    scan_kind: Mapped[str] = mapped_column(String(10), default="")
    scan_content_type: Mapped[str] = mapped_column(String(120), default="")
    scan_size: Mapped[int] = mapped_column(Integer, default=0)
    scan_sha256: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(20), default=TrainingStatus.PENDING, index=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(20), default="teacher")  # teacher|methodist|import

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class Attestation(Base):
    """A teacher's current qualification category, kept beside the register."""

    __tablename__ = "attestations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(20), default=AttestationCategory.NONE)
    granted_on: Mapped[date | None] = mapped_column(Date)
    order_number: Mapped[str] = mapped_column(String(100), default="")


file_references.register(
    "training scan", lambda: select(ExternalTraining.id, ExternalTraining.scan_key)
)
