"""Course staff pages for a course's modules: their content, files and test questions."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from app.core.forms import submit
from app.courses import authoring as courses
from app.courses import lookups, overview
from app.courses.forms import MAX_OPTIONS, ModuleFileForm, ModuleForm, QuestionForm
from app.courses.labels import criterion_labels
from app.courses.models import Course, Criterion, Module
from app.courses.views import bp
from app.courses.views.common import perform, render, user
from app.materials import files
from app.materials import services as materials


def _editable_module(course_id: int, module_id: int) -> tuple[Course, Module]:
    course = lookups.editable_course(course_id, user())
    return course, lookups.get_module(course, module_id)


def _fill_module_choices(form: ModuleForm, module: Module | None) -> None:
    form.criterion.choices = list(criterion_labels().items())
    keep = [m.id for m in module.materials] if module else []
    form.material_ids.choices = overview.linkable_materials(keep)


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


def _module_page(
    course: Course,
    module: Module | None,
    form: ModuleForm,
    question_form: QuestionForm | None = None,
) -> str:
    return render(
        "courses/manage/module_form.html",
        course=course,
        module=module,
        form=form,
        file_form=ModuleFileForm(prefix="upload"),
        question_form=question_form or QuestionForm(prefix="question"),
        max_options=MAX_OPTIONS,
    )


def _to_module(course: Course, module: Module, anchor: str | None = None) -> BaseResponse:
    return redirect(
        url_for("courses.module_edit", course_id=course.id, module_id=module.id, _anchor=anchor)
    )


@bp.route("/courses/<int:course_id>/modules/new", methods=["GET", "POST"])
@login_required
def module_new(course_id: int) -> str | BaseResponse:
    course = lookups.editable_course(course_id, user())
    form = ModuleForm()
    _fill_module_choices(form, None)
    if form.validate_on_submit():
        module = submit(form, courses.add_module, course, _module_data(form), user())
        if module is not None:
            if module.criterion == Criterion.TEST:
                flash(_("Модуль добавлен. Добавьте вопросы теста."), "success")
            else:
                flash(_("Модуль добавлен."), "success")
            return _to_module(course, module)
    return _module_page(course, None, form)


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/edit", methods=["GET", "POST"])
@login_required
def module_edit(course_id: int, module_id: int) -> str | BaseResponse:
    course, module = _editable_module(course_id, module_id)
    form = ModuleForm(obj=module)
    _fill_module_choices(form, module)
    if request.method == "GET":
        form.material_ids.data = [m.id for m in module.materials]
    if form.validate_on_submit() and submit(
        form, courses.update_module, module, _module_data(form), user()
    ):
        flash(_("Модуль сохранён."), "success")
        return _to_module(course, module)
    return _module_page(course, module, form)


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/move", methods=["POST"])
@login_required
def module_move(course_id: int, module_id: int) -> BaseResponse:
    course, module = _editable_module(course_id, module_id)
    direction = -1 if request.form.get("direction") == "up" else 1
    courses.move_module(module, direction, user())
    return redirect(url_for("courses.builder", course_id=course.id, _anchor=f"module-{module.id}"))


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/delete", methods=["POST"])
@login_required
def module_delete(course_id: int, module_id: int) -> BaseResponse:
    course, module = _editable_module(course_id, module_id)
    title = module.title
    _result, refused = perform(courses.delete_module, module, user())
    if not refused:
        flash(_("Модуль «%(t)s» удалён.", t=title), "success")
    return redirect(url_for("courses.builder", course_id=course.id))


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/preview")
@login_required
def module_preview(course_id: int, module_id: int) -> str:
    course = lookups.staff_course(course_id, user())
    module = lookups.get_module(course, module_id)
    position = next((n for n, m in enumerate(course.modules, 1) if m.id == module.id), 0)
    return render(
        "courses/manage/module_preview.html", course=course, module=module, position=position
    )


# --- files ------------------------------------------------------------------------------------


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/files/<int:file_id>/preview")
@login_required
def module_file_preview(course_id: int, module_id: int, file_id: int) -> BaseResponse:
    """A module's file for course staff: not a teacher's download, so nothing is recorded."""
    course = lookups.staff_course(course_id, user())
    file = lookups.module_file(lookups.get_module(course, module_id), file_id)
    # ModuleFile carries the same storage attributes as a material's StoredFile;
    # a StorageFailure is answered 503 by core.error_pages.
    return files.file_response(file)  # type: ignore[arg-type]


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/files", methods=["POST"])
@login_required
def module_file_add(course_id: int, module_id: int) -> BaseResponse:
    course, module = _editable_module(course_id, module_id)
    form = ModuleFileForm(prefix="upload")
    if not form.validate_on_submit():
        flash(_("Выберите файл."), "danger")
    else:
        upload = form.file.data
        row, _refused = perform(
            courses.add_module_file,
            module,
            materials.Upload(upload.stream, upload.filename or ""),
            user(),
        )
        if row is not None:
            flash(_("Файл «%(n)s» добавлен.", n=row.original_name), "success")
    return _to_module(course, module, "files")


@bp.route(
    "/courses/<int:course_id>/modules/<int:module_id>/files/<int:file_id>/remove",
    methods=["POST"],
)
@login_required
def module_file_remove(course_id: int, module_id: int, file_id: int) -> BaseResponse:
    course, module = _editable_module(course_id, module_id)
    courses.remove_module_file(module, lookups.module_file(module, file_id), user())
    flash(_("Файл убран из модуля."), "success")
    return _to_module(course, module, "files")


# --- questions --------------------------------------------------------------------------------


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/questions", methods=["POST"])
@login_required
def question_add(course_id: int, module_id: int) -> str | BaseResponse:
    course, module = _editable_module(course_id, module_id)
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
        if submit(question_form, courses.add_question, module, data, user()):
            flash(_("Вопрос добавлен."), "success")
            return _to_module(course, module, "questions")
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
    course, module = _editable_module(course_id, module_id)
    courses.delete_question(module, lookups.get_question(module, question_id), user())
    flash(_("Вопрос удалён."), "success")
    return _to_module(course, module, "questions")
