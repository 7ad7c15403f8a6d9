"""Teacher-facing course pages: the course list, a course, its modules and tests,
"my learning" and documents. The public check of a document is in ``verify``.

Every page needs a signed-in user; each view says so itself, because the
blueprint is shared with the methodists' pages. Lookups answer 404 through the
error handlers; a refusal the teacher can act on is flashed on the course page.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from app import permissions
from app.core.errors import NotFound
from app.core.models import utcnow
from app.courses import certificates, dates, enrolment, learning, lookups
from app.courses import my_learning as overview
from app.courses.models import Attempt, Course, Criterion, Module
from app.courses.views import bp
from app.courses.views.common import form_id, perform, render, user
from app.materials import files
from content_store import content_disposition


def pct_class(percent: int) -> str:
    """A width class for a progress bar (no inline styles under the CSP): w-pct-0 … w-pct-100."""
    percent = max(0, min(100, int(percent)))
    return f"w-pct-{5 * round(percent / 5)}"


def _render(template: str, **context: Any) -> str:
    return render(template, pct_class=pct_class, today=dates.local_date(utcnow()), **context)


def _card(visitor: Any, course: Course) -> overview.CourseCard | None:
    """The visitor's progress card for one course (None when not enrolled)."""
    mine = overview.my_learning(visitor)
    return next((c for c in mine.current + mine.completed if c.course.id == course.id), None)


def _course_and_module(course_id: int, module_id: int) -> tuple[Course, Module]:
    course = lookups.get_course(course_id, user())
    return course, lookups.get_module(course, module_id)


def _to_course(course: Course) -> Response:
    return redirect(url_for("courses.detail", course_id=course.id))


# --- the list of courses and enrolment -------------------------------------------------


@bp.route("/courses")
@login_required
def catalog() -> str:
    visitor = user()
    open_list = overview.open_courses(visitor)
    enrolled = (
        overview.enrolled_course_ids(visitor, [c.id for c in open_list])
        if permissions.can_take_courses(visitor)
        else set()
    )
    return _render("courses/learn/catalog.html", courses=open_list, enrolled=enrolled)


@bp.route("/courses/<int:course_id>/enrol", methods=["POST"])
@login_required
def enrol_self(course_id: int) -> Response:
    course = lookups.get_course(course_id, user())
    _result, refused = perform(enrolment.enrol_self, user(), course)
    if not refused:
        flash(_("Вы записаны на курс «%(t)s».", t=course.title), "success")
    return _to_course(course)


# --- a course ---------------------------------------------------------------------------


@bp.route("/courses/<int:course_id>")
@login_required
def detail(course_id: int) -> str:
    visitor = user()
    course = lookups.get_course(course_id, visitor)
    card = _card(visitor, course)
    states = learning.module_states(visitor, course) if card else []
    return _render(
        "courses/learn/detail.html",
        course=course,
        card=card,
        states=states,
        can_enrol=(
            card is None
            and permissions.can_take_courses(visitor)
            and enrolment.enrolment_open(course)
        ),
    )


# --- a module -----------------------------------------------------------------------------


@bp.route("/courses/<int:course_id>/modules/<int:module_id>")
@login_required
def module(course_id: int, module_id: int) -> str | Response:
    visitor = user()
    course, current = _course_and_module(course_id, module_id)
    event_id, refused = perform(learning.record_module_open, visitor, current)
    if refused:
        return _to_course(course)
    states = learning.module_states(visitor, course)
    index = next(i for i, s in enumerate(states) if s.module.id == current.id)
    attempts = learning.attempts_of(visitor, current) if current.criterion == Criterion.TEST else []
    required = [s for s in states if s.module.required]
    return _render(
        "courses/learn/module.html",
        course=course,
        module=current,
        state=states[index],
        previous=states[index - 1] if index > 0 else None,
        following=states[index + 1] if index + 1 < len(states) else None,
        position=index + 1,
        total=len(states),
        event_id=event_id,
        attempts=attempts,
        open_attempt=next((a for a in attempts if a.finished_at is None), None),
        passed=any(a.passed for a in attempts),
        attempts_left=learning.attempts_left(visitor, current),
        course_complete=bool(required) and all(s.completed for s in required),
        materials=[m for m in current.materials if permissions.can_view_material(visitor, m)],
    )


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/studied", methods=["POST"])
@login_required
def confirm_studied(course_id: int, module_id: int) -> Response:
    course, current = _course_and_module(course_id, module_id)
    _result, refused = perform(learning.confirm_studied, user(), current)
    if refused:
        return redirect(url_for("courses.module", course_id=course.id, module_id=current.id))
    flash(_("Модуль «%(t)s» отмечен как изученный.", t=current.title), "success")
    return _to_course(course)


@bp.route("/courses/track", methods=["POST"])
@login_required
def track_time() -> Response:
    """The time beacon of module_tracking.js: seconds the module page was visible."""
    event_id = form_id(request.form.get("event"))
    raw_seconds = request.form.get("seconds", "")
    if not raw_seconds.isdigit() or len(raw_seconds) > 9:
        abort(404)
    learning.record_time(user(), event_id, int(raw_seconds))
    return Response(status=204)


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/files/<int:file_id>")
@login_required
def module_file(course_id: int, module_id: int, file_id: int) -> Response:
    visitor = user()
    course, current = _course_and_module(course_id, module_id)
    file = lookups.module_file(current, file_id)
    _result, refused = perform(learning.check_can_open, visitor, current)
    if refused:
        return _to_course(course)
    # ModuleFile carries the same storage attributes as a material's StoredFile;
    # a StorageFailure is answered 503 by core.error_pages.
    response = files.file_response(file)  # type: ignore[arg-type]
    if files.counts_as_download():
        learning.record_module_download(visitor, current, file)
    return response


# --- tests ------------------------------------------------------------------------------------


def _attempt_of_module(visitor: Any, module: Module, attempt_id: int) -> Attempt:
    taken = learning.get_attempt(visitor, attempt_id)
    if taken.module_id != module.id:
        raise NotFound()
    return taken


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/attempt", methods=["GET", "POST"])
@login_required
def attempt(course_id: int, module_id: int) -> str | Response:
    visitor = user()
    course, current = _course_and_module(course_id, module_id)
    back = redirect(url_for("courses.module", course_id=course.id, module_id=current.id))
    _result, refused = perform(learning.check_can_open, visitor, current)
    if refused:
        return _to_course(course)

    if request.method == "POST":
        taken = _attempt_of_module(visitor, current, form_id(request.form.get("attempt_id")))
        answers = {str(q["id"]): request.form.getlist(f"q{q['id']}") for q in taken.questions}
        done, _refused = perform(learning.submit_attempt, visitor, taken.id, answers)
        if done is None:
            return back
        return redirect(
            url_for(
                "courses.attempt_result",
                course_id=course.id,
                module_id=current.id,
                attempt_id=done.id,
            )
        )

    started, _refused = perform(learning.start_attempt, visitor, current)
    if started is None:
        return back
    return _render(
        "courses/learn/attempt.html",
        course=course,
        module=current,
        attempt=started,
        attempts_left=learning.attempts_left(visitor, current),
    )


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/attempts/<int:attempt_id>")
@login_required
def attempt_result(course_id: int, module_id: int, attempt_id: int) -> str | Response:
    visitor = user()
    course, current = _course_and_module(course_id, module_id)
    taken = _attempt_of_module(visitor, current, attempt_id)
    if taken.finished_at is None:
        return redirect(url_for("courses.attempt", course_id=course.id, module_id=current.id))
    right = sum(
        1
        for q in taken.questions
        if set(taken.answers.get(str(q["id"]), []))
        == {o["id"] for o in q["options"] if o["correct"]}
    )
    return _render(
        "courses/learn/attempt_result.html",
        course=course,
        module=current,
        attempt=taken,
        right=right,
        attempts_left=learning.attempts_left(visitor, current),
        card=_card(visitor, course),
    )


# --- my learning and documents ----------------------------------------------------------------


@bp.route("/learning")
@login_required
def my_learning() -> str:
    return _render("courses/learn/my_learning.html", learning=overview.my_learning(user()))


@bp.route("/certificates/<int:certificate_id>/pdf")
@login_required
def certificate_pdf(certificate_id: int) -> Response:
    certificate = certificates.get_certificate(certificate_id, user())
    response = Response(certificates.render_pdf(certificate), mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(
        certificates.pdf_filename(certificate), "attachment"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
