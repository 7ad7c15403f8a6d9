"""Taking a course: module states, tracking who opened what, tests, and completion decided at once.

Completion is written exactly once by a unique constraint (``INSERT … ON
CONFLICT DO NOTHING``), never by a read-then-write, and the document is issued
in the same transaction, so its date is the moment the last module was done.

Enrolment lives in ``enrolment`` and the teacher's overview in ``my_learning``.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app import permissions
from app.accounts.models import User
from app.core.db_support import upsert
from app.core.errors import NotFound, ValidationError
from app.core.models import utcnow
from app.core.unit_of_work import unit_of_work
from app.courses import certificates
from app.courses.dates import local_date
from app.courses.models import (
    Attempt,
    Course,
    CourseCompletion,
    CourseStatus,
    Criterion,
    Enrollment,
    Module,
    ModuleFile,
    ModuleProgress,
)
from app.extensions import db
from app.materials.access_events import AccessEvent, AccessKind

MAX_BEACON_SECONDS = 6 * 3600

P = ParamSpec("P")
T = TypeVar("T")


def keep_loaded_on_commit(action: Callable[P, T]) -> Callable[P, T]:
    """Commit the action's unit without expiring what the request already loaded.

    The module page goes on to use the user, the course and its modules; their rows
    were not written (the writes are SQL statements on progress rows), so only
    ``ModuleProgress`` objects go stale and are expired. Re-reading everything else
    for the page would cost more than the recording itself.
    """

    @functools.wraps(action)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        session = db.session()
        previous = session.expire_on_commit
        session.expire_on_commit = False
        try:
            return action(*args, **kwargs)
        finally:
            session.expire_on_commit = previous
            for obj in list(session.identity_map.values()):
                if isinstance(obj, ModuleProgress):
                    session.expire(obj)

    return wrapper


def _begin_write() -> None:
    """On SQLite, end any read-only transaction so the next statement, a write, opens one.

    There a transaction that reads first and writes later can fail at once under
    contention, while one that starts by writing simply waits its turn. PostgreSQL
    has no such trap, and the extra round trip is not paid there. Only reads have
    happened in the action so far, so this commit ends no write early.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.commit()


# --- module states ------------------------------------------------------------------------


@dataclass
class ModuleState:
    module: Module
    progress: ModuleProgress | None
    locked: bool

    @property
    def completed(self) -> bool:
        return bool(self.progress and self.progress.completed_at)

    @property
    def opened(self) -> bool:
        return bool(self.progress and self.progress.first_access_at)


def progress_by_module(user_id: int, course_id: int) -> dict[int, ModuleProgress]:
    rows = db.session.execute(
        select(ModuleProgress).where(
            ModuleProgress.user_id == user_id, ModuleProgress.course_id == course_id
        )
    ).scalars()
    return {p.module_id: p for p in rows}


def module_states(user: User, course: Course) -> list[ModuleState]:
    progress = progress_by_module(user.id, course.id)
    states = []
    blocked = False
    for module in course.modules:
        row = progress.get(module.id)
        states.append(ModuleState(module, row, locked=course.sequential and blocked))
        if module.required and not (row and row.completed_at):
            blocked = True
    return states


def check_can_open(user: User, module: Module) -> None:
    """Enrolled in a live course and past any sequence lock; otherwise the module is 'not found'."""
    course = module.course
    if course.status not in (CourseStatus.PUBLISHED, CourseStatus.ARCHIVED):
        raise NotFound()
    if not permissions.is_enrolled(user, course):
        raise NotFound()
    state = next(s for s in module_states(user, course) if s.module.id == module.id)
    if state.locked:
        raise ValidationError(
            _("Модуль откроется после завершения предыдущих обязательных модулей.")
        )


# --- tracking ----------------------------------------------------------------------------


def _record_event(
    kind: str, user_id: int, module_id: int, course_id: int, at: datetime, **extra: Any
) -> AccessEvent:
    """Append one access fact to the session (the caller's transaction commits it)."""
    event = AccessEvent(
        kind=kind, user_id=user_id, module_id=module_id, course_id=course_id, at=at, **extra
    )
    db.session.add(event)
    return event


def _touch_progress(user_id: int, module_id: int, course_id: int, now: datetime) -> None:
    stmt = upsert(ModuleProgress).values(
        user_id=user_id,
        module_id=module_id,
        course_id=course_id,
        first_access_at=now,
        last_access_at=now,
        visits=1,
        seconds=0,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "module_id"],
        set_={"last_access_at": now, "visits": ModuleProgress.visits + 1},
    )
    db.session.execute(stmt)


@keep_loaded_on_commit
@unit_of_work()
def record_module_open(user: User, module: Module) -> int:
    """One append-only event and the progress row, in one transaction; returns the event id."""
    check_can_open(user, module)
    user_id, module_id, course_id = user.id, module.id, module.course_id
    criterion = module.criterion
    _begin_write()
    now = utcnow()
    event = _record_event(AccessKind.MODULE_OPEN, user_id, module_id, course_id, now)
    db.session.flush()
    event_id = int(event.id)  # read before the commit expires it
    _touch_progress(user_id, module_id, course_id, now)
    if criterion == Criterion.OPENED:
        _complete_module(user_id, module_id, course_id, now)
    return event_id


@unit_of_work()
def record_module_download(user: User, module: Module, file: ModuleFile) -> None:
    check_can_open(user, module)
    user_id, module_id, course_id, file_id = user.id, module.id, module.course_id, file.id
    _begin_write()
    now = utcnow()
    _record_event(
        AccessKind.MODULE_DOWNLOAD, user_id, module_id, course_id, now, module_file_id=file_id
    )
    _touch_progress(user_id, module_id, course_id, now)


@unit_of_work()
def record_time(user: User, open_event_id: int, seconds: int) -> int:
    """Time on page reported by the browser; never more than has really passed."""
    event = db.session.get(AccessEvent, open_event_id)
    if (
        event is None
        or event.user_id != user.id
        or event.kind != AccessKind.MODULE_OPEN
        or event.module_id is None
    ):
        raise NotFound()
    user_id, module_id, course_id, opened_at = user.id, event.module_id, event.course_id, event.at
    reported = db.session.execute(
        select(func.coalesce(func.sum(AccessEvent.seconds), 0)).where(
            AccessEvent.kind == AccessKind.MODULE_TIME,
            AccessEvent.user_id == user_id,
            AccessEvent.module_id == module_id,
            AccessEvent.at >= opened_at,
        )
    ).scalar_one()
    now = utcnow()
    elapsed = int((now - opened_at).total_seconds()) + 2
    seconds = max(0, min(int(seconds), MAX_BEACON_SECONDS, elapsed - int(reported)))
    if seconds == 0:
        return 0
    _begin_write()
    _record_event(AccessKind.MODULE_TIME, user_id, module_id, course_id, now, seconds=seconds)
    db.session.execute(
        update(ModuleProgress)
        .where(ModuleProgress.user_id == user_id, ModuleProgress.module_id == module_id)
        .values(seconds=ModuleProgress.seconds + seconds)
    )
    return seconds


@unit_of_work()
def confirm_studied(user: User, module: Module) -> None:
    check_can_open(user, module)
    if module.criterion != Criterion.STUDIED:
        raise ValidationError(_("Этот модуль не требует подтверждения."))
    user_id, module_id, course_id = user.id, module.id, module.course_id
    _begin_write()
    now = utcnow()
    result = db.session.execute(
        update(ModuleProgress)
        .where(
            ModuleProgress.user_id == user_id,
            ModuleProgress.module_id == module_id,
            ModuleProgress.first_access_at.is_not(None),
        )
        .values(studied_at=func.coalesce(ModuleProgress.studied_at, now))
    )
    if not result.rowcount:
        raise ValidationError(_("Сначала откройте модуль."))
    _record_event(AccessKind.MODULE_STUDIED, user_id, module_id, course_id, now)
    _complete_module(user_id, module_id, course_id, now)


# --- completion ------------------------------------------------------------------------------


def _complete_module(user_id: int, module_id: int, course_id: int, now: datetime) -> None:
    newly = db.session.execute(
        update(ModuleProgress)
        .where(
            ModuleProgress.user_id == user_id,
            ModuleProgress.module_id == module_id,
            ModuleProgress.completed_at.is_(None),
        )
        .values(completed_at=now)
    ).rowcount
    if not newly:
        return  # already complete: the course was checked when it happened
    required = select(Module.id).where(Module.course_id == course_id, Module.required.is_(True))
    total = db.session.execute(select(func.count()).select_from(required.subquery())).scalar_one()
    done = db.session.execute(
        select(func.count())
        .select_from(ModuleProgress)
        .where(
            ModuleProgress.user_id == user_id,
            ModuleProgress.module_id.in_(required),
            ModuleProgress.completed_at.is_not(None),
        )
    ).scalar_one()
    if total and done >= total:
        complete_course(user_id, course_id, now)


def complete_course(user_id: int, course_id: int, now: datetime) -> int | None:
    """Insert the completion once; the first writer also issues the document. Caller commits."""
    course = db.session.get(Course, course_id)
    assert course is not None
    stmt = (
        upsert(CourseCompletion)
        .values(
            user_id=user_id,
            course_id=course_id,
            completed_at=now,
            completed_on=local_date(now),
            hours=course.hours,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "course_id"])
        .returning(CourseCompletion.id)
    )
    completion_id = db.session.execute(stmt).scalar()
    if completion_id is None:
        return None
    enrollment = db.session.execute(
        select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
    ).scalar_one_or_none()
    started = local_date(enrollment.enrolled_at) if enrollment else None
    if course.starts_on and (started is None or started < course.starts_on):
        started = course.starts_on
    certificates.issue(completion_id, user_id, course, now, started_on=started)
    return int(completion_id)


# --- tests ---------------------------------------------------------------------------------


def attempts_of(user: User, module: Module) -> list[Attempt]:
    return list(
        db.session.execute(
            select(Attempt)
            .where(Attempt.user_id == user.id, Attempt.module_id == module.id)
            .order_by(Attempt.number)
        ).scalars()
    )


def attempts_left(user: User, module: Module) -> int | None:
    if not module.max_attempts:
        return None
    finished = sum(1 for a in attempts_of(user, module) if a.finished_at)
    return max(0, module.max_attempts - finished)


@unit_of_work()
def start_attempt(user: User, module: Module, rng: random.Random | None = None) -> Attempt:
    check_can_open(user, module)
    if module.criterion != Criterion.TEST or not module.questions:
        raise ValidationError(_("В этом модуле нет теста."))
    previous = attempts_of(user, module)
    open_attempt = next((a for a in previous if a.finished_at is None), None)
    if open_attempt is not None:
        return open_attempt
    if any(a.passed for a in previous):
        raise ValidationError(_("Тест уже сдан."))
    left = attempts_left(user, module)
    if left == 0:
        raise ValidationError(_("Попытки закончились."))
    rng = rng or random.SystemRandom()
    snapshot: list[dict[str, Any]] = []
    for question in module.questions:
        options = [{"id": o.id, "text": o.text, "correct": o.correct} for o in question.options]
        if module.shuffle:
            rng.shuffle(options)
        snapshot.append(
            {
                "id": question.id,
                "text": question.text,
                "multiple": question.multiple,
                "options": options,
            }
        )
    if module.shuffle:
        rng.shuffle(snapshot)
    attempt = Attempt(
        module_id=module.id,
        user_id=user.id,
        number=(max((a.number for a in previous), default=0) + 1),
        questions=snapshot,
        answers={},
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt


def get_attempt(user: User, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound()
    return attempt


def grade(questions: list[dict[str, Any]], answers: dict[str, list[int]]) -> int:
    """Percent of questions answered exactly right (every correct option and nothing else)."""
    if not questions:
        return 0
    right = 0
    for question in questions:
        correct = {o["id"] for o in question["options"] if o["correct"]}
        if set(answers.get(str(question["id"]), [])) == correct:
            right += 1
    return round(100 * right / len(questions))


@unit_of_work()
def submit_attempt(user: User, attempt_id: int, raw_answers: dict[str, list[str]]) -> Attempt:
    attempt = get_attempt(user, attempt_id)
    module = attempt.module
    check_can_open(user, module)
    if attempt.finished_at is not None:
        raise ValidationError(_("Эта попытка уже завершена."))
    answers: dict[str, list[int]] = {}
    for question in attempt.questions:
        valid = {o["id"] for o in question["options"]}
        chosen = [int(v) for v in raw_answers.get(str(question["id"]), []) if str(v).isdigit()]
        chosen = [v for v in dict.fromkeys(chosen) if v in valid]
        if not question["multiple"]:
            chosen = chosen[:1]
        answers[str(question["id"])] = chosen
    score = grade(attempt.questions, answers)
    passed = score >= module.pass_mark
    attempt_pk, user_id, module_id, course_id = attempt.id, user.id, module.id, module.course_id
    _begin_write()
    now = utcnow()
    # Only the first submission of an attempt counts: a double click or a replay changes nothing.
    result = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_pk, Attempt.finished_at.is_(None))
        .values(finished_at=now, answers=answers, score=score, passed=passed)
    )
    if not result.rowcount:
        raise ValidationError(_("Эта попытка уже завершена."))
    _record_event(AccessKind.TEST_SUBMITTED, user_id, module_id, course_id, now)
    if passed:
        _touch_progress(user_id, module_id, course_id, now)
        _complete_module(user_id, module_id, course_id, now)
    db.session.flush()
    return get_attempt(user, attempt_pk)
