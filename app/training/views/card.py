"""The teacher's personal card: the page, its PDF, and the methodist's attestation form."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app import permissions
from app.accounts.models import User
from app.core.forms import form_status, submit
from app.core.unit_of_work import check
from app.training import attestation as attestations
from app.training import labels, teachers
from app.training.forms import AttestationForm
from app.training.teacher_card import render_teacher_card
from app.training.views import bp
from app.training.views.common import user
from content_store import content_disposition


def _attestation_form(teacher: User) -> AttestationForm:
    form = AttestationForm(obj=attestations.attestation_of(teacher))
    form.category.choices = list(labels.attestation_labels().items())
    return form


def _card_page(teacher: User, form: AttestationForm | None) -> str:
    return render_template(
        "training/card.html",
        teacher=teacher,
        card=teachers.teacher_card(teacher),
        attestation_form=form,
    )


@bp.route("/teachers/<int:user_id>/card")
def card(user_id: int) -> str:
    me = user()
    teacher = teachers.get_teacher(user_id, me)
    form = _attestation_form(teacher) if permissions.can_verify_training(me) else None
    return _card_page(teacher, form)


@bp.route("/teachers/<int:user_id>/card.pdf")
def card_pdf(user_id: int) -> Response:
    teacher = teachers.get_teacher(user_id, user())
    response = Response(
        render_teacher_card(teachers.teacher_card(teacher)), mimetype="application/pdf"
    )
    response.headers["Content-Disposition"] = content_disposition(
        f"Личная карточка — {teacher.full_name}.pdf", "attachment"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/teachers/<int:user_id>/attestation", methods=["POST"])
def attestation(user_id: int) -> tuple[str, int] | Response:
    me = user()
    check(permissions.can_verify_training(me))
    teacher = teachers.get_teacher(user_id, me)
    form = _attestation_form(teacher)
    if form.validate_on_submit():
        saved = submit(
            form,
            attestations.set_attestation,
            teacher,
            form.category.data or "",
            form.granted_on.data,
            me,
            order_number=form.order_number.data or "",
        )
        if saved is not None:
            flash(_("Сведения об аттестации сохранены."), "success")
            return redirect(url_for("training.card", user_id=teacher.id))
    return _card_page(teacher, form), form_status(form)
