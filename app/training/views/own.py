"""A teacher's own records: the list, a new record, editing, deleting, the scan."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app import permissions
from app.core.forms import form_status, submit
from app.core.unit_of_work import check
from app.materials import files
from app.training import records, teachers
from app.training.forms import TrainingForm
from app.training.models import ExternalTraining
from app.training.views import bp
from app.training.views.common import training_data, uploaded_scan, user


@bp.route("/training")
def mine() -> str | Response:
    me = user()
    if permissions.can_verify_training(me):
        return redirect(url_for("training.queue"))  # a methodist's "mine" is the queue
    check(permissions.can_record_own_training(me))
    own = records.own_records(me)
    card = teachers.teacher_card(me, records=own)
    return render_template(
        "training/mine.html",
        card=card,
        records=own,
        platform=[t for t in card.trainings if t.kind == "platform"],
    )


@bp.route("/training/new", methods=["GET", "POST"])
def new() -> tuple[str, int] | Response:
    me = user()
    check(permissions.can_record_own_training(me))
    form = TrainingForm()
    if form.validate_on_submit():
        saved = submit(form, records.record_training, me, training_data(form), uploaded_scan(), me)
        if saved is not None:
            flash(_("Обучение сохранено и отправлено методисту на проверку."), "success")
            return redirect(url_for("training.mine"))
    return render_template("training/form.html", form=form, record=None), form_status(form)


def _after_change(teacher_id: int) -> Response:
    """A methodist goes back to the teacher's card, a teacher to the own list."""
    if permissions.can_verify_training(user()):
        return redirect(url_for("training.card", user_id=teacher_id))
    return redirect(url_for("training.mine"))


@bp.route("/training/<int:record_id>/edit", methods=["GET", "POST"])
def edit(record_id: int) -> tuple[str, int] | Response:
    me = user()
    record: ExternalTraining = records.editable_record(record_id, me)
    form = TrainingForm(obj=record)
    if form.validate_on_submit():
        saved = submit(
            form, records.update_training, record, training_data(form), uploaded_scan(), me
        )
        if saved is not None:
            if permissions.can_verify_training(me):
                flash(_("Запись изменена."), "success")
            else:
                flash(_("Запись исправлена и снова отправлена методисту на проверку."), "success")
            return _after_change(record.user_id)
    return render_template("training/form.html", form=form, record=record), form_status(form)


@bp.route("/training/<int:record_id>/delete", methods=["POST"])
def delete(record_id: int) -> Response:
    me = user()
    record = records.get_record(record_id, me)
    teacher_id = record.user_id
    records.delete_training(record, me)
    flash(_("Запись удалена."), "success")
    return _after_change(teacher_id)


@bp.route("/training/<int:record_id>/scan")
def scan(record_id: int) -> Response:
    return files.file_response(records.record_scan(record_id, user()), inline=True)
