"""Professional-development courses: modules, tests, enrolments, progress, documents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import select as select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Subject, User
from app.core import file_references
from app.core.models import Base, UTCDateTime, utcnow
from app.materials.models import Material


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class CourseFormat(enum.StrEnum):
    DISTANCE = "distance"
    BLENDED = "blended"
    FULL_TIME = "full_time"


class DocumentType(enum.StrEnum):
    QUALIFICATION = "qualification"  # удостоверение о повышении квалификации
    PARTICIPATION = "participation"  # сертификат участника


class Criterion(enum.StrEnum):
    OPENED = "opened"
    STUDIED = "studied"
    TEST = "test"


course_authors = Table(
    "course_authors",
    Base.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

course_subjects = Table(
    "course_subjects",
    Base.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True),
)

module_materials = Table(
    "module_materials",
    Base.metadata,
    Column("module_id", ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True),
    Column("material_id", ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True),
)


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    annotation: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    audience_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience_positions: Mapped[str] = mapped_column(String(500), default="")
    hours: Mapped[int] = mapped_column(Integer, default=0)
    format: Mapped[str] = mapped_column(String(20), default=CourseFormat.DISTANCE)
    document_type: Mapped[str] = mapped_column(String(20), default=DocumentType.PARTICIPATION)
    enrol_opens_on: Mapped[date | None] = mapped_column(Date)
    enrol_closes_on: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=CourseStatus.DRAFT, index=True)
    sequential: Mapped[bool] = mapped_column(default=False)
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    authors: Mapped[list[User]] = relationship(secondary=course_authors, order_by="User.last_name")
    subjects: Mapped[list[Subject]] = relationship(
        secondary=course_subjects, order_by="Subject.name"
    )
    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )

    @property
    def required_modules(self) -> list[Module]:
        return [m for m in self.modules if m.required]

    def __str__(self) -> str:
        return self.title


class Module(Base):
    __tablename__ = "modules"
    __table_args__ = (Index("ix_modules_course_position", "course_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    content_html: Mapped[str] = mapped_column(Text, default="")
    video_url: Mapped[str] = mapped_column(String(1000), default="")
    hours: Mapped[int | None] = mapped_column(Integer)
    criterion: Mapped[str] = mapped_column(String(20), default=Criterion.OPENED)
    required: Mapped[bool] = mapped_column(default=True)
    pass_mark: Mapped[int] = mapped_column(Integer, default=70)  # percent of questions right
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)  # 0: unlimited
    shuffle: Mapped[bool] = mapped_column(default=True)

    course: Mapped[Course] = relationship(back_populates="modules")
    materials: Mapped[list[Material]] = relationship(secondary=module_materials)
    files: Mapped[list[ModuleFile]] = relationship(
        order_by="ModuleFile.id", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        order_by="Question.position", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.title


class ModuleFile(Base):
    __tablename__ = "module_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(100), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Question(Base):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    multiple: Mapped[bool] = mapped_column(default=False)

    options: Mapped[list[AnswerOption]] = relationship(
        order_by="AnswerOption.position", cascade="all, delete-orphan"
    )


class AnswerOption(Base):
    __tablename__ = "answer_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(default=False)


class Attempt(Base):
    """One try at a module's test. The questions and options as shown are kept with it."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("module_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # [{"id", "text", "multiple", "options": [{"id", "text", "correct"}]}] in the order shown
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {question id (str): [option ids]}
    answers: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    score: Mapped[int | None] = mapped_column(Integer)  # percent
    passed: Mapped[bool | None] = mapped_column()

    module: Mapped[Module] = relationship()


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ModuleProgress(Base):
    """One row per (user, module), upserted: what the matrix and "my learning" read."""

    __tablename__ = "module_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        Index("ix_module_progress_course_user", "course_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    first_access_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_access_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    visits: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    studied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CourseCompletion(Base):
    """Written once per (user, course): the unique constraint, not a read-then-write, says so."""

    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The local (Moscow by default) calendar date, fixed at write time: reports group
    # by it identically on SQLite and PostgreSQL.
    completed_on: Mapped[date] = mapped_column(Date, index=True)
    hours: Mapped[int] = mapped_column(Integer)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class CertificateSequence(Base):
    """The last number issued in a year; bumped in the issuing transaction, so no gaps."""

    __tablename__ = "certificate_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Certificate(Base):
    """An issued document; its text is a snapshot that later edits do not change."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("year", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    completion_id: Mapped[int] = mapped_column(
        ForeignKey("course_completions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    document_type: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(300))
    organization_name: Mapped[str] = mapped_column(String(500), default="")
    course_title: Mapped[str] = mapped_column(String(500))
    hours: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=CertificateStatus.VALID)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL")
    )
    # Folded number, name, organization and course: the register's search is the same
    # on SQLite (whose lower() ignores Cyrillic) and PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    completion: Mapped[CourseCompletion] = relationship()


class VerifyThrottle(Base):
    """Requests to the public /verify pages per client and minute (a fixed-window counter).

    ``client`` is a keyed hash of the address, not the address: the table must not
    become a log of who checked whose document. Old windows are deleted as new ones open.
    """

    __tablename__ = "verify_throttle"

    client: Mapped[str] = mapped_column(String(32), primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, index=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


file_references.register("module file", lambda: select(ModuleFile.id, ModuleFile.storage_key))
