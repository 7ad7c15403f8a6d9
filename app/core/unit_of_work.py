"""One transaction per service action, with work that runs only after it commits.

A service action is written as::

    @unit_of_work()
    def publish(actor, material):
        check(permissions.can_transition(actor, material, "publish"))
        material.status = MaterialStatus.PUBLISHED
        current_unit().after_commit(lambda: notify_author(material))

The decorator commits when the function returns and rolls back when it raises,
so a view never touches ``db.session``. Calls nest: an action that calls another
joins the outer unit, and only the outermost one commits. Work registered with
``after_commit`` (letters, cache refreshes) runs once the data is durable; work
that must survive a crash (index tasks) is written as rows in the same
transaction instead, by flush hooks.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from app.core.errors import NotFound, PermissionDenied
from app.extensions import db

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class UnitOfWork:
    def __init__(self) -> None:
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, operation: Callable[[], None]) -> None:
        self._after_commit.append(operation)

    def _run_after_commit(self) -> None:
        operations, self._after_commit = self._after_commit, []
        for operation in operations:
            try:
                operation()
            except Exception:
                # The change is committed; a failed follow-up must not turn it into an error.
                log.exception("after-commit operation %s failed", operation)


_current: ContextVar[UnitOfWork | None] = ContextVar("unit_of_work", default=None)


def current_unit() -> UnitOfWork:
    unit = _current.get()
    if unit is None:
        raise RuntimeError("current_unit() outside a unit of work")
    return unit


@contextmanager
def transaction() -> Iterator[UnitOfWork]:
    """Commit on success, roll back on any exception; join an enclosing unit if there is one."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    unit = UnitOfWork()
    token = _current.set(unit)
    try:
        yield unit
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _current.reset(token)
    unit._run_after_commit()


def unit_of_work() -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorator form of :func:`transaction` for service actions."""

    def decorate(function: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            with transaction():
                return function(*args, **kwargs)

        return wrapper

    return decorate


def check(allowed: bool, message: str = "") -> None:
    """The first line of a service action: refuse unless the permissions package agreed.

    Refusals are reported as ``PermissionDenied``, which the error handlers answer with
    404, so a page does not reveal that an object the user may not see exists.
    """
    if not allowed:
        raise PermissionDenied(message)


def found(obj: T | None) -> T:
    """``obj`` or ``NotFound``: for objects looked up by an id taken from the request."""
    if obj is None:
        raise NotFound()
    return obj
