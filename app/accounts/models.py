"""People and organizations of the district."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts import passwords
from app.core.models import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    TEACHER = "teacher"
    METHODIST = "methodist"
    MANAGER = "manager"
    ADMIN = "admin"


class OrganizationKind(enum.StrEnum):
    SCHOOL = "school"
    KINDERGARTEN = "kindergarten"
    SUPPLEMENTARY = "supplementary"
    OTHER = "other"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


user_subjects = Table(
    "user_subjects",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True),
)

association_members = Table(
    "association_members",
    Base.metadata,
    Column(
        "association_id",
        ForeignKey("methodical_associations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(500), unique=True)
    short_name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=OrganizationKind.SCHOOL)
    municipality: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organization")

    def __str__(self) -> str:
        return self.short_name


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    def __str__(self) -> str:
        return self.name


class MethodicalAssociation(Base):
    __tablename__ = "methodical_associations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id", ondelete="SET NULL"))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text, default="")

    subject: Mapped[Subject | None] = relationship()
    leader: Mapped[User | None] = relationship(foreign_keys=[leader_id])
    members: Mapped[list[User]] = relationship(
        secondary=association_members, back_populates="associations", order_by="User.last_name"
    )

    def __str__(self) -> str:
        return self.name


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    patronymic: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.TEACHER, index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    # Rotated on logout, password change and deactivation: every cookie that
    # carries the old value (copied sessions, remember-me) stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    is_active_flag: Mapped[bool] = mapped_column("is_active", default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Case-folded name and e-mail: SQLite's LIKE and lower() fold ASCII only,
    # so searching Cyrillic names needs a folded copy to be equal on both databases.
    search_text: Mapped[str] = mapped_column(String(600), default="", index=True)

    organization: Mapped[Organization | None] = relationship(back_populates="users")
    subjects: Mapped[list[Subject]] = relationship(secondary=user_subjects, order_by="Subject.name")
    associations: Mapped[list[MethodicalAssociation]] = relationship(
        secondary=association_members, back_populates="members"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.is_active_flag

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    @property
    def short_name(self) -> str:
        initials = "".join(f"{p[0]}." for p in (self.first_name, self.patronymic) if p)
        return f"{self.last_name} {initials}".strip()

    def refresh_search_text(self) -> None:
        self.search_text = f"{self.full_name} {self.email}".casefold().replace("ё", "е")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)

    def check_password(self, password: str) -> bool:
        return passwords.verify_password(self.password_hash, password)

    def upgrade_password_hash(self, password: str) -> bool:
        """After a successful check: re-hash with today's scheme if the stored one is older."""
        if not passwords.needs_rehash(self.password_hash):
            return False
        self.password_hash = passwords.hash_password(password)
        return True

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __str__(self) -> str:
        return self.full_name


class LoginAttempt(Base):
    """Failed sign-ins, kept in the database so throttling holds across workers."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


__all__ = [
    "LoginAttempt",
    "MethodicalAssociation",
    "Organization",
    "OrganizationKind",
    "Role",
    "Subject",
    "User",
]
