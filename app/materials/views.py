"""The materials bank's pages: catalog, a material, its files, lists, collections, import.

Thin views: services look objects up (``NotFound`` → 404), check permissions and own
the transaction; refusals reach the application's error handlers or, on a form,
``core.forms.submit``. A store that cannot give or take bytes is answered 503 by
the application's handler in ``core.error_pages``.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import permissions
from app.accounts import directory
from app.core.forms import form_status, submit
from app.core.http import page_arg
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

bp = Blueprint("catalog", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login() -> None:
    return None


def _user() -> Any:
    return current_user._get_current_object()


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


def _back_to(material_id: int) -> Response:
    return redirect(url_for("catalog.detail", material_id=material_id))


# --- catalog -----------------------------------------------------------------


@bp.route("/materials")
def index() -> str:
    filters = catalog.CatalogFilters.from_args(request.args)
    return render_template(
        "catalog/index.html",
        pagination=catalog.catalog_page(_user(), filters, page_arg()),
        filters=filters,
        options=catalog.filter_options(),
    )


@bp.route("/materials/<int:material_id>")
def detail(material_id: int) -> str:
    user = _user()
    material = materials.get_material(material_id, user)
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
        if not permissions.is_reviewer(user):
            form.collection_ids.data = [materials.experience_bank().id]
    if form.validate_on_submit():
        action = request.form.get("action", "draft")
        create = functools.partial(materials.create_material, action=action)
        material = submit(form, create, _material_data(form), _uploads("files"), user)
        if material is not None:
            messages = {
                "draft": _("Материал сохранён как черновик."),
                "submit": _("Материал отправлен на экспертизу."),
                "publish": _("Материал опубликован."),
            }
            flash(messages.get(action, messages["draft"]), "success")
            return _back_to(material.id)
    return render_template("catalog/form.html", form=form, material=None), form_status(form)


@bp.route("/materials/<int:material_id>/edit", methods=["GET", "POST"])
def edit(material_id: int) -> str | Response | tuple[str, int]:
    user = _user()
    material = materials.get_editable(material_id, user)
    form = MaterialForm(obj=material)
    _fill_choices(form)
    if request.method == "GET":
        form.subject_ids.data = [s.id for s in material.subjects]
        form.collection_ids.data = [c.id for c in material.collections]
        form.levels.data = material.levels
    if form.validate_on_submit() and (
        submit(form, materials.update_material, material, _material_data(form), user) is not None
    ):
        flash(_("Изменения сохранены."), "success")
        return _back_to(material.id)
    return render_template("catalog/form.html", form=form, material=material), form_status(form)


# A refused file action (a wrong type, the last file) is a ValidationError: the error
# handlers flash it on the material page the form was posted from.


@bp.route("/materials/<int:material_id>/files", methods=["POST"])
def add_file(material_id: int) -> Response:
    user = _user()
    materials.add_files(materials.get_material(material_id, user), _uploads("file"), user)
    flash(_("Файл добавлен."), "success")
    return _back_to(material_id)


@bp.route("/materials/<int:material_id>/files/<int:file_id>/replace", methods=["POST"])
def replace_file(material_id: int, file_id: int) -> Response:
    user = _user()
    material = materials.get_material(material_id, user)
    upload = next(iter(_uploads("file")), None)
    materials.replace_file(material, materials.file_of(material, file_id), upload, user)
    flash(_("Загружена новая версия файла."), "success")
    return _back_to(material_id)


@bp.route("/materials/<int:material_id>/files/<int:file_id>/remove", methods=["POST"])
def remove_file(material_id: int, file_id: int) -> Response:
    user = _user()
    material = materials.get_material(material_id, user)
    materials.remove_file(material, materials.file_of(material, file_id), user)
    flash(_("Файл убран из материала; его версии остались в истории."), "success")
    return _back_to(material_id)


@bp.route("/materials/<int:material_id>/status", methods=["POST"])
def change_status(material_id: int) -> Response:
    user = _user()
    material = materials.get_material(material_id, user)
    form = StatusForm()
    form.action.choices = [(a, a) for a in permissions.allowed_actions(user, material)]
    if not form.validate_on_submit():
        abort(404 if not form.action.choices else 400)
    materials.change_status(material, user, form.action.data or "", form.comment.data or "")
    flash(_("Статус материала изменён."), "success")
    return _back_to(material.id)


@bp.route("/materials/<int:material_id>/delete", methods=["POST"])
def delete(material_id: int) -> Response:
    user = _user()
    materials.delete_material(materials.get_material(material_id, user), user)
    flash(_("Материал удалён."), "success")
    return redirect(url_for("catalog.mine"))


@bp.route("/materials/<int:material_id>/favourite", methods=["POST"])
def favourite(material_id: int) -> Response:
    user = _user()
    added = catalog.toggle_favourite(user, materials.get_material(material_id, user))
    flash(_("Добавлено в избранное.") if added else _("Убрано из избранного."), "success")
    return _back_to(material_id)


@bp.route("/materials/mine")
def mine() -> str:
    return render_template("catalog/mine.html", pagination=catalog.mine_page(_user(), page_arg()))


@bp.route("/materials/favourites")
def favourites() -> str:
    pagination = catalog.favourites_page(_user(), page_arg())
    return render_template("catalog/favourites.html", pagination=pagination)


@bp.route("/materials/review")
def review_queue() -> str:
    pagination = catalog.review_page(_user(), page_arg())
    return render_template("catalog/review_queue.html", pagination=pagination)


# --- files -------------------------------------------------------------------


def _serve(file_id: int, *, inline: bool) -> Response:
    user = _user()
    file = materials.get_file(file_id, user)
    response = files.file_response(file, inline=inline)
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
        saved = submit(
            form,
            collections.save_collection,
            form.name.data or "",
            form.description.data or "",
            user,
        )
        if saved is not None:
            flash(_("Коллекция создана."), "success")
            return redirect(url_for("catalog.collections_list"))
    return render_template(
        "catalog/collections.html",
        form=form,
        collections=collections.list_with_counts(),
    )


@bp.route("/collections/<int:collection_id>", methods=["GET", "POST"])
def collection_edit(collection_id: int) -> str | Response:
    user = _user()
    collection = collections.get_collection(collection_id, user)
    form = CollectionForm(obj=collection)
    if form.validate_on_submit():
        saved = submit(
            form,
            collections.save_collection,
            form.name.data or "",
            form.description.data or "",
            user,
            collection,
        )
        if saved is not None:
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
        report = submit(
            form,
            bulk_import.import_zip,
            form.file.data.stream,
            user,
            publish=request.form.get("publish") == "1",
            limits=bulk_import.ZipLimits.from_config(current_app.config),
        )
    return render_template("catalog/zip_import.html", form=form, report=report), form_status(form)
