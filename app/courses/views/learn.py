"""Teacher-facing course pages: the course list, a course, its modules and tests,
"my learning", documents, and the public check of a document's number.

Every page but ``verify`` needs a signed-in user; each view says so itself,
because the blueprint is shared with the methodists' pages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import permissions
from app.core.errors import NotFound, PermissionDenied, ValidationError
from app.core.models import utcnow
from app.courses import authoring as courses
from app.courses import certificates, learning
from app.courses.certificate_pdf import hours_phrase
from app.courses.labels import course_format_labels, criterion_labels, document_type_labels
from app.courses.models import Attempt, Course, Criterion, Module, ModuleFile
from app.courses.views import bp
from app.materials import files
from app.materials.services import StorageFailure
from content_store import content_disposition

MAX_SHOWN_NUMBER = 80  # characters of an unknown number echoed back on /verify


def _user() -> Any:
    return current_user._get_current_object()


# --- labels and small helpers shared by the templates ---------------------------------


def russian_plural(n: int, one: str, few: str, many: str) -> str:
    """Pick the Russian plural form for ``n`` (1 день, 2 дня, 5 дней)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def days_left_phrase(ends_on: date | None, today: date) -> str:
    if ends_on is None:
        return ""
    days = (ends_on - today).days
    if days < 0:
        return _("срок прошёл")
    if days == 0:
        return _("последний день")
    return russian_plural(
        days,
        _("остался %(n)d день", n=days),
        _("осталось %(n)d дня", n=days),
        _("осталось %(n)d дней", n=days),
    )


def pct_class(percent: int) -> str:
    """A width class for a progress bar (no inline styles under the CSP): w-pct-0 … w-pct-100."""
    percent = max(0, min(100, int(percent)))
    return f"w-pct-{5 * round(percent / 5)}"


def _render(template: str, **context: Any) -> str:
    return render_template(
        template,
        hours_phrase=hours_phrase,
        format_labels=course_format_labels(),
        document_labels=document_type_labels(),
        criterion_labels=criterion_labels(),
        pct_class=pct_class,
        today=learning.local_date(utcnow()),
        days_left=days_left_phrase,
        **context,
    )


def _course_or_404(course_id: int) -> Course:
    try:
        return courses.get_course(course_id, _user())
    except NotFound:
        abort(404)


def _module_or_404(course: Course, module_id: int) -> Module:
    try:
        return courses.get_module(course, module_id)
    except NotFound:
        abort(404)


def _card(user: Any, course: Course) -> learning.CourseCard | None:
    """The user's progress card for one course (None when not enrolled)."""
    mine = learning.my_learning(user)
    return next((c for c in mine.current + mine.completed if c.course.id == course.id), None)


def _int_arg(value: str | None) -> int:
    """A positive database id from a form field, or 404."""
    if value is None or not value.isdigit() or len(value) > 18:
        abort(404)
    return int(value)


# --- the list of courses and enrolment -------------------------------------------------


@bp.route("/courses")
@login_required
def catalog() -> str:
    user = _user()
    open_list = learning.open_courses(user)
    enrolled = (
        {c.id for c in open_list if permissions.is_enrolled(user, c)}
        if permissions.can_take_courses(user)
        else set()
    )
    return _render("courses/learn/catalog.html", courses=open_list, enrolled=enrolled)


@bp.route("/courses/<int:course_id>/enrol", methods=["POST"])
@login_required
def enrol_self(course_id: int) -> Response:
    course = _course_or_404(course_id)
    try:
        learning.enrol_self(_user(), course)
    except (PermissionDenied, ValidationError) as exc:
        flash(str(exc) or _("Записаться на этот курс нельзя."), "danger")
    else:
        flash(_("Вы записаны на курс «%(t)s».", t=course.title), "success")
    return redirect(url_for("courses.detail", course_id=course.id))


# --- a course ---------------------------------------------------------------------------


@bp.route("/courses/<int:course_id>")
@login_required
def detail(course_id: int) -> str:
    user = _user()
    course = _course_or_404(course_id)
    card = _card(user, course)
    states = learning.module_states(user, course) if card else []
    return _render(
        "courses/learn/detail.html",
        course=course,
        card=card,
        states=states,
        can_enrol=(
            card is None and permissions.can_take_courses(user) and learning.enrolment_open(course)
        ),
    )


# --- a module -----------------------------------------------------------------------------


def _open_denied(course: Course, exc: ValidationError) -> Response:
    flash(str(exc), "warning")
    return redirect(url_for("courses.detail", course_id=course.id))


@bp.route("/courses/<int:course_id>/modules/<int:module_id>")
@login_required
def module(course_id: int, module_id: int) -> str | Response:
    user = _user()
    course = _course_or_404(course_id)
    current = _module_or_404(course, module_id)
    try:
        event_id = learning.record_module_open(user, current)
    except NotFound:
        abort(404)
    except ValidationError as exc:
        return _open_denied(course, exc)
    states = learning.module_states(user, course)
    index = next(i for i, s in enumerate(states) if s.module.id == current.id)
    attempts = learning.attempts_of(user, current) if current.criterion == Criterion.TEST else []
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
        attempts_left=learning.attempts_left(user, current),
        course_complete=bool(required) and all(s.completed for s in required),
        materials=[m for m in current.materials if permissions.can_view_material(user, m)],
    )


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/studied", methods=["POST"])
@login_required
def confirm_studied(course_id: int, module_id: int) -> Response:
    user = _user()
    course = _course_or_404(course_id)
    current = _module_or_404(course, module_id)
    try:
        learning.confirm_studied(user, current)
    except NotFound:
        abort(404)
    except ValidationError as exc:
        flash(str(exc), "warning")
        return redirect(url_for("courses.module", course_id=course.id, module_id=current.id))
    flash(_("Модуль «%(t)s» отмечен как изученный.", t=current.title), "success")
    return redirect(url_for("courses.detail", course_id=course.id))


@bp.route("/courses/track", methods=["POST"])
@login_required
def track_time() -> Response:
    """The time beacon of module_tracking.js: seconds the module page was visible."""
    event_id = _int_arg(request.form.get("event"))
    raw_seconds = request.form.get("seconds", "")
    if not raw_seconds.isdigit() or len(raw_seconds) > 9:
        abort(404)
    try:
        learning.record_time(_user(), event_id, int(raw_seconds))
    except NotFound:
        abort(404)
    return Response(status=204)


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/files/<int:file_id>")
@login_required
def module_file(course_id: int, module_id: int, file_id: int) -> Response:
    user = _user()
    course = _course_or_404(course_id)
    current = _module_or_404(course, module_id)
    file: ModuleFile | None = next((f for f in current.files if f.id == file_id), None)
    if file is None:
        abort(404)
    try:
        learning.check_can_open(user, current)
    except NotFound:
        abort(404)
    except ValidationError as exc:
        return _open_denied(course, exc)
    try:
        # ModuleFile carries the same storage attributes as a material's StoredFile.
        response = files.file_response(file)
    except NotFound:
        abort(404)
    except StorageFailure:
        return Response(
            render_template(
                "errors/error.html",
                code=503,
                title=_("Хранилище недоступно"),
                message=_("Файл сейчас не удаётся получить из хранилища. Попробуйте позже."),
            ),
            status=503,
        )
    if files.counts_as_download():
        learning.record_module_download(user, current, file)
    return response


# --- tests ------------------------------------------------------------------------------------


def _attempt_of_module(user: Any, module: Module, attempt_id: int) -> Attempt:
    try:
        attempt = learning.get_attempt(user, attempt_id)
    except NotFound:
        abort(404)
    if attempt.module_id != module.id:
        abort(404)
    return attempt


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/attempt", methods=["GET", "POST"])
@login_required
def attempt(course_id: int, module_id: int) -> str | Response:
    user = _user()
    course = _course_or_404(course_id)
    current = _module_or_404(course, module_id)
    back = url_for("courses.module", course_id=course.id, module_id=current.id)
    try:
        learning.check_can_open(user, current)
    except NotFound:
        abort(404)
    except ValidationError as exc:
        return _open_denied(course, exc)

    if request.method == "POST":
        taken = _attempt_of_module(user, current, _int_arg(request.form.get("attempt_id")))
        answers = {str(q["id"]): request.form.getlist(f"q{q['id']}") for q in taken.questions}
        try:
            done = learning.submit_attempt(user, taken.id, answers)
        except NotFound:
            abort(404)
        except ValidationError as exc:
            flash(str(exc), "warning")
            return redirect(back)
        return redirect(
            url_for(
                "courses.attempt_result",
                course_id=course.id,
                module_id=current.id,
                attempt_id=done.id,
            )
        )

    try:
        started = learning.start_attempt(user, current)
    except ValidationError as exc:
        flash(str(exc), "warning")
        return redirect(back)
    return _render(
        "courses/learn/attempt.html",
        course=course,
        module=current,
        attempt=started,
        attempts_left=learning.attempts_left(user, current),
    )


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/attempts/<int:attempt_id>")
@login_required
def attempt_result(course_id: int, module_id: int, attempt_id: int) -> str | Response:
    user = _user()
    course = _course_or_404(course_id)
    current = _module_or_404(course, module_id)
    taken = _attempt_of_module(user, current, attempt_id)
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
        attempts_left=learning.attempts_left(user, current),
        card=_card(user, course),
    )


# --- my learning and documents ----------------------------------------------------------------


@bp.route("/learning")
@login_required
def my_learning() -> str:
    return _render("courses/learn/my_learning.html", learning=learning.my_learning(_user()))


@bp.route("/certificates/<int:certificate_id>/pdf")
@login_required
def certificate_pdf(certificate_id: int) -> Response:
    try:
        certificate = certificates.get_certificate(certificate_id, _user())
    except NotFound:
        abort(404)
    response = Response(certificates.render_pdf(certificate), mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(
        certificates.pdf_filename(certificate), "attachment"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the public check of a document -----------------------------------------------------------


@bp.route("/verify", methods=["GET"])
def verify_lookup() -> str | Response:
    number = " ".join((request.args.get("number") or "").split())
    if number:
        return redirect(url_for("courses.verify", number=number))
    return _render("courses/learn/verify.html", number="", searched=False, certificate=None)


@bp.route("/verify/<number>")  # any characters, newlines included, but no slash
@bp.route("/verify/<path:number>")  # slashes too
def verify(number: str) -> tuple[str, int]:
    """Public: anyone holding a document (or its QR code) may check it; no sign-in."""
    certificate = certificates.find_by_number(number)
    shown = "".join(ch for ch in number if ch.isprintable()).strip()
    if len(shown) > MAX_SHOWN_NUMBER:
        shown = shown[:MAX_SHOWN_NUMBER] + "…"
    page = _render(
        "courses/learn/verify.html", number=shown, searched=True, certificate=certificate
    )
    return page, (200 if certificate else 404)
