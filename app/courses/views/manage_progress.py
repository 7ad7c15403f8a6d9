"""A course's progress: the matrix of learners × modules and its export, one teacher's
history, and the course's documents as one archive. Progress readers (methodists,
administrators, managers) see every course's progress.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, stream_with_context
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts import directory
from app.core import exports
from app.core.http import page_arg
from app.courses import certificates, learning, lookups, progress
from app.courses.models import Course
from app.courses.views import bp
from app.courses.views.common import export_format, query_id, render, timezone, user
from content_store import content_disposition

MATRIX_PER_PAGE = 50


@bp.route("/courses/<int:course_id>/matrix")
@login_required
def matrix(course_id: int) -> str:
    course = lookups.progress_course(course_id, user())
    org_id = query_id("org")
    return render(
        "courses/manage/matrix.html",
        course=course,
        matrix=progress.matrix(course, org_id, page_arg(), MATRIX_PER_PAGE),
        org_id=org_id,
        organizations=directory.list_organizations(),
    )


def matrix_columns(course: Course) -> list[exports.Column]:
    """The matrix as a sheet: the screen's columns, each module split into its two dates."""
    columns = [
        exports.Column("name", _("ФИО"), 36),
        exports.Column("organization", _("Организация"), 30),
    ]
    for n, module in enumerate(course.modules, 1):
        label = f"{n}. {module.title}"
        columns.append(
            exports.Column(
                f"m{module.id}_first", _("%(m)s: первое обращение", m=label), 20, "datetime"
            )
        )
        columns.append(
            exports.Column(f"m{module.id}_done", _("%(m)s: завершён", m=label), 20, "datetime")
        )
    columns.append(exports.Column("completed_at", _("Курс завершён"), 20, "datetime"))
    return columns


def _matrix_export_rows(course: Course, organization_id: int | None) -> Iterator[dict[str, object]]:
    module_ids = [m.id for m in course.modules]
    for row in progress.matrix_rows_for_export(course, organization_id):
        values: dict[str, object] = {
            "name": row.user.full_name,
            "organization": row.user.organization.short_name if row.user.organization else "",
            "completed_at": row.completed_at,
        }
        for module_id in module_ids:
            cell = row.cells.get(module_id)
            values[f"m{module_id}_first"] = cell.first_access_at if cell else None
            values[f"m{module_id}_done"] = cell.completed_at if cell else None
        yield values


@bp.route("/courses/<int:course_id>/matrix/export")
@login_required
def matrix_export(course_id: int) -> Response:
    course = lookups.progress_course(course_id, user())
    fmt = export_format()
    return exports.export_response(
        fmt,
        _("прогресс — %(t)s", t=course.title)[:120],
        matrix_columns(course),
        _matrix_export_rows(course, query_id("org")),
        tz=timezone(),
        sheet_title=_("Прогресс"),
    )


def _seconds_phrase(seconds: int | None) -> str:
    seconds = int(seconds or 0)
    if seconds < 60:
        return _("%(n)d с", n=seconds)
    return _("%(n)d мин", n=round(seconds / 60))


def _event_label(kind: str, seconds: int | None) -> str:
    if kind == "module_open":
        return _("открыл модуль")
    if kind == "module_download":
        return _("скачал файл")
    if kind == "module_time":
        return _("время на странице: %(t)s", t=_seconds_phrase(seconds))
    if kind == "module_studied":
        return _("подтвердил(а) изучение")
    if kind == "test_submitted":
        return _("сдал(а) попытку теста")
    return kind


@bp.route("/courses/<int:course_id>/users/<int:user_id>/history")
@login_required
def history(course_id: int, user_id: int) -> str:
    course = lookups.progress_course(course_id, user())
    learner, enrollment = progress.learner_in_course(course, user_id, user())
    return render(
        "courses/manage/history.html",
        course=course,
        learner=learner,
        enrollment=enrollment,
        entries=progress.history_entries(course, learner),
        attempts=progress.attempts_in_course(course, learner),
        by_module=learning.progress_by_module(learner.id, course.id),
        completion=progress.completion_of(course, learner),
        event_label=_event_label,
        seconds_phrase=_seconds_phrase,
    )


@bp.route("/courses/<int:course_id>/certificates.zip")
@login_required
def course_certificates_zip(course_id: int) -> Response:
    course = lookups.progress_course(course_id, user())
    body = certificates.zip_for_course(course)
    response = Response(stream_with_context(body), mimetype="application/zip")
    response.headers["Content-Disposition"] = content_disposition(f"{course.title}.zip")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
