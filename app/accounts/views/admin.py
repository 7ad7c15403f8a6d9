from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app import permissions
from app.accounts import directory, teacher_import, users_query
from app.accounts import services as accounts
from app.accounts.forms_admin import (
    AssociationForm,
    ImportForm,
    NewUserForm,
    OrganizationForm,
    SetPasswordForm,
    SubjectForm,
    UserForm,
)
from app.accounts.labels import organization_kind_labels, role_labels
from app.accounts.models import MethodicalAssociation, Organization, Role, Subject
from app.core.forms import submit
from app.core.http import page_arg
from app.core.pending_import import PendingImport
from app.extensions import login_manager

bp = Blueprint("admin", __name__, template_folder="../templates")


@bp.before_request
def require_admin() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not permissions.can_manage_directory(current_user):
        abort(404)
    return None


# --- users -----------------------------------------------------------------


def _fill_user_choices(form: UserForm) -> None:
    form.role.choices = list(role_labels().items())
    form.organization_id.choices = [(None, "—")] + [
        (o.id, o.short_name) for o in directory.list_organizations()
    ]
    form.subject_ids.choices = [(s.id, s.name) for s in directory.list_subjects()]


def _user_data(form: UserForm) -> accounts.UserData:
    return accounts.UserData(
        email=form.email.data or "",
        last_name=form.last_name.data or "",
        first_name=form.first_name.data or "",
        patronymic=form.patronymic.data or "",
        position=form.position.data or "",
        role=form.role.data or "",
        organization_id=form.organization_id.data,
        subject_ids=form.subject_ids.data or [],
    )


@bp.route("/users")
def users() -> str:
    filters = users_query.UserFilters.from_args(request.args)
    pagination = users_query.page(
        current_user, filters, page_arg(), current_app.config["USERS_PER_PAGE"]
    )
    return render_template(
        "admin/users.html",
        pagination=pagination,
        filters=filters,
        organizations=directory.list_organizations(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> str | Response:
    form = NewUserForm()
    _fill_user_choices(form)
    if request.method == "GET":
        form.role.data = Role.TEACHER
    if form.validate_on_submit():
        user = submit(form, accounts.create_user, _user_data(form), form.password.data or "")
        if user is not None:
            flash(_("Пользователь %(name)s создан.", name=user.full_name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> str | Response:
    user = accounts.get_user(user_id)
    form = UserForm(obj=user)
    _fill_user_choices(form)
    if request.method == "GET":
        form.subject_ids.data = [s.id for s in user.subjects]
    if form.validate_on_submit() and (
        submit(form, accounts.update_user, user, _user_data(form)) is not None
    ):
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template(
        "admin/user_form.html", form=form, user=user, password_form=SetPasswordForm()
    )


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def user_password(user_id: int) -> str | Response:
    user = accounts.get_user(user_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        # The service raises a ValidationError: shown on the page the form came from.
        accounts.set_password(user, form.password.data or "", must_change=True)
        flash(
            _(
                "Новый пароль задан. Все сеансы пользователя завершены; "
                "при входе он должен будет сменить пароль."
            ),
            "success",
        )
    else:
        for error in form.password.errors:
            flash(str(error), "danger")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def user_active(user_id: int) -> Response:
    user = accounts.get_user(user_id)
    activate = request.form.get("active") == "1"
    accounts.set_active(user, activate)
    flash(
        _("Учётная запись включена.")
        if activate
        else _("Учётная запись отключена, все её сеансы завершены."),
        "success",
    )
    return redirect(url_for("admin.user_edit", user_id=user.id))


# --- teacher import ----------------------------------------------------------

PENDING = PendingImport("teacher_import")


@bp.route("/import", methods=["GET", "POST"])
def import_teachers() -> str | Response:
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        preview = submit(
            form,
            teacher_import.preview_upload,
            PENDING,
            upload,
            current_app.config["IMPORT_MAX_ROWS"],
        )
        if preview is not None:
            return render_template(
                "admin/import_preview.html", preview=preview, filename=upload.filename
            )
    return render_template("admin/import.html", form=form)


@bp.route("/import/confirm", methods=["POST"])
def import_confirm() -> str | Response:
    path = PENDING.path()
    if path is None:
        flash(_("Файл для импорта не найден. Загрузите его ещё раз."), "warning")
        return redirect(url_for("admin.import_teachers"))
    try:
        result = teacher_import.apply_import(path, current_app.config["IMPORT_MAX_ROWS"])
    finally:
        # Imported or refused, the list is used once: a retry starts from a new upload.
        PENDING.discard()
    return render_template("admin/import_result.html", result=result)


# --- organizations, subjects, associations ------------------------------------


@bp.route("/organizations")
def organizations() -> str:
    counts = users_query.users_per_organization()
    return render_template(
        "admin/organizations.html", organizations=directory.list_organizations(), counts=counts
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
def organization_edit(org_id: int | None = None) -> str | Response:
    org = directory.get(Organization, org_id) if org_id else None
    form = OrganizationForm(obj=org)
    form.kind.choices = list(organization_kind_labels().items())
    if form.validate_on_submit():
        data = directory.OrganizationData(
            full_name=form.full_name.data or "",
            short_name=form.short_name.data or "",
            kind=form.kind.data or "",
            municipality=form.municipality.data or "",
        )
        if submit(form, directory.save_organization, data, org) is not None:
            flash(_("Организация сохранена."), "success")
            return redirect(url_for("admin.organizations"))
    return render_template("admin/organization_form.html", form=form, org=org)


@bp.route("/organizations/<int:org_id>/delete", methods=["POST"])
def organization_delete(org_id: int) -> Response:
    directory.delete_organization(directory.get(Organization, org_id))
    flash(_("Организация удалена."), "success")
    return redirect(url_for("admin.organizations"))


@bp.route("/subjects", methods=["GET", "POST"])
def subjects() -> str | Response:
    form = SubjectForm()
    if form.validate_on_submit() and (
        submit(form, directory.save_subject, form.name.data or "") is not None
    ):
        flash(_("Предмет добавлен."), "success")
        return redirect(url_for("admin.subjects"))
    return render_template("admin/subjects.html", form=form, subjects=directory.list_subjects())


@bp.route("/subjects/<int:subject_id>", methods=["GET", "POST"])
def subject_edit(subject_id: int) -> str | Response:
    subject = directory.get(Subject, subject_id)
    form = SubjectForm(obj=subject)
    if form.validate_on_submit() and (
        submit(form, directory.save_subject, form.name.data or "", subject) is not None
    ):
        flash(_("Предмет сохранён."), "success")
        return redirect(url_for("admin.subjects"))
    return render_template("admin/subject_form.html", form=form, subject=subject)


@bp.route("/subjects/<int:subject_id>/delete", methods=["POST"])
def subject_delete(subject_id: int) -> Response:
    directory.delete_subject(directory.get(Subject, subject_id))
    flash(_("Предмет удалён."), "success")
    return redirect(url_for("admin.subjects"))


def _fill_association_choices(form: AssociationForm) -> None:
    people = users_query.active_people((Role.TEACHER, Role.METHODIST))
    choices = [(u.id, f"{u.full_name} ({u.organization or '—'})") for u in people]
    form.subject_id.choices = [(None, "—")] + [(s.id, s.name) for s in directory.list_subjects()]
    form.leader_id.choices = [(None, "—"), *choices]
    form.member_ids.choices = choices


@bp.route("/associations")
def associations() -> str:
    return render_template(
        "admin/associations.html", associations=directory.list_associations_with_counts()
    )


@bp.route("/associations/new", methods=["GET", "POST"])
@bp.route("/associations/<int:association_id>", methods=["GET", "POST"])
def association_edit(association_id: int | None = None) -> str | Response:
    association = directory.get(MethodicalAssociation, association_id) if association_id else None
    form = AssociationForm(obj=association)
    _fill_association_choices(form)
    if request.method == "GET" and association is not None:
        form.member_ids.data = [m.id for m in association.members]
    if form.validate_on_submit():
        data = directory.AssociationData(
            name=form.name.data or "",
            subject_id=form.subject_id.data,
            leader_id=form.leader_id.data,
            description=form.description.data or "",
            member_ids=form.member_ids.data or [],
        )
        if submit(form, directory.save_association, data, association) is not None:
            flash(_("Методическое объединение сохранено."), "success")
            return redirect(url_for("admin.associations"))
    return render_template("admin/association_form.html", form=form, association=association)


@bp.route("/associations/<int:association_id>/delete", methods=["POST"])
def association_delete(association_id: int) -> Response:
    directory.delete_association(directory.get(MethodicalAssociation, association_id))
    flash(_("Методическое объединение удалено."), "success")
    return redirect(url_for("admin.associations"))
