"""The materials bank: materials, their files and versions, reviews, collections, favourites."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    cast,
    literal,
)
from sqlalchemy import select as select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organization, Subject, User
from app.core import file_references
from app.core.models import Base, UTCDateTime, utcnow


class MaterialType(enum.StrEnum):
    DEVELOPMENT = "development"
    LESSON_PLAN = "lesson_plan"
    RECOMMENDATIONS = "recommendations"
    WORK_PROGRAM = "work_program"
    PRESENTATION = "presentation"
    TEXTBOOK = "textbook"
    EXPERIENCE = "experience"
    NORMATIVE = "normative"
    VIDEO = "video"
    OTHER = "other"


class EducationLevel(enum.StrEnum):
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    BASIC = "basic"
    SECONDARY = "secondary"
    VOCATIONAL = "vocational"
    SUPPLEMENTARY = "supplementary"


# The order levels are shown in: the order of the enum (a list page sorts 40 times).
_LEVEL_RANK = {level.value: rank for rank, level in enumerate(EducationLevel)}


class MaterialStatus(enum.StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"
    RETURNED = "returned"
    ARCHIVED = "archived"


material_subjects = Table(
    "material_subjects",
    Base.metadata,
    Column("material_id", ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True),
)

material_collections = Table(
    "material_collections",
    Base.metadata,
    Column("material_id", ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True),
    Column("collection_id", ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
)


class MaterialLevel(Base):
    __tablename__ = "material_levels"

    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[str] = mapped_column(String(20), primary_key=True)


class Collection(Base):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # The bank of advanced pedagogical experience: where teachers' own work goes.
    is_experience_bank: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __str__(self) -> str:
        return self.name


class Material(Base):
    __tablename__ = "materials"
    __table_args__ = (
        Index("ix_materials_status_published_at", "status", "published_at"),
        Index("ix_materials_status_downloads", "status", "download_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    # Case-folded title: ordering by title must not depend on the database's collation.
    sort_title: Mapped[str] = mapped_column(String(500), default="", index=True)
    annotation: Mapped[str] = mapped_column(Text, default="")
    material_type: Mapped[str] = mapped_column(String(30), default=MaterialType.OTHER, index=True)
    keywords: Mapped[str] = mapped_column(String(1000), default="")
    authors: Mapped[str] = mapped_column(String(1000), default="")
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    usage_terms: Mapped[str] = mapped_column(String(1000), default="")
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=MaterialStatus.DRAFT, index=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Folded text for the simple search used while the index is missing or rebuilt.
    search_text: Mapped[str] = mapped_column(Text, default="")
    index_state: Mapped[str] = mapped_column(String(20), default="pending")
    index_error: Mapped[str] = mapped_column(Text, default="")
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
    subjects: Mapped[list[Subject]] = relationship(
        secondary=material_subjects, order_by="Subject.name"
    )
    collections: Mapped[list[Collection]] = relationship(
        secondary=material_collections, order_by="Collection.name"
    )
    level_rows: Mapped[list[MaterialLevel]] = relationship(
        cascade="all, delete-orphan", order_by="MaterialLevel.level"
    )
    files: Mapped[list[StoredFile]] = relationship(
        back_populates="material",
        order_by="StoredFile.id",
        cascade="all, delete-orphan",
    )
    reviews: Mapped[list[Review]] = relationship(order_by="Review.id", cascade="all, delete-orphan")

    @property
    def levels(self) -> list[str]:
        return sorted((row.level for row in self.level_rows), key=_LEVEL_RANK.__getitem__)

    @levels.setter
    def levels(self, values: list[str]) -> None:
        wanted = list(dict.fromkeys(values))
        self.level_rows = [MaterialLevel(level=v) for v in wanted]

    @property
    def current_files(self) -> list[StoredFile]:
        return [f for f in self.files if f.is_current]

    def set_title(self, title: str) -> None:
        self.title = title
        self.sort_title = title.casefold().replace("ё", "е")[:500]

    def refresh_search_text(self) -> None:
        parts = (self.title, self.annotation, self.keywords, self.authors)
        self.search_text = " ".join(p for p in parts if p).casefold().replace("ё", "е")

    @property
    def doc_id(self) -> str:
        return f"material:{self.id}"

    @classmethod
    def doc_id_expr(cls) -> Any:
        """``doc_id`` as SQL, for matching index tasks."""
        return literal("material:") + cast(cls.id, String)

    def __str__(self) -> str:
        return self.title


class StoredFile(Base):
    """A version of a material's file. Replacing a file adds a version; old ones stay."""

    __tablename__ = "stored_files"
    __table_args__ = (UniqueConstraint("lineage_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), index=True
    )
    # The id of the first version; every later version of "the same file" shares it.
    lineage_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    storage_key: Mapped[str] = mapped_column(String(100), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    text_status: Mapped[str] = mapped_column(String(20), default="pending")
    text_reason: Mapped[str] = mapped_column(String(300), default="")

    material: Mapped[Material] = relationship(back_populates="files")
    uploaded_by: Mapped[User | None] = relationship()


class Review(Base):
    """One transition of a material's lifecycle: who, when, from what to what, and why."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class Favourite(Base):
    __tablename__ = "favourites"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


file_references.register("material file", lambda: select(StoredFile.id, StoredFile.storage_key))
