"""Accounts: creating people, passwords, sign-in with throttling, ending sessions.

Every action checks its own permission against ``actor`` (by default the signed-in
user, or the console outside requests: see ``accounts.actors``) and runs in one
unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app import permissions
from app.accounts import passwords
from app.accounts.actors import acting_user
from app.accounts.models import LoginAttempt, Organization, Role, Subject, User
from app.core.errors import ValidationError
from app.core.models import utcnow
from app.core.unit_of_work import check, found, transaction, unit_of_work
from app.extensions import db

MIN_PASSWORD_LENGTH = 8


class InvalidCredentials(ValidationError):
    pass


class AccountDisabled(ValidationError):
    pass


class LoginThrottled(ValidationError):
    def __init__(self, minutes: int) -> None:
        super().__init__(
            _(
                "Слишком много неудачных попыток входа. Повторите через %(minutes)d мин.",
                minutes=minutes,
            )
        )
        self.minutes = minutes


def normalize_email(raw: str) -> str:
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError(_("Укажите адрес электронной почты."), "email")
    try:
        info = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(
            _("Некорректный адрес электронной почты: %(email)s", email=raw), "email"
        ) from exc
    return info.normalized.lower()


def split_full_name(full_name: str) -> tuple[str, str, str]:
    """«Иванова Анна Петровна» → (last, first, patronymic); the patronymic may be absent."""
    parts = (full_name or "").split()
    if len(parts) < 2:
        raise ValidationError(_("Укажите фамилию и имя (ФИО полностью)."), "name")
    last, first, *rest = parts
    return last, first, " ".join(rest)


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("Пароль должен быть не короче %(n)d символов.", n=MIN_PASSWORD_LENGTH), "password"
        )
    if password.isdigit() or password.isalpha():
        raise ValidationError(_("Пароль должен содержать и буквы, и цифры или знаки."), "password")


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def email_taken(email: str, exclude_id: int | None = None) -> bool:
    query = select(User.id).where(User.email == email)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    return db.session.execute(query).first() is not None


@dataclass
class UserData:
    email: str
    last_name: str
    first_name: str
    patronymic: str = ""
    position: str = ""
    role: str = Role.TEACHER
    organization_id: int | None = None
    subject_ids: Iterable[int] = ()


def _apply_user_data(user: User, data: UserData) -> None:
    if data.role not in set(Role):
        raise ValidationError(_("Неизвестная роль."), "role")
    if not data.last_name.strip() or not data.first_name.strip():
        raise ValidationError(_("Укажите фамилию и имя."), "last_name")
    email = normalize_email(data.email)
    if email_taken(email, exclude_id=user.id):
        raise ValidationError(_("Пользователь с адресом %(email)s уже есть.", email=email), "email")
    organization = None
    if data.organization_id:
        organization = db.session.get(Organization, data.organization_id)
        if organization is None:
            raise ValidationError(_("Организация не найдена."), "organization_id")
    subject_ids = list(data.subject_ids)
    subjects = (
        list(db.session.execute(select(Subject).where(Subject.id.in_(subject_ids))).scalars())
        if subject_ids
        else []
    )
    if len(subjects) != len(set(subject_ids)):
        raise ValidationError(_("Предмет не найден."), "subject_ids")
    user.email = email
    user.last_name = data.last_name.strip()
    user.first_name = data.first_name.strip()
    user.patronymic = data.patronymic.strip()
    user.position = data.position.strip()
    user.role = data.role
    user.organization = organization
    user.subjects = subjects
    user.refresh_search_text()


def _flush_user(user: User) -> User:
    """Flush now so a duplicate e-mail (two admins at once) becomes a message, not a 500."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise ValidationError(
            _("Пользователь с адресом %(email)s уже есть.", email=user.email), "email"
        ) from exc
    return user


def get_user(user_id: int, actor: Any = None) -> User:
    check(permissions.can_manage_users(acting_user(actor)))
    return found(db.session.get(User, user_id))


@unit_of_work()
def create_user(
    data: UserData, password: str, *, must_change_password: bool = False, actor: Any = None
) -> User:
    check(permissions.can_manage_users(acting_user(actor)))
    check_password_strength(password)
    user = User()
    _apply_user_data(user, data)
    user.set_password(password)
    user.must_change_password = must_change_password
    db.session.add(user)
    return _flush_user(user)


@unit_of_work()
def update_user(user: User, data: UserData, actor: Any = None) -> User:
    check(permissions.can_manage_users(acting_user(actor)))
    _apply_user_data(user, data)
    return _flush_user(user)


def _set_password(user: User, password: str, must_change: bool) -> None:
    check_password_strength(password)
    user.set_password(password)
    user.must_change_password = must_change
    # Every existing session of the account ends with the old password.
    user.rotate_session_token()


@unit_of_work()
def set_password(
    user: User, password: str, *, must_change: bool = False, actor: Any = None
) -> None:
    """An administrator sets a new password; every existing session of the account ends."""
    check(permissions.can_manage_users(acting_user(actor)))
    _set_password(user, password, must_change)


@unit_of_work()
def change_own_password(user: User, current: str, new: str, actor: Any = None) -> User:
    actor = acting_user(actor)
    check(permissions.is_system(actor) or getattr(actor, "id", None) == user.id)
    if not user.check_password(current):
        raise ValidationError(_("Текущий пароль указан неверно."), "current_password")
    if current == new:
        raise ValidationError(_("Новый пароль должен отличаться от текущего."), "new_password")
    _set_password(user, new, must_change=False)
    return user


@unit_of_work()
def set_active(user: User, active: bool, actor: Any = None) -> None:
    actor = acting_user(actor)
    check(permissions.can_manage_users(actor))
    if not active and not permissions.can_deactivate_user(actor, user):
        raise ValidationError(_("Нельзя отключить собственную учётную запись."))
    user.is_active_flag = active
    if not active:
        user.rotate_session_token()


@unit_of_work()
def end_all_sessions(user: User, actor: Any = None) -> None:
    """Sign the account out everywhere (its own logout, or an administrator's decision)."""
    actor = acting_user(actor)
    check(permissions.can_manage_users(actor) or getattr(actor, "id", None) == user.id)
    user.rotate_session_token()


def _throttle_minutes(email: str, address: str, now: datetime) -> int | None:
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    since = now - window
    checks = (
        (LoginAttempt.email == email, config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
        (LoginAttempt.address == address, config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    )
    for condition, limit in checks:
        count, oldest = db.session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                condition, LoginAttempt.at > since
            )
        ).one()
        if count >= limit:
            remaining = ((oldest or now) + window - now).total_seconds()
            return max(1, int(remaining // 60) + 1)
    return None


def authenticate(email: str, password: str, address: str, now: datetime | None = None) -> User:
    """Return the user or raise; every failure looks the same from outside.

    A failure is recorded (for throttling) in its own committed unit before the error
    is raised, so the refusal does not roll the record back.
    """
    now = now or utcnow()
    email = (email or "").strip().lower()[:254]
    with transaction():
        minutes = _throttle_minutes(email, address, now)
        if minutes is not None:
            raise LoginThrottled(minutes)
        user = find_user_by_email(email) if email else None
        if user is None:
            passwords.waste_verification(password or "")
            ok = False
        else:
            ok = user.check_password(password or "")
        if not ok:
            # Failures older than a day no longer throttle anything: drop them as new ones come.
            db.session.execute(
                delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1))
            )
            db.session.add(LoginAttempt(email=email, address=address, at=now))
        elif user is not None and user.is_active:
            db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
            user.last_login_at = now
            # Older schemes (scrypt, pbkdf2) or weaker parameters move to today's argon2id.
            user.upgrade_password_hash(password)
    if user is None or not ok:
        raise InvalidCredentials(_("Неверный адрес электронной почты или пароль."))
    if not user.is_active:
        # Said only to someone who knows the password, so it leaks nothing new.
        raise AccountDisabled(_("Учётная запись отключена. Обратитесь к администратору."))
    return user
