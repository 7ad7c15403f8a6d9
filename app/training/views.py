from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import permissions
from app.accounts.models import User
from app.core.errors import NotFound, PermissionDenied, StorageFailure, ValidationError
from app.core.http import page_arg
from app.core.pending_import import PendingImport
from app.extensions import db
from app.materials import files
from app.materials.services import Upload
from app.training import register, teacher_card
from app.training import services as external_training
from app.training.forms import AttestationForm, ImportForm, ReturnForm, TrainingForm
from app.training.models import AttestationCategory, ExternalTraining, TrainingStatus
from content_store import content_disposition

bp = Blueprint("training", __name__, template_folder="templates")


PER_PAGE = 30


@bp.before_request
@login_required
def require_login() -> None:
    return None


def _user() -> Any:
    return current_user._get_current_object()


@bp.context_processor
def labels() -> dict[str, Any]:
    return {
        "training_status_labels": training_status_labels,
        "register_status_labels": register_status_labels,
        "attestation_labels": attestation_labels,
        "source_labels": source_labels,
    }


def training_status_labels() -> dict[str, str]:
    return {
        TrainingStatus.PENDING: _("На проверке"),
        TrainingStatus.VERIFIED: _("Подтверждено"),
        TrainingStatus.RETURNED: _("Возвращено на доработку"),
    }


def register_status_labels() -> dict[str, str]:
    return {
        register.RegisterStatus.OK: _("В норме"),
        register.RegisterStatus.DUE_SOON: _("Подходит срок"),
        register.RegisterStatus.OVERDUE: _("Срок прошёл"),
        register.RegisterStatus.NO_DATA: _("Нет сведений"),
    }


def attestation_labels() -> dict[str, str]:
    return {
        AttestationCategory.NONE: _("Без категории"),
        AttestationCategory.CONFORMITY: _("Соответствие занимаемой должности"),
        AttestationCategory.FIRST: _("Первая квалификационная категория"),
        AttestationCategory.HIGHEST: _("Высшая квалификационная категория"),
        AttestationCategory.METHODIST: _("Педагог-методист"),
        AttestationCategory.MENTOR: _("Педагог-наставник"),
    }


def source_labels() -> dict[str, str]:
    return {
        external_training.SOURCE_TEACHER: _("внесено педагогом"),
        external_training.SOURCE_METHODIST: _("внесено методистом"),
        external_training.SOURCE_IMPORT: _("из списка организации"),
    }


def _report(form: Any, exc: ValidationError) -> int:
    """Each problem next to its field (or on top); storage failures answer 503."""
    found = getattr(exc, "problems", None) or [(exc.field or "", str(exc))]
    for name, message in found:
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            flash(message, "danger")
    return 503 if isinstance(exc, StorageFailure) else 200


def _data(form: TrainingForm) -> external_training.TrainingData:
    return external_training.TrainingData(
        provider=form.provider.data or "",
        programme=form.programme.data or "",
        hours=form.hours.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        document_type=form.document_type.data or "",
        document_number=form.document_number.data or "",
    )


def _scan() -> Upload | None:
    upload = request.files.get("scan")
    if upload is None or not upload.filename:
        return None
    return Upload(upload.stream, upload.filename)


def _record_or_404(record_id: int) -> ExternalTraining:
    try:
        return external_training.get_record(record_id, _user())
    except NotFound:
        abort(404)


def _teacher_or_404(user_id: int) -> User:
    try:
        return external_training.get_teacher(user_id, _user())
    except NotFound:
        abort(404)


def _require_verifier() -> User:
    user = _user()
    if not permissions.can_verify_training(user):
        abort(404)
    return user


# --- the teacher's own records ---------------------------------------------------------------


@bp.route("/training")
def mine() -> str | Response:
    user = _user()
    if not permissions.can_record_own_training(user):
        if permissions.can_verify_training(user):
            return redirect(url_for("training.queue"))
        abort(404)
    card = external_training.teacher_card(user)
    return render_template(
        "training/mine.html",
        card=card,
        records=external_training.own_records(user),
        platform=[t for t in card.trainings if t.kind == "platform"],
    )


@bp.route("/training/new", methods=["GET", "POST"])
def new() -> str | Response | tuple[str, int]:
    user = _user()
    if not permissions.can_record_own_training(user):
        abort(404)
    form = TrainingForm()
    if form.validate_on_submit():
        try:
            external_training.record_training(user, _data(form), _scan(), user)
        except (NotFound, PermissionDenied):
            abort(404)
        except ValidationError as exc:
            status = _report(form, exc)
            return render_template("training/form.html", form=form, record=None), status
        flash(_("Обучение сохранено и отправлено методисту на проверку."), "success")
        return redirect(url_for("training.mine"))
    return render_template("training/form.html", form=form, record=None)


def _after_edit(record: ExternalTraining) -> Response:
    if permissions.can_verify_training(_user()):
        return redirect(url_for("training.card", user_id=record.user_id))
    return redirect(url_for("training.mine"))


@bp.route("/training/<int:record_id>/edit", methods=["GET", "POST"])
def edit(record_id: int) -> str | Response | tuple[str, int]:
    record = _record_or_404(record_id)
    user = _user()
    if not permissions.can_edit_training(user, record):
        abort(404)
    form = TrainingForm(obj=record)
    if form.validate_on_submit():
        try:
            external_training.update_training(record, _data(form), _scan(), user)
        except NotFound:
            abort(404)
        except ValidationError as exc:
            status = _report(form, exc)
            return render_template("training/form.html", form=form, record=record), status
        if permissions.can_verify_training(user):
            flash(_("Запись изменена."), "success")
        else:
            flash(_("Запись исправлена и снова отправлена методисту на проверку."), "success")
        return _after_edit(record)
    return render_template("training/form.html", form=form, record=record)


@bp.route("/training/<int:record_id>/delete", methods=["POST"])
def delete(record_id: int) -> Response:
    record = _record_or_404(record_id)
    user_id = record.user_id
    try:
        external_training.delete_training(record, _user())
    except NotFound:
        abort(404)
    except ValidationError as exc:
        flash(str(exc), "danger")
    else:
        flash(_("Запись удалена."), "success")
    if permissions.can_verify_training(_user()):
        return redirect(url_for("training.card", user_id=user_id))
    return redirect(url_for("training.mine"))


@bp.route("/training/<int:record_id>/scan")
def scan(record_id: int) -> Response:
    record = _record_or_404(record_id)
    try:
        return files.file_response(external_training.scan_file(record), inline=True)
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


# --- methodists: the queue, entering for a teacher, providers' lists --------------------------


@bp.route("/training/queue")
def queue() -> str:
    _require_verifier()
    view = request.args.get("view", "open")
    if view not in external_training.QUEUE_VIEWS:
        view = "open"
    pagination = db.paginate(
        external_training.queue_query(view), page=page_arg(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "training/queue.html",
        pagination=pagination,
        view=view,
        pending=external_training.pending_count(),
        return_form=ReturnForm(),
    )


def _back_to_queue() -> Response:
    view = request.form.get("view", "open")
    if view not in external_training.QUEUE_VIEWS:
        view = "open"
    return redirect(url_for("training.queue", view=view))


@bp.route("/training/<int:record_id>/verify", methods=["POST"])
def verify(record_id: int) -> Response:
    user = _require_verifier()
    record = _record_or_404(record_id)
    try:
        external_training.verify(record, user)
    except NotFound:
        abort(404)
    except ValidationError as exc:
        flash(str(exc), "danger")
    else:
        flash(
            _(
                "Обучение подтверждено: %(who)s, %(h)d ч.",
                who=record.user.short_name,
                h=record.hours,
            ),
            "success",
        )
    return _back_to_queue()


@bp.route("/training/<int:record_id>/return", methods=["POST"])
def return_record(record_id: int) -> Response:
    user = _require_verifier()
    record = _record_or_404(record_id)
    form = ReturnForm()
    try:
        external_training.return_record(record, user, form.comment.data or "")
    except NotFound:
        abort(404)
    except ValidationError as exc:
        flash(str(exc), "danger")
    else:
        flash(_("Запись возвращена педагогу: %(who)s.", who=record.user.short_name), "success")
    return _back_to_queue()


@bp.route("/training/add-for", methods=["GET", "POST"])
def add_for() -> str | Response | tuple[str, int]:
    user = _require_verifier()
    teacher_id = request.args.get("teacher", type=int)
    if not teacher_id:
        q = (request.args.get("q") or "").strip()[:200]
        return render_template(
            "training/add_for.html",
            q=q,
            teachers=external_training.find_teachers(q) if q else [],
        )
    teacher = _teacher_or_404(teacher_id)
    form = TrainingForm()
    if form.validate_on_submit():
        try:
            external_training.record_training(teacher, _data(form), _scan(), user)
        except (NotFound, PermissionDenied):
            abort(404)
        except ValidationError as exc:
            status = _report(form, exc)
            return render_template(
                "training/form.html", form=form, record=None, teacher=teacher
            ), status
        flash(_("Обучение внесено и учтено в реестре."), "success")
        return redirect(url_for("training.card", user_id=teacher.id))
    return render_template("training/form.html", form=form, record=None, teacher=teacher)


PENDING = PendingImport("training_import")


@bp.route("/training/import", methods=["GET", "POST"])
def import_list() -> str | Response:
    _require_verifier()
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            path = PENDING.save(upload)
        except ValidationError as exc:
            form.file.errors.append(str(exc))
            return render_template("training/import.html", form=form)
        try:
            preview = external_training.build_import_preview(
                path, current_app.config["IMPORT_MAX_ROWS"]
            )
        except ValidationError as exc:
            PENDING.discard()
            form.file.errors.append(str(exc))
            return render_template("training/import.html", form=form)
        return render_template(
            "training/import_preview.html", preview=preview, filename=upload.filename
        )
    return render_template("training/import.html", form=form)


@bp.route("/training/import/confirm", methods=["POST"])
def import_confirm() -> str | Response:
    user = _require_verifier()
    path = PENDING.path()
    if path is None:
        flash(_("Файл для импорта не найден. Загрузите его ещё раз."), "warning")
        return redirect(url_for("training.import_list"))
    try:
        result = external_training.apply_import(path, current_app.config["IMPORT_MAX_ROWS"], user)
    except ValidationError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("training.import_list"))
    finally:
        PENDING.discard()
    return render_template("training/import_result.html", result=result)


# --- the teacher's card -----------------------------------------------------------------------


def _attestation_form(teacher: User) -> AttestationForm:
    attestation = external_training.attestation_of(teacher)
    form = AttestationForm(obj=attestation)
    form.category.choices = list(attestation_labels().items())
    return form


@bp.route("/teachers/<int:user_id>/card")
def card(user_id: int) -> str:
    teacher = _teacher_or_404(user_id)
    user = _user()
    return render_template(
        "training/card.html",
        teacher=teacher,
        card=external_training.teacher_card(teacher),
        attestation_form=(
            _attestation_form(teacher) if permissions.can_verify_training(user) else None
        ),
    )


@bp.route("/teachers/<int:user_id>/card.pdf")
def card_pdf(user_id: int) -> Response:
    teacher = _teacher_or_404(user_id)
    data = external_training.teacher_card(teacher)
    response = Response(teacher_card.render_teacher_card(data), mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(
        f"Личная карточка — {teacher.full_name}.pdf", "attachment"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/teachers/<int:user_id>/attestation", methods=["POST"])
def attestation(user_id: int) -> str | Response | tuple[str, int]:
    user = _require_verifier()
    teacher = _teacher_or_404(user_id)
    form = _attestation_form(teacher)
    if form.validate_on_submit():
        try:
            external_training.set_attestation(
                teacher,
                form.category.data or "",
                form.granted_on.data,
                user,
                order_number=form.order_number.data or "",
            )
        except NotFound:
            abort(404)
        except ValidationError as exc:
            _report(form, exc)
        else:
            flash(_("Сведения об аттестации сохранены."), "success")
            return redirect(url_for("training.card", user_id=teacher.id))
    return render_template(
        "training/card.html",
        teacher=teacher,
        card=external_training.teacher_card(teacher),
        attestation_form=form,
    ), 200
