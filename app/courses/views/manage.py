"""Methodist-facing course pages: the list and builder, modules and tests, enrolment,
the progress matrix and a teacher's history, the register of issued documents.

Each view signs the visitor in and asks ``app.permissions`` itself, because the
blueprint is shared with the teachers' pages (and the public /verify page).
Anything the visitor may not see or do answers 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from app import permissions
from app.accounts import directory
from app.accounts.models import MethodicalAssociation, Organization, User
from app.core import exports
from app.core.errors import NotFound, PermissionDenied, ValidationError
from app.core.http import page_arg, safe_next_url
from app.core.models import utcnow
from app.courses import authoring as courses
from app.courses import certificates, learning, progress
from app.courses.forms import (
    MAX_OPTIONS,
    CourseForm,
    EnrolAssociationForm,
    EnrolOrganizationForm,
    EnrolTeachersForm,
    ModuleFileForm,
    ModuleForm,
    QuestionForm,
    RevokeForm,
)
from app.courses.labels import (
    certificate_status_labels,
    course_format_labels,
    course_status_labels,
    criterion_labels,
    document_type_labels,
)
from app.courses.models import (
    Certificate,
    CertificateStatus,
    Course,
    CourseStatus,
    Criterion,
    Module,
    ModuleFile,
    Question,
)
from app.courses.views import bp
from app.extensions import db
from app.materials import catalog, files
from app.materials import services as materials
from app.materials.labels import level_labels
from app.materials.services import StorageFailure
from content_store import content_disposition

MATRIX_PER_PAGE = 50
ENROLLED_PER_PAGE = 50
REGISTER_PER_PAGE = 50
EXPORT_FORMATS = ("xlsx", "csv")


def _user() -> Any:
    return current_user._get_current_object()


def _require(allowed: bool) -> None:
    if not allowed:
        abort(404)


def _render(template: str, **context: Any) -> str:
    return render_template(
        template,
        format_labels=course_format_labels(),
        document_labels=document_type_labels(),
        criterion_labels=criterion_labels(),
        course_status_labels=course_status_labels(),
        certificate_status_labels=certificate_status_labels(),
        **context,
    )


def _course_or_404(course_id: int) -> Course:
    try:
        return courses.get_course(course_id, _user())
    except NotFound:
        abort(404)


def _staff_course(course_id: int) -> Course:
    """A course for any course staff member (read-only pages: builder, preview)."""
    course = _course_or_404(course_id)
    _require(permissions.is_course_staff(_user()))
    return course


def _editable_course(course_id: int) -> Course:
    """A course the visitor may change (its authors, its creator, administrators)."""
    course = _course_or_404(course_id)
    _require(permissions.can_edit_course(_user(), course))
    return course


def _progress_course(course_id: int) -> Course:
    course = _course_or_404(course_id)
    _require(permissions.can_view_progress(_user(), course))
    return course


def _module_or_404(course: Course, module_id: int) -> Module:
    try:
        return courses.get_module(course, module_id)
    except NotFound:
        abort(404)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _report(form: Any, exc: ValidationError) -> None:
    """A domain error goes next to its field when the form has one, else on top."""
    field = getattr(form, exc.field or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(exc)]
    else:
        flash(str(exc), "danger")


def _flash_form_errors(form: Any) -> None:
    for field in form:
        for error in field.errors:
            label = getattr(field.label, "text", "")
            flash(f"{label}: {error}" if label else str(error), "danger")


# --- the home page of course staff --------------------------------------------------------


def _staff_home_summary() -> dict[str, Any]:
    return {
        "courses": progress.staff_summary(since=utcnow() - timedelta(days=30)),
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
    _require(permissions.is_course_staff(_user()))
    return _render("courses/manage/list.html", overview=progress.course_overview())


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
        for u in progress.course_staff(keep)
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
    user = _user()
    _require(permissions.can_create_course(user))
    form = CourseForm()
    _fill_course_choices(form, None)
    if request.method == "GET":
        form.author_ids.data = [user.id] if permissions.is_course_staff(user) else []
    if form.validate_on_submit():
        try:
            course = courses.create_course(_course_data(form), user)
        except PermissionDenied:
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            _report(form, exc)
        else:
            flash(_("Курс создан. Добавьте модули."), "success")
            return redirect(url_for("courses.builder", course_id=course.id))
    return _render("courses/manage/course_form.html", form=form, course=None)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@login_required
def course_edit(course_id: int) -> str | BaseResponse:
    course = _editable_course(course_id)
    form = CourseForm(obj=course)
    _fill_course_choices(form, course)
    if request.method == "GET":
        form.subject_ids.data = [s.id for s in course.subjects]
        form.levels.data = list(course.audience_levels or [])
        form.positions.data = course.audience_positions
        form.author_ids.data = [a.id for a in course.authors]
    if form.validate_on_submit():
        try:
            courses.update_course(course, _course_data(form), _user())
        except PermissionDenied:
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            _report(form, exc)
        else:
            flash(_("Изменения сохранены."), "success")
            return redirect(url_for("courses.builder", course_id=course.id))
    return _render("courses/manage/course_form.html", form=form, course=course)


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
    course = _staff_course(course_id)
    return _render(
        "courses/manage/builder.html",
        course=course,
        can_edit=permissions.can_edit_course(_user(), course),
        problems=courses.publication_problems(course),
        actions=_status_actions(course),
        summary=progress.enrollment_summary(course),
    )


@bp.route("/courses/<int:course_id>/status", methods=["POST"])
@login_required
def course_status(course_id: int) -> BaseResponse:
    course = _editable_course(course_id)
    status = request.form.get("status", "")
    try:
        courses.set_status(course, status, _user())
    except PermissionDenied:
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
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
    course = _staff_course(course_id)
    _require(permissions.can_create_course(_user()))
    try:
        copy = courses.copy_course(course, _user())
    except PermissionDenied:
        abort(404)
    flash(_("Создана копия курса. Проверьте даты и опубликуйте её."), "success")
    return redirect(url_for("courses.builder", course_id=copy.id))


# --- modules ----------------------------------------------------------------------------------


def _fill_module_choices(form: ModuleForm, module: Module | None) -> None:
    form.criterion.choices = list(criterion_labels().items())
    keep = [m.id for m in module.materials] if module else []
    form.material_ids.choices = progress.linkable_materials(keep)


def _module_data(form: ModuleForm) -> courses.ModuleData:
    return courses.ModuleData(
        title=form.title.data or "",
        content_html=form.content_html.data or "",
        video_url=form.video_url.data or "",
        hours=form.hours.data,
        criterion=form.criterion.data or "",
        required=bool(form.required.data),
        pass_mark=form.pass_mark.data if form.pass_mark.data is not None else 70,
        max_attempts=form.max_attempts.data if form.max_attempts.data is not None else 3,
        shuffle=bool(form.shuffle.data),
        material_ids=form.material_ids.data or [],
    )


@bp.route("/courses/<int:course_id>/modules/new", methods=["GET", "POST"])
@login_required
def module_new(course_id: int) -> str | BaseResponse:
    course = _editable_course(course_id)
    form = ModuleForm()
    _fill_module_choices(form, None)
    if form.validate_on_submit():
        try:
            module = courses.add_module(course, _module_data(form), _user())
        except PermissionDenied:
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            _report(form, exc)
        else:
            if module.criterion == Criterion.TEST:
                flash(_("Модуль добавлен. Добавьте вопросы теста."), "success")
            else:
                flash(_("Модуль добавлен."), "success")
            return redirect(
                url_for("courses.module_edit", course_id=course.id, module_id=module.id)
            )
    return _module_page(course, None, form)


def _module_page(
    course: Course,
    module: Module | None,
    form: ModuleForm,
    question_form: QuestionForm | None = None,
) -> str:
    return _render(
        "courses/manage/module_form.html",
        course=course,
        module=module,
        form=form,
        file_form=ModuleFileForm(prefix="upload"),
        question_form=question_form or QuestionForm(prefix="question"),
        max_options=MAX_OPTIONS,
    )


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/edit", methods=["GET", "POST"])
@login_required
def module_edit(course_id: int, module_id: int) -> str | BaseResponse:
    course = _editable_course(course_id)
    module = _module_or_404(course, module_id)
    form = ModuleForm(obj=module)
    _fill_module_choices(form, module)
    if request.method == "GET":
        form.material_ids.data = [m.id for m in module.materials]
    if form.validate_on_submit():
        try:
            courses.update_module(module, _module_data(form), _user())
        except PermissionDenied:
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            _report(form, exc)
        else:
            flash(_("Модуль сохранён."), "success")
            return redirect(
                url_for("courses.module_edit", course_id=course.id, module_id=module.id)
            )
    return _module_page(course, module, form)


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/move", methods=["POST"])
@login_required
def module_move(course_id: int, module_id: int) -> BaseResponse:
    course = _editable_course(course_id)
    module = _module_or_404(course, module_id)
    direction = -1 if request.form.get("direction") == "up" else 1
    courses.move_module(module, direction, _user())
    return redirect(url_for("courses.builder", course_id=course.id, _anchor=f"module-{module.id}"))


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/delete", methods=["POST"])
@login_required
def module_delete(course_id: int, module_id: int) -> BaseResponse:
    course = _editable_course(course_id)
    module = _module_or_404(course, module_id)
    title = module.title
    try:
        courses.delete_module(module, _user())
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("Модуль «%(t)s» удалён.", t=title), "success")
    return redirect(url_for("courses.builder", course_id=course.id))


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/preview")
@login_required
def module_preview(course_id: int, module_id: int) -> str:
    course = _staff_course(course_id)
    module = _module_or_404(course, module_id)
    position = next((n for n, m in enumerate(course.modules, 1) if m.id == module.id), 0)
    return _render(
        "courses/manage/module_preview.html", course=course, module=module, position=position
    )


def _file_of(module: Module, file_id: int) -> ModuleFile:
    file = next((f for f in module.files if f.id == file_id), None)
    if file is None:
        abort(404)
    return file


def _storage_unavailable() -> Response:
    return Response(
        render_template(
            "errors/error.html",
            code=503,
            title=_("Хранилище недоступно"),
            message=_("Файл сейчас не удаётся получить из хранилища. Попробуйте позже."),
        ),
        status=503,
    )


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/files/<int:file_id>/preview")
@login_required
def module_file_preview(course_id: int, module_id: int, file_id: int) -> BaseResponse:
    """A module's file for course staff: not a teacher's download, so nothing is recorded."""
    course = _staff_course(course_id)
    file = _file_of(_module_or_404(course, module_id), file_id)
    try:
        # ModuleFile carries the same storage attributes as a material's StoredFile.
        return files.file_response(file)  # type: ignore[arg-type]
    except NotFound:
        abort(404)
    except StorageFailure:
        return _storage_unavailable()


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/files", methods=["POST"])
@login_required
def module_file_add(course_id: int, module_id: int) -> BaseResponse:
    course = _editable_course(course_id)
    module = _module_or_404(course, module_id)
    form = ModuleFileForm(prefix="upload")
    if not form.validate_on_submit():
        flash(_("Выберите файл."), "danger")
    else:
        upload = form.file.data
        try:
            row = courses.add_module_file(
                module, materials.Upload(upload.stream, upload.filename or ""), _user()
            )
        except PermissionDenied:
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Файл «%(n)s» добавлен.", n=row.original_name), "success")
    return redirect(
        url_for("courses.module_edit", course_id=course.id, module_id=module.id, _anchor="files")
    )


@bp.route(
    "/courses/<int:course_id>/modules/<int:module_id>/files/<int:file_id>/remove",
    methods=["POST"],
)
@login_required
def module_file_remove(course_id: int, module_id: int, file_id: int) -> BaseResponse:
    course = _editable_course(course_id)
    module = _module_or_404(course, module_id)
    file = _file_of(module, file_id)
    courses.remove_module_file(module, file, _user())
    flash(_("Файл убран из модуля."), "success")
    return redirect(
        url_for("courses.module_edit", course_id=course.id, module_id=module.id, _anchor="files")
    )


# --- questions --------------------------------------------------------------------------------


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/questions", methods=["POST"])
@login_required
def question_add(course_id: int, module_id: int) -> str | BaseResponse:
    course = _editable_course(course_id)
    module = _module_or_404(course, module_id)
    question_form = QuestionForm(prefix="question")
    if question_form.validate_on_submit():
        data = courses.QuestionData(
            text=question_form.text.data or "",
            multiple=bool(question_form.multiple.data),
            options=[
                (entry.form.text.data or "", bool(entry.form.correct.data))
                for entry in question_form.options
            ],
        )
        try:
            courses.add_question(module, data, _user())
        except PermissionDenied:
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            if exc.field == "options":
                question_form.options.errors = [str(exc)]
            else:
                _report(question_form, exc)
        else:
            flash(_("Вопрос добавлен."), "success")
            return redirect(
                url_for(
                    "courses.module_edit",
                    course_id=course.id,
                    module_id=module.id,
                    _anchor="questions",
                )
            )
    form = ModuleForm(obj=module, formdata=None)
    _fill_module_choices(form, module)
    form.material_ids.data = [m.id for m in module.materials]
    return _module_page(course, module, form, question_form)


@bp.route(
    "/courses/<int:course_id>/modules/<int:module_id>/questions/<int:question_id>/delete",
    methods=["POST"],
)
@login_required
def question_delete(course_id: int, module_id: int, question_id: int) -> BaseResponse:
    course = _editable_course(course_id)
    module = _module_or_404(course, module_id)
    question = db.session.get(Question, question_id)
    if question is None:
        abort(404)
    try:
        courses.delete_question(module, question, _user())
    except NotFound:
        abort(404)
    flash(_("Вопрос удалён."), "success")
    return redirect(
        url_for(
            "courses.module_edit", course_id=course.id, module_id=module.id, _anchor="questions"
        )
    )


# --- enrolment --------------------------------------------------------------------------------


def _enrol_forms() -> tuple[EnrolTeachersForm, EnrolOrganizationForm, EnrolAssociationForm]:
    teachers = EnrolTeachersForm(prefix="teachers")
    organization = EnrolOrganizationForm(prefix="organization")
    association = EnrolAssociationForm(prefix="association")
    organization.organization_id.choices = [
        (o.id, o.short_name) for o in directory.list_organizations()
    ]
    association.association_id.choices = [(a.id, a.name) for a in directory.list_associations()]
    return teachers, organization, association


def _enrol(course: Course, mode: str, forms: tuple[Any, Any, Any]) -> int | None:
    """Run the posted enrolment; the number of teachers enrolled, or None if the form failed."""
    teachers, organization, association = forms
    user = _user()
    if mode == "teachers" and teachers.validate_on_submit():
        return learning.enrol_users(course, teachers.user_ids.data or [], user)
    if mode == "organization" and organization.validate_on_submit():
        org = db.session.get(Organization, organization.organization_id.data)
        if org is None:
            abort(404)
        return learning.enrol_organization(course, org, user)
    if mode == "association" and association.validate_on_submit():
        group = db.session.get(MethodicalAssociation, association.association_id.data)
        if group is None:
            abort(404)
        return learning.enrol_association(course, group, user)
    return None


@bp.route("/courses/<int:course_id>/enrollments", methods=["GET", "POST"])
@login_required
def enrollments(course_id: int) -> str | BaseResponse:
    course = _course_or_404(course_id)
    _require(permissions.can_manage_enrollments(_user(), course))
    org_id = _int_arg("org")
    forms = _enrol_forms()
    teachers_form = forms[0]
    teachers_form.user_ids.choices = [
        (u.id, f"{u.full_name} — {u.organization.short_name if u.organization else '—'}")
        for u in progress.enrollable_teachers(course, org_id)
    ]
    if request.method == "POST":
        mode = request.form.get("mode", "")
        try:
            added = _enrol(course, mode, forms)
        except PermissionDenied:
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            if added is not None:
                flash(_("Записано: %(n)d", n=added), "success")
                return redirect(url_for("courses.enrollments", course_id=course.id, org=org_id))
            if mode == "teachers" and not teachers_form.user_ids.data:
                teachers_form.user_ids.errors = [_("Выберите хотя бы одного педагога.")]
    listing = progress.enrollment_page(course, org_id, page_arg(), ENROLLED_PER_PAGE)
    return _render(
        "courses/manage/enrollments.html",
        course=course,
        listing=listing,
        summary=progress.enrollment_summary(course),
        org_id=org_id,
        organizations=directory.list_organizations(),
        teachers_form=teachers_form,
        organization_form=forms[1],
        association_form=forms[2],
    )


@bp.route("/courses/<int:course_id>/enrollments/<int:user_id>/withdraw", methods=["POST"])
@login_required
def enrollment_withdraw(course_id: int, user_id: int) -> BaseResponse:
    course = _course_or_404(course_id)
    _require(permissions.can_manage_enrollments(_user(), course))
    learner = db.session.get(User, user_id)
    if learner is None or learning.enrollment_of(learner, course) is None:
        abort(404)
    learning.withdraw(course, learner.id, _user())
    flash(_("%(name)s отчислен(а) с курса.", name=learner.full_name), "success")
    return redirect(
        safe_next_url(request.form.get("next"))
        or url_for("courses.enrollments", course_id=course.id)
    )


# --- progress -----------------------------------------------------------------------------------


@bp.route("/courses/<int:course_id>/matrix")
@login_required
def matrix(course_id: int) -> str:
    course = _progress_course(course_id)
    org_id = _int_arg("org")
    table = progress.matrix(course, org_id, page_arg(), MATRIX_PER_PAGE)
    return _render(
        "courses/manage/matrix.html",
        course=course,
        matrix=table,
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


def _export_format() -> str:
    fmt = request.args.get("format", "")
    if fmt not in EXPORT_FORMATS:
        abort(404)
    return fmt


@bp.route("/courses/<int:course_id>/matrix/export")
@login_required
def matrix_export(course_id: int) -> Response:
    course = _progress_course(course_id)
    fmt = _export_format()
    org_id = _int_arg("org")
    return exports.export_response(
        fmt,
        _("прогресс — %(t)s", t=course.title)[:120],
        matrix_columns(course),
        _matrix_export_rows(course, org_id),
        tz=_timezone(),
        sheet_title=_("Прогресс"),
    )


def _timezone() -> str:
    return str(current_app.config["TIMEZONE"])


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
    course = _progress_course(course_id)
    learner = db.session.get(User, user_id)
    if learner is None or not permissions.can_view_learner(_user(), learner):
        abort(404)
    enrollment = learning.enrollment_of(learner, course)
    if enrollment is None:
        abort(404)
    return _render(
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


# --- the register of issued documents -------------------------------------------------------------


def _register_filters() -> tuple[str, int | None, str]:
    q = " ".join(request.args.get("q", "").split())[:200]
    status = request.args.get("status", "")
    return q, _int_arg("course"), status if status in set(CertificateStatus) else ""


def _can_read_register(user: Any) -> bool:
    """The register lists every issued document: the district-wide reports' readers see it."""
    return permissions.can_view_reports(user)


@bp.route("/certificates")
@login_required
def register() -> str:
    user = _user()
    _require(_can_read_register(user))
    q, course_id, status = _register_filters()
    pagination = db.paginate(
        certificates.register_query(q, course_id, status),
        page=page_arg(),
        per_page=REGISTER_PER_PAGE,
        error_out=False,
    )
    return _render(
        "courses/manage/register.html",
        pagination=pagination,
        q=q,
        course_id=course_id,
        status=status,
        course_choices=progress.course_choices(),
        can_manage=permissions.can_manage_certificates(user),
    )


def register_columns() -> list[exports.Column]:
    return [
        exports.Column("number", _("Номер"), 18),
        exports.Column("document_type", _("Вид документа"), 30),
        exports.Column("full_name", _("ФИО"), 36),
        exports.Column("organization_name", _("Организация"), 40),
        exports.Column("course_title", _("Курс"), 44),
        exports.Column("hours", _("Часов"), 8, "int"),
        exports.Column("completed_on", _("Дата завершения"), 14, "date"),
        exports.Column("issued_at", _("Выдан"), 18, "datetime"),
        exports.Column("status", _("Статус"), 14),
    ]


def _register_export_rows(
    q: str, course_id: int | None, status: str
) -> Iterator[dict[str, object]]:
    documents = document_type_labels()
    statuses = certificate_status_labels()
    for c in progress.register_rows(certificates.register_query(q, course_id, status)):
        yield {
            "number": c.number,
            "document_type": documents.get(c.document_type, c.document_type),
            "full_name": c.full_name,
            "organization_name": c.organization_name,
            "course_title": c.course_title,
            "hours": c.hours,
            "completed_on": c.completed_on,
            "issued_at": c.issued_at,
            "status": statuses.get(c.status, c.status),
        }


@bp.route("/certificates/export")
@login_required
def register_export() -> Response:
    _require(_can_read_register(_user()))
    fmt = _export_format()
    q, course_id, status = _register_filters()
    return exports.export_response(
        fmt,
        _("реестр документов"),
        register_columns(),
        _register_export_rows(q, course_id, status),
        tz=_timezone(),
        sheet_title=_("Реестр"),
    )


def _managed_certificate(certificate_id: int) -> Certificate:
    _require(permissions.can_manage_certificates(_user()))
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        abort(404)
    return certificate


def _back_to_register() -> BaseResponse:
    return redirect(safe_next_url(request.form.get("next")) or url_for("courses.register"))


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@login_required
def certificate_revoke(certificate_id: int) -> BaseResponse:
    certificate = _managed_certificate(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back_to_register()
    try:
        certificates.revoke(certificate, _user(), form.reason.data or "")
    except PermissionDenied:
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("Документ № %(n)s отозван.", n=certificate.number), "success")
    return _back_to_register()


@bp.route("/certificates/<int:certificate_id>/duplicate", methods=["POST"])
@login_required
def certificate_duplicate(certificate_id: int) -> BaseResponse:
    certificate = _managed_certificate(certificate_id)
    try:
        duplicate = certificates.reissue_duplicate(certificate, _user())
    except PermissionDenied:
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(
            _(
                "Выдан дубликат № %(new)s; документ № %(old)s отозван.",
                new=duplicate.number,
                old=certificate.number,
            ),
            "success",
        )
    return _back_to_register()


@bp.route("/courses/<int:course_id>/certificates.zip")
@login_required
def course_certificates_zip(course_id: int) -> Response:
    course = _progress_course(course_id)
    body = certificates.zip_for_course(course)
    response = Response(stream_with_context(body), mimetype="application/zip")
    response.headers["Content-Disposition"] = content_disposition(f"{course.title}.zip")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
