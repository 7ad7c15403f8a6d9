"""Course staff pages: their home summary, the list of courses, a course's parameters,
the builder, its status and copies.

Each view signs the visitor in; the lookups and the service actions check what the
visitor may see and do, and anything refused answers 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from app import permissions
from app.accounts import directory
from app.core.forms import submit
from app.core.models import utcnow
from app.courses import authoring as courses
from app.courses import lookups, overview, progress
from app.courses.forms import CourseForm
from app.courses.labels import course_format_labels, document_type_labels
from app.courses.models import Course, CourseStatus
from app.courses.views import bp
from app.courses.views.common import perform, render, user
from app.materials import catalog
from app.materials.labels import level_labels

# --- the home page of course staff --------------------------------------------------------


def _staff_home_summary() -> dict[str, Any]:
    return {
        "courses": overview.staff_summary(since=utcnow() - timedelta(days=30)),
        "in_review": catalog.count_in_review(),
    }


@bp.app_context_processor
def _home_helpers() -> dict[str, Any]:
    # A callable, so only the pages that show the summary pay for its queries.
    return {"course_staff_summary": _staff_home_summary}


# --- the list of courses --------------------------------------------------------------------


@bp.route("/courses/manage")
@login_required
def manage_list() -> str:
    if not permissions.is_course_staff(user()):
        abort(404)
    return render("courses/manage/list.html", overview=overview.course_overview())


# --- a course's parameters ------------------------------------------------------------------


def _fill_course_choices(form: CourseForm, course: Course | None) -> None:
    form.format.choices = list(course_format_labels().items())
    documents = document_type_labels()
    allowed = [k for k in documents if k != "qualification" or permissions.organization_licensed()]
    form.document_type.choices = [(k, documents[k]) for k in allowed]
    form.subject_ids.choices = [(s.id, s.name) for s in directory.list_subjects()]
    form.levels.choices = list(level_labels().items())
    keep = [a.id for a in course.authors] if course else []
    form.author_ids.choices = [
        (u.id, f"{u.full_name} ({u.organization.short_name})" if u.organization else u.full_name)
        for u in overview.course_staff(keep)
    ]


def _course_data(form: CourseForm) -> courses.CourseData:
    return courses.CourseData(
        title=form.title.data or "",
        annotation=form.annotation.data or "",
        goals=form.goals.data or "",
        hours=form.hours.data or 0,
        format=form.format.data or "",
        document_type=form.document_type.data or "",
        subject_ids=form.subject_ids.data or [],
        levels=form.levels.data or [],
        positions=form.positions.data or "",
        enrol_opens_on=form.enrol_opens_on.data,
        enrol_closes_on=form.enrol_closes_on.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        sequential=bool(form.sequential.data),
        author_ids=form.author_ids.data or [],
    )


@bp.route("/courses/new", methods=["GET", "POST"])
@login_required
def course_new() -> str | BaseResponse:
    visitor = user()
    if not permissions.can_create_course(visitor):
        abort(404)
    form = CourseForm()
    _fill_course_choices(form, None)
    if request.method == "GET":
        form.author_ids.data = [visitor.id]
    if form.validate_on_submit():
        course = submit(form, courses.create_course, _course_data(form), visitor)
        if course is not None:
            flash(_("Курс создан. Добавьте модули."), "success")
            return redirect(url_for("courses.builder", course_id=course.id))
    return render("courses/manage/course_form.html", form=form, course=None)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@login_required
def course_edit(course_id: int) -> str | BaseResponse:
    course = lookups.editable_course(course_id, user())
    form = CourseForm(obj=course)
    _fill_course_choices(form, course)
    if request.method == "GET":
        form.subject_ids.data = [s.id for s in course.subjects]
        form.levels.data = list(course.audience_levels or [])
        form.positions.data = course.audience_positions
        form.author_ids.data = [a.id for a in course.authors]
    if form.validate_on_submit() and submit(
        form, courses.update_course, course, _course_data(form), user()
    ):
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("courses.builder", course_id=course.id))
    return render("courses/manage/course_form.html", form=form, course=course)


# --- the builder ----------------------------------------------------------------------------


def _status_actions(course: Course) -> list[tuple[str, str, str]]:
    """(status, button label, button classes) the course may move to from where it is."""
    publish = (CourseStatus.PUBLISHED, _("Опубликовать"), "btn btn-success")
    archive = (CourseStatus.ARCHIVED, _("В архив"), "btn btn-outline-secondary")
    draft = (CourseStatus.DRAFT, _("Вернуть в черновики"), "btn btn-outline-secondary")
    return {
        CourseStatus.DRAFT: [publish],
        CourseStatus.PUBLISHED: [archive, draft],
        CourseStatus.ARCHIVED: [publish, draft],
    }.get(course.status, [])


@bp.route("/courses/<int:course_id>/builder")
@login_required
def builder(course_id: int) -> str:
    course = lookups.staff_course(course_id, user())
    return render(
        "courses/manage/builder.html",
        course=course,
        can_edit=permissions.can_edit_course(user(), course),
        problems=courses.publication_problems(course),
        actions=_status_actions(course),
        summary=progress.enrollment_summary(course),
    )


@bp.route("/courses/<int:course_id>/status", methods=["POST"])
@login_required
def course_status(course_id: int) -> BaseResponse:
    course = lookups.editable_course(course_id, user())
    _result, refused = perform(courses.set_status, course, request.form.get("status", ""), user())
    if not refused:
        messages = {
            CourseStatus.PUBLISHED: _("Курс опубликован: педагоги могут на него записаться."),
            CourseStatus.ARCHIVED: _("Курс перенесён в архив."),
            CourseStatus.DRAFT: _("Курс возвращён в черновики."),
        }
        flash(messages.get(course.status, _("Статус курса изменён.")), "success")
    return redirect(url_for("courses.builder", course_id=course.id))


@bp.route("/courses/<int:course_id>/copy", methods=["POST"])
@login_required
def course_copy(course_id: int) -> BaseResponse:
    copy = courses.copy_course(lookups.staff_course(course_id, user()), user())
    flash(_("Создана копия курса. Проверьте даты и опубликуйте её."), "success")
    return redirect(url_for("courses.builder", course_id=copy.id))
