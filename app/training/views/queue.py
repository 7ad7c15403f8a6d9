"""Methodists' pages: the verification queue, entering a record for a teacher, providers' lists."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app import permissions
from app.core.forms import form_status, submit
from app.core.http import page_arg
from app.core.pending_import import PendingImport
from app.core.unit_of_work import check
from app.training import provider_import, records, teachers
from app.training.forms import ImportForm, ReturnForm, TrainingForm
from app.training.views import bp
from app.training.views.common import (
    PER_PAGE,
    training_data,
    uploaded_scan,
    user,
)

PENDING = PendingImport("training_import")
QUERY_MAX = 200


@bp.route("/training/queue")
def queue() -> str:
    view = records.queue_view(request.args.get("view"))
    pagination = records.queue_page(user(), view, page_arg(), PER_PAGE)  # methodists only
    return render_template(
        "training/queue.html",
        pagination=pagination,
        view=view,
        pending=records.pending_count(),
        return_form=ReturnForm(),
    )


def _back_to_queue() -> Response:
    return redirect(url_for("training.queue", view=records.queue_view(request.form.get("view"))))


@bp.route("/training/<int:record_id>/verify", methods=["POST"])
def verify(record_id: int) -> Response:
    me = user()
    record = records.verify(records.get_record(record_id, me), me)
    flash(
        _("Обучение подтверждено: %(who)s, %(h)d ч.", who=record.user.short_name, h=record.hours),
        "success",
    )
    return _back_to_queue()


@bp.route("/training/<int:record_id>/return", methods=["POST"])
def return_record(record_id: int) -> Response:
    me = user()
    form = ReturnForm()
    record = records.return_record(records.get_record(record_id, me), me, form.comment.data or "")
    flash(_("Запись возвращена педагогу: %(who)s.", who=record.user.short_name), "success")
    return _back_to_queue()


@bp.route("/training/add-for", methods=["GET", "POST"])
def add_for() -> str | tuple[str, int] | Response:
    me = user()
    check(permissions.can_verify_training(me))
    teacher_id = request.args.get("teacher", type=int)
    if not teacher_id:
        q = (request.args.get("q") or "").strip()[:QUERY_MAX]
        return render_template(
            "training/add_for.html", q=q, teachers=teachers.find_teachers(me, q) if q else []
        )
    teacher = teachers.get_teacher(teacher_id, me)
    form = TrainingForm()
    if form.validate_on_submit():
        saved = submit(
            form, records.record_training, teacher, training_data(form), uploaded_scan(), me
        )
        if saved is not None:
            flash(_("Обучение внесено и учтено в реестре."), "success")
            return redirect(url_for("training.card", user_id=teacher.id))
    return render_template(
        "training/form.html", form=form, record=None, teacher=teacher
    ), form_status(form)


@bp.route("/training/import", methods=["GET", "POST"])
def import_list() -> str | tuple[str, int]:
    me = user()
    check(permissions.can_verify_training(me))
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        path = submit(form, PENDING.save, upload)
        preview = (
            submit(
                form,
                provider_import.preview_import,
                path,
                current_app.config["IMPORT_MAX_ROWS"],
                me,
            )
            if path is not None
            else None
        )
        if preview is not None:
            return render_template(
                "training/import_preview.html", preview=preview, filename=upload.filename
            )
        PENDING.discard()
    return render_template("training/import.html", form=form), form_status(form)


@bp.route("/training/import/confirm", methods=["POST"])
def import_confirm() -> str | Response:
    me = user()
    check(permissions.can_verify_training(me))
    path = PENDING.path()
    if path is None:
        flash(_("Файл для импорта не найден. Загрузите его ещё раз."), "warning")
        return redirect(url_for("training.import_list"))
    try:
        result = provider_import.apply_import(path, current_app.config["IMPORT_MAX_ROWS"], me)
    finally:
        PENDING.discard()  # applied or refused, the list is uploaded again for another try
    return render_template("training/import_result.html", result=result)
