"""The register of issued documents: search, export, revocation and duplicates.

The register lists every document in the district, so its readers are those of the
district-wide reports; revoking and reissuing is for course staff.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from app import permissions
from app.core import exports
from app.core.http import page_arg, safe_next_url
from app.courses import certificates, overview
from app.courses.forms import RevokeForm
from app.courses.labels import certificate_status_labels, document_type_labels
from app.courses.models import CertificateStatus
from app.courses.views import bp
from app.courses.views.common import (
    export_format,
    flash_form_errors,
    perform,
    query_id,
    render,
    timezone,
    user,
)

REGISTER_PER_PAGE = 50


def _register_filters() -> tuple[str, int | None, str]:
    q = " ".join(request.args.get("q", "").split())[:200]
    status = request.args.get("status", "")
    return q, query_id("course"), status if status in set(CertificateStatus) else ""


@bp.route("/certificates")
@login_required
def register() -> str:
    visitor = user()
    q, course_id, status = _register_filters()
    pagination = certificates.register_page(
        visitor, q, course_id, status, page_arg(), REGISTER_PER_PAGE
    )
    return render(
        "courses/manage/register.html",
        pagination=pagination,
        q=q,
        course_id=course_id,
        status=status,
        course_choices=overview.course_choices(),
        can_manage=permissions.can_manage_certificates(visitor),
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
    for c in overview.register_rows(certificates.register_query(q, course_id, status)):
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
    if not permissions.can_view_reports(user()):
        abort(404)
    fmt = export_format()
    q, course_id, status = _register_filters()
    return exports.export_response(
        fmt,
        _("реестр документов"),
        register_columns(),
        _register_export_rows(q, course_id, status),
        tz=timezone(),
        sheet_title=_("Реестр"),
    )


def _back_to_register() -> BaseResponse:
    return redirect(safe_next_url(request.form.get("next")) or url_for("courses.register"))


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@login_required
def certificate_revoke(certificate_id: int) -> BaseResponse:
    certificate = certificates.managed_certificate(certificate_id, user())
    form = RevokeForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back_to_register()
    _result, refused = perform(certificates.revoke, certificate, user(), form.reason.data or "")
    if not refused:
        flash(_("Документ № %(n)s отозван.", n=certificate.number), "success")
    return _back_to_register()


@bp.route("/certificates/<int:certificate_id>/duplicate", methods=["POST"])
@login_required
def certificate_duplicate(certificate_id: int) -> BaseResponse:
    certificate = certificates.managed_certificate(certificate_id, user())
    duplicate, _refused = perform(certificates.reissue_duplicate, certificate, user())
    if duplicate is not None:
        flash(
            _(
                "Выдан дубликат № %(new)s; документ № %(old)s отозван.",
                new=duplicate.number,
                old=certificate.number,
            ),
            "success",
        )
    return _back_to_register()
