from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import permissions
from app.accounts import directory
from app.core.errors import NotFound, PermissionDenied, StorageFailure, ValidationError
from app.core.http import page_arg
from app.extensions import db
from app.materials import bulk_import, catalog, collections, files, tracking
from app.materials import services as materials
from app.materials.forms import (
    CollectionForm,
    FileUploadForm,
    MaterialForm,
    NewMaterialForm,
    StatusForm,
    ZipImportForm,
)
from app.materials.labels import action_labels, level_labels, material_type_labels
from app.materials.models import Collection, Material, StoredFile

bp = Blueprint("catalog", __name__, template_folder="templates")


PER_PAGE = 20


@bp.before_request
@login_required
def require_login() -> None:
    return None


def _user() -> Any:
    return current_user._get_current_object()


def _material_or_404(material_id: int) -> Material:
    try:
        return materials.get_material(material_id, _user())
    except NotFound:
        abort(404)


def _fill_choices(form: MaterialForm) -> None:
    form.material_type.choices = list(material_type_labels().items())
    form.levels.choices = list(level_labels().items())
    form.subject_ids.choices = [(s.id, s.name) for s in directory.list_subjects()]
    form.organization_id.choices = [(None, "—")] + [
        (o.id, o.short_name) for o in directory.list_organizations()
    ]
    form.collection_ids.choices = [(c.id, c.name) for c in collections.list_collections()]


def _material_data(form: MaterialForm) -> materials.MaterialData:
    return materials.MaterialData(
        title=form.title.data or "",
        material_type=form.material_type.data or "",
        annotation=form.annotation.data or "",
        subject_ids=form.subject_ids.data or [],
        levels=form.levels.data or [],
        keywords=form.keywords.data or "",
        authors=form.authors.data or "",
        organization_id=form.organization_id.data,
        year=form.year.data,
        usage_terms=form.usage_terms.data or "",
        collection_ids=form.collection_ids.data or [],
    )


def _uploads(name: str) -> list[materials.Upload]:
    return [
        materials.Upload(f.stream, f.filename or "")
        for f in request.files.getlist(name)
        if f and f.filename
    ]


def _report(form: Any, exc: ValidationError) -> int:
    """Put a domain error next to its field (or on top); storage failures answer 503."""
    field = getattr(form, exc.field or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(exc)]
    else:
        flash(str(exc), "danger")
    return 503 if isinstance(exc, StorageFailure) else 200


# --- catalog -----------------------------------------------------------------


@bp.route("/materials")
def index() -> str:
    filters = catalog.CatalogFilters.from_args(request.args)
    pagination = db.paginate(
        catalog.catalog_query(_user(), filters), page=page_arg(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "catalog/index.html",
        pagination=pagination,
        filters=filters,
        options=catalog.filter_options(),
    )


@bp.route("/materials/<int:material_id>")
def detail(material_id: int) -> str:
    material = _material_or_404(material_id)
    user = _user()
    tracking.record_material_view(user, material)
    status_form = StatusForm()
    status_form.action.choices = [
        (a, action_labels()[a]) for a in permissions.allowed_actions(user, material)
    ]
    return render_template(
        "catalog/detail.html",
        material=material,
        related=catalog.related_materials(material, user),
        is_favourite=catalog.is_favourite(user, material),
        status_form=status_form,
        upload_form=FileUploadForm(),
    )


@bp.route("/materials/new", methods=["GET", "POST"])
def new() -> str | Response | tuple[str, int]:
    user = _user()
    if not permissions.can_upload_material(user):
        abort(404)
    form = NewMaterialForm()
    _fill_choices(form)
    if request.method == "GET":
        form.organization_id.data = user.organization_id
        bank = materials.experience_bank()
        if bank is not None and not permissions.is_reviewer(user):
            form.collection_ids.data = [bank.id]
    if form.validate_on_submit():
        action = request.form.get("action", "draft")
        try:
            material = materials.create_material(
                _material_data(form), _uploads("files"), user, action=action
            )
        except PermissionDenied:
            abort(404)
        except ValidationError as exc:
            status = _report(form, exc)
            return render_template("catalog/form.html", form=form, material=None), status
        messages = {
            "draft": _("Материал сохранён как черновик."),
            "submit": _("Материал отправлен на экспертизу."),
            "publish": _("Материал опубликован."),
        }
        flash(messages.get(action, messages["draft"]), "success")
        return redirect(url_for("catalog.detail", material_id=material.id))
    return render_template("catalog/form.html", form=form, material=None)


@bp.route("/materials/<int:material_id>/edit", methods=["GET", "POST"])
def edit(material_id: int) -> str | Response | tuple[str, int]:
    material = _material_or_404(material_id)
    user = _user()
    if not permissions.can_edit_material(user, material):
        abort(404)
    form = MaterialForm(obj=material)
    _fill_choices(form)
    if request.method == "GET":
        form.subject_ids.data = [s.id for s in material.subjects]
        form.collection_ids.data = [c.id for c in material.collections]
        form.levels.data = material.levels
    if form.validate_on_submit():
        try:
            materials.update_material(material, _material_data(form), user)
        except ValidationError as exc:
            db.session.rollback()
            status = _report(form, exc)
            return render_template("catalog/form.html", form=form, material=material), status
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("catalog.detail", material_id=material.id))
    return render_template("catalog/form.html", form=form, material=material)


def _file_of(material: Material, file_id: int) -> StoredFile:
    file = db.session.get(StoredFile, file_id)
    if file is None or file.material_id != material.id:
        abort(404)
    return file


def _file_action(material_id: int, action: Any, success: str) -> Response:
    material = _material_or_404(material_id)
    try:
        action(material)
    except NotFound:
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(success, "success")
    return redirect(url_for("catalog.detail", material_id=material_id))


@bp.route("/materials/<int:material_id>/files", methods=["POST"])
def add_file(material_id: int) -> Response:
    return _file_action(
        material_id,
        lambda m: materials.add_files(m, _uploads("file"), _user()),
        _("Файл добавлен."),
    )


@bp.route("/materials/<int:material_id>/files/<int:file_id>/replace", methods=["POST"])
def replace_file(material_id: int, file_id: int) -> Response:
    def replace(material: Material) -> None:
        uploads = _uploads("file")
        if not uploads:
            raise ValidationError(_("Выберите файл."))
        materials.replace_file(material, _file_of(material, file_id), uploads[0], _user())

    return _file_action(material_id, replace, _("Загружена новая версия файла."))


@bp.route("/materials/<int:material_id>/files/<int:file_id>/remove", methods=["POST"])
def remove_file(material_id: int, file_id: int) -> Response:
    return _file_action(
        material_id,
        lambda m: materials.remove_file(m, _file_of(m, file_id), _user()),
        _("Файл убран из материала; его версии остались в истории."),
    )


@bp.route("/materials/<int:material_id>/status", methods=["POST"])
def change_status(material_id: int) -> Response:
    material = _material_or_404(material_id)
    user = _user()
    form = StatusForm()
    form.action.choices = [(a, a) for a in permissions.allowed_actions(user, material)]
    if not form.validate_on_submit():
        abort(404 if not form.action.choices else 400)
    try:
        materials.change_status(material, user, form.action.data or "", form.comment.data or "")
    except PermissionDenied:
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("Статус материала изменён."), "success")
    return redirect(url_for("catalog.detail", material_id=material.id))


@bp.route("/materials/<int:material_id>/delete", methods=["POST"])
def delete(material_id: int) -> Response:
    material = _material_or_404(material_id)
    try:
        materials.delete_material(material, _user())
    except NotFound:
        abort(404)
    flash(_("Материал удалён."), "success")
    return redirect(url_for("catalog.mine"))


@bp.route("/materials/<int:material_id>/favourite", methods=["POST"])
def favourite(material_id: int) -> Response:
    material = _material_or_404(material_id)
    added = catalog.toggle_favourite(_user(), material)
    flash(_("Добавлено в избранное.") if added else _("Убрано из избранного."), "success")
    return redirect(url_for("catalog.detail", material_id=material.id))


@bp.route("/materials/mine")
def mine() -> str:
    pagination = db.paginate(
        catalog.my_materials_query(_user()), page=page_arg(), per_page=PER_PAGE, error_out=False
    )
    return render_template("catalog/mine.html", pagination=pagination)


@bp.route("/materials/favourites")
def favourites() -> str:
    pagination = db.paginate(
        catalog.favourites_query(_user()), page=page_arg(), per_page=PER_PAGE, error_out=False
    )
    return render_template("catalog/favourites.html", pagination=pagination)


@bp.route("/materials/review")
def review_queue() -> str:
    if not permissions.is_reviewer(_user()):
        abort(404)
    pagination = db.paginate(
        catalog.review_queue_query(), page=page_arg(), per_page=PER_PAGE, error_out=False
    )
    return render_template("catalog/review_queue.html", pagination=pagination)


# --- files -------------------------------------------------------------------


def _serve(file_id: int, *, inline: bool) -> Response:
    user = _user()
    try:
        file = materials.get_file(file_id, user)
        response = files.file_response(file, inline=inline)
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
    if not inline and files.counts_as_download():
        tracking.record_download(user, file)
    return response


@bp.route("/files/<int:file_id>/download")
def download(file_id: int) -> Response:
    return _serve(file_id, inline=False)


@bp.route("/files/<int:file_id>/view")
def view_file(file_id: int) -> Response:
    return _serve(file_id, inline=True)


# --- collections and bulk import ---------------------------------------------


@bp.route("/collections", methods=["GET", "POST"])
def collections_list() -> str | Response:
    user = _user()
    form = CollectionForm()
    if form.validate_on_submit():
        if not permissions.can_manage_collections(user):
            abort(404)
        try:
            collections.save_collection(form.name.data or "", form.description.data or "", user)
        except ValidationError as exc:
            _report(form, exc)
        else:
            flash(_("Коллекция создана."), "success")
            return redirect(url_for("catalog.collections_list"))
    return render_template(
        "catalog/collections.html",
        form=form,
        collections=collections.list_with_counts(),
    )


@bp.route("/collections/<int:collection_id>", methods=["GET", "POST"])
def collection_edit(collection_id: int) -> str | Response:
    if not permissions.can_manage_collections(_user()):
        abort(404)
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        abort(404)
    form = CollectionForm(obj=collection)
    if form.validate_on_submit():
        try:
            collections.save_collection(
                form.name.data or "", form.description.data or "", _user(), collection
            )
        except ValidationError as exc:
            _report(form, exc)
        else:
            flash(_("Коллекция сохранена."), "success")
            return redirect(url_for("catalog.collections_list"))
    return render_template("catalog/collection_form.html", form=form, collection=collection)


@bp.route("/materials/import", methods=["GET", "POST"])
def zip_import() -> str | Response | tuple[str, int]:
    user = _user()
    if not permissions.can_import_materials(user):
        abort(404)
    form = ZipImportForm()
    report = None
    if form.validate_on_submit():
        publish = request.form.get("publish") == "1"
        try:
            report = bulk_import.import_zip(
                form.file.data.stream,
                user,
                publish=publish,
                limits=bulk_import.ZipLimits.from_config(current_app.config),
            )
        except ValidationError as exc:
            status = _report(form, exc)
            return render_template("catalog/zip_import.html", form=form, report=None), status
    return render_template("catalog/zip_import.html", form=form, report=report)
