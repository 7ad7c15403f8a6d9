"""Catching changes to people and documents from the session, whoever makes them.

``before_flush`` reads what is about to change (attribute histories are exact
then) and ``after_flush`` writes the entries with the ids the flush just gave,
on the same connection: the entry commits or rolls back with the change. Bulk
``UPDATE`` statements on external training records (the status is changed by
a guarded UPDATE) are caught in ``do_orm_execute`` by reading the rows before
and after.

Who is recorded: changes to people when an administrator or a methodist makes
them, or the system (command line, background work) does; a person's own
sign-in, sign-out and password change are not audited here. Documents
(certificates, external training decisions) whoever triggers them.

Never stored: password hashes, session tokens, check codes — only the fact
that a password was set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from app.accounts.models import Organization, Role, Subject, User
from app.audit.models import AuditEntry
from app.core.logging_setup import current_request_id
from app.core.models import utcnow
from app.courses.models import Certificate, CertificateStatus
from app.training.models import ExternalTraining, TrainingStatus

SYSTEM_ROLE = "system"
STAFF_ROLES = frozenset({Role.ADMIN, Role.METHODIST})
# Endpoints whose new accounts are an import, not one-by-one creation.
IMPORT_ENDPOINTS = frozenset({"admin.import_confirm"})
_PENDING = "audit_pending"


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str
    role: str

    @property
    def is_staff_or_system(self) -> bool:
        return self.role == SYSTEM_ROLE or self.role in STAFF_ROLES


@dataclass
class Pending:
    action: str
    target: Any  # the instance; its id is read after the flush
    target_type: str
    target_name: str
    details: dict[str, Any] = field(default_factory=dict)
    actor: Actor | None = None  # instead of the request's user


def system_actor_name() -> str:
    return "Система (командная строка, фоновые задачи)"


def current_actor() -> Actor:
    if not has_request_context():
        return Actor(None, system_actor_name(), SYSTEM_ROLE)
    # Flask-Login keeps the user it loaded in g; asking current_user here could load it
    # in the middle of a flush.
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(None, "Анонимный посетитель", "")
    return Actor(user.id, user.short_name, str(user.role))


# --- values as they are stored in details ----------------------------------------


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Organization):
        return value.short_name
    if isinstance(value, Subject):
        return value.name
    if isinstance(value, list | tuple | set):
        return sorted(str(_plain(v)) for v in value)
    return str(value)


def _scalar_change(obj: Any, key: str) -> tuple[Any, Any] | None:
    history = inspect(obj).attrs[key].history
    if not history.has_changes():
        return None
    old = history.deleted[0] if history.deleted else None
    new = history.added[0] if history.added else None
    if old == new:
        return None
    return _plain(old), _plain(new)


def _collection_change(obj: Any, key: str) -> tuple[Any, Any] | None:
    history = inspect(obj).attrs[key].history
    if not (history.added or history.deleted):
        return None
    old = _plain([*history.unchanged, *history.deleted])
    new = _plain([*history.unchanged, *history.added])
    return (old, new) if old != new else None


def _organization_change(session: Session, user: User) -> tuple[Any, Any] | None:
    history = inspect(user).attrs["organization"].history
    if not history.has_changes():
        return None
    new = history.added[0] if history.added else None
    if history.deleted:
        old = history.deleted[0]
    else:
        # The old many-to-one was never loaded; its key is still the committed one.
        old_id = inspect(user).attrs["organization_id"].value
        with session.no_autoflush:
            old = session.get(Organization, old_id) if old_id else None
    if (old.id if old else None) == (new.id if new else None):
        return None
    return _plain(old), _plain(new)


# --- people ----------------------------------------------------------------------

_USER_FIELDS = ("email", "last_name", "first_name", "patronymic", "position")


def _user_name(user: User) -> str:
    return user.full_name


def _user_created(session: Session, user: User, actor: Actor) -> list[Pending]:
    if not actor.is_staff_or_system:
        return []
    importing = has_request_context() and request.endpoint in IMPORT_ENDPOINTS
    details = {
        "email": user.email,
        "role": _plain(user.role),
        "organization": _plain(user.organization),
        "position": user.position or "",
        "must_change_password": bool(user.must_change_password),
    }
    action = "user.import" if importing else "user.create"
    return [Pending(action, user, "user", _user_name(user), details)]


def _user_changed(session: Session, user: User, actor: Actor) -> list[Pending]:
    if not actor.is_staff_or_system:
        return []
    name = _user_name(user)
    entries: list[Pending] = []
    role = _scalar_change(user, "role")
    if role:
        entries.append(Pending("user.role", user, "user", name, {"changes": {"role": list(role)}}))
    active = _scalar_change(user, "is_active_flag")
    if active:
        action = "user.activate" if active[1] else "user.deactivate"
        entries.append(Pending(action, user, "user", name, {}))
    must_change = _scalar_change(user, "must_change_password")
    if inspect(user).attrs["password_hash"].history.has_changes():
        # The fact only: the hash, even salted, stays out of the journal.
        details = {"must_change_password": bool(user.must_change_password)}
        entries.append(Pending("user.password", user, "user", name, details))
        must_change = None
    changes: dict[str, Any] = {}
    for key in _USER_FIELDS:
        change = _scalar_change(user, key)
        if change:
            changes[key] = list(change)
    organization = _organization_change(session, user)
    if organization:
        changes["organization"] = list(organization)
    subjects = _collection_change(user, "subjects")
    if subjects:
        changes["subjects"] = list(subjects)
    if must_change:
        changes["must_change_password"] = list(must_change)
    if changes:
        entries.append(Pending("user.update", user, "user", name, {"changes": changes}))
    return entries


def _user_deleted(session: Session, user: User, actor: Actor) -> list[Pending]:
    if not actor.is_staff_or_system:
        return []
    details = {"email": user.email, "role": _plain(user.role)}
    return [Pending("user.delete", user, "user", _user_name(user), details)]


# --- documents -------------------------------------------------------------------


def _certificate_name(certificate: Certificate) -> str:
    return f"№ {certificate.number}, {certificate.full_name}"


def _certificate_created(session: Session, certificate: Certificate, actor: Actor) -> list[Pending]:
    details = {
        "number": certificate.number,
        "course": certificate.course_title,
        "hours": certificate.hours,
    }
    action = "certificate.issue"
    on_behalf = None
    if not actor.is_staff_or_system:
        # A teacher finishing a course makes the platform issue the document; the
        # teacher is not its issuer.
        on_behalf = Actor(None, "Система (курс завершён)", SYSTEM_ROLE)
    if certificate.duplicate_of_id is not None:
        action = "certificate.duplicate"
        with session.no_autoflush:
            original = session.get(Certificate, certificate.duplicate_of_id)
        details["duplicate_of"] = original.number if original else None
    name = _certificate_name(certificate)
    return [Pending(action, certificate, "certificate", name, details, on_behalf)]


def _certificate_changed(session: Session, certificate: Certificate, actor: Actor) -> list[Pending]:
    status = _scalar_change(certificate, "status")
    if not status or status[1] != CertificateStatus.REVOKED:
        return []
    details = {"reason": certificate.revoke_reason or ""}
    name = _certificate_name(certificate)
    return [Pending("certificate.revoke", certificate, "certificate", name, details)]


_TRAINING_DECISIONS = {
    TrainingStatus.VERIFIED: "training.verify",
    TrainingStatus.RETURNED: "training.return",
}


def _training_name(session: Session, user_id: int, programme: str) -> str:
    with session.no_autoflush:
        teacher = session.get(User, user_id)
    who = teacher.short_name if teacher else f"id={user_id}"
    return f"{who}: {programme}"[:500]


def _training_created(session: Session, record: ExternalTraining, actor: Actor) -> list[Pending]:
    if not actor.is_staff_or_system:
        return []  # a teacher's own record is no decision yet
    details = {
        "programme": record.programme,
        "hours": record.hours,
        "status": _plain(record.status),
    }
    name = _training_name(session, record.user_id, record.programme)
    return [Pending("training.record", record, "external_training", name, details)]


def _training_decision(status: str, comment: str) -> tuple[str, dict[str, Any]] | None:
    action = _TRAINING_DECISIONS.get(status)  # type: ignore[call-overload]
    if action is None:
        return None
    return action, ({"comment": comment} if action == "training.return" else {})


def _training_changed(session: Session, record: ExternalTraining, actor: Actor) -> list[Pending]:
    status = _scalar_change(record, "status")
    decision = _training_decision(status[1], record.review_comment) if status else None
    if decision is None:
        return []
    action, details = decision
    details["changes"] = {"status": list(status)}  # type: ignore[arg-type]
    name = _training_name(session, record.user_id, record.programme)
    return [Pending(action, record, "external_training", name, details)]


def _training_deleted(session: Session, record: ExternalTraining, actor: Actor) -> list[Pending]:
    if not actor.is_staff_or_system:
        return []
    name = _training_name(session, record.user_id, record.programme)
    details = {"programme": record.programme, "status": _plain(record.status)}
    return [Pending("training.delete", record, "external_training", name, details)]


Handler = Callable[[Session, Any, Actor], list[Pending]]
# class -> (created, changed, deleted)
WATCHED: dict[type, tuple[Handler | None, Handler | None, Handler | None]] = {
    User: (_user_created, _user_changed, _user_deleted),
    Certificate: (_certificate_created, _certificate_changed, None),
    ExternalTraining: (_training_created, _training_changed, _training_deleted),
}


# --- session events --------------------------------------------------------------


def _collect(session: Session, objects: Iterable[Any], which: int, actor: Actor) -> list[Pending]:
    found: list[Pending] = []
    for obj in objects:
        handlers = WATCHED.get(type(obj))
        if handlers and handlers[which] is not None:
            found += handlers[which](session, obj, actor)  # type: ignore[misc]
    return found


def before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("audit entries are append-only")
    actor: Actor | None = None
    pending: list[Pending] = []
    for which, objects in enumerate((session.new, session.dirty, session.deleted)):
        watched = [obj for obj in objects if type(obj) in WATCHED]
        if not watched:
            continue
        actor = actor or current_actor()
        if which == 1:
            watched = [obj for obj in watched if session.is_modified(obj)]
        pending += _collect(session, watched, which, actor)
    session.info[_PENDING] = (actor, pending)


def _row(actor: Actor, entry: Pending, target_id: int | None, now: datetime) -> dict[str, Any]:
    request_id = current_request_id()
    who = entry.actor or actor
    return {
        "at": now,
        "actor_id": who.id,
        "actor_name": who.name[:300],
        "actor_role": who.role,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": target_id,
        "target_name": entry.target_name[:500],
        "details": json.dumps(entry.details, ensure_ascii=False, sort_keys=True),
        "request_id": request_id if request_id != "-" else "",
    }


def _rows(actor: Actor, pending: list[Pending], target_ids: list[int | None]) -> list[dict]:
    now = utcnow()
    return [
        _row(actor, entry, target_id, now)
        for entry, target_id in zip(pending, target_ids, strict=True)
    ]


def _target_id(obj: Any) -> int | None:
    # In after_flush a new object has its id in its dict but no identity key yet.
    return inspect(obj).dict.get("id")


def after_flush(session: Session, _flush_context: Any) -> None:
    actor, pending = session.info.pop(_PENDING, (None, []))
    if not pending or actor is None:
        return
    rows = _rows(actor, pending, [_target_id(entry.target) for entry in pending])
    session.connection().execute(insert(AuditEntry.__table__), rows)


def _training_states(session: Session, where: Any) -> dict[int, tuple[Any, ...]]:
    query = select(
        ExternalTraining.id,
        ExternalTraining.status,
        ExternalTraining.user_id,
        ExternalTraining.programme,
        ExternalTraining.review_comment,
    ).where(where)
    with session.no_autoflush:
        return {row[0]: tuple(row) for row in session.execute(query)}


def do_orm_execute(state: ORMExecuteState) -> Any:
    """A guarded ``UPDATE external_trainings`` decides a record without touching the object."""
    if not state.is_update or state.bind_mapper is None:
        return None
    if state.bind_mapper.class_ is not ExternalTraining:
        return None
    where = state.statement.whereclause  # type: ignore[attr-defined]
    if where is None:
        return None
    session = state.session
    before = _training_states(session, where)
    result = state.invoke_statement()
    if not before:
        return result
    after = _training_states(session, ExternalTraining.id.in_(list(before)))
    pending: list[Pending] = []
    for record_id, (_id, old_status, user_id, programme, _comment) in before.items():
        now = after.get(record_id)
        if now is None or now[1] == old_status:
            continue
        decision = _training_decision(now[1], now[4])
        if decision is None:
            continue
        action, details = decision
        details["changes"] = {"status": [_plain(old_status), _plain(now[1])]}
        name = _training_name(session, user_id, programme)
        pending.append(Pending(action, record_id, "external_training", name, details))
    if pending:
        rows = _rows(current_actor(), pending, [entry.target for entry in pending])
        session.connection().execute(insert(AuditEntry.__table__), rows)
    return result


def install(session: Any) -> None:
    """Listen on the app's session (once per process, whatever number of apps)."""
    for name, listener in (
        ("before_flush", before_flush),
        ("after_flush", after_flush),
        ("do_orm_execute", do_orm_execute),
    ):
        if not event.contains(session, name, listener):
            event.listen(session, name, listener)
