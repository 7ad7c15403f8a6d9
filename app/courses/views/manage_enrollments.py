"""A course's learners: enrolling teachers, a school or a methodical association, and
withdrawing them. Only the course's authors and administrators run enrolment: the
lookup and every enrolment action check ``can_manage_enrollments``.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from app.accounts import directory
from app.core.http import page_arg, safe_next_url
from app.courses import enrolment, lookups, overview, progress
from app.courses.forms import EnrolAssociationForm, EnrolOrganizationForm, EnrolTeachersForm
from app.courses.models import Course
from app.courses.views import bp
from app.courses.views.common import perform, query_id, render, user

ENROLLED_PER_PAGE = 50


def _enrol_forms(
    organizations: list[Any],
) -> tuple[EnrolTeachersForm, EnrolOrganizationForm, EnrolAssociationForm]:
    teachers = EnrolTeachersForm(prefix="teachers")
    organization = EnrolOrganizationForm(prefix="organization")
    association = EnrolAssociationForm(prefix="association")
    organization.organization_id.choices = [(o.id, o.short_name) for o in organizations]
    association.association_id.choices = [(a.id, a.name) for a in directory.list_associations()]
    return teachers, organization, association


def _enrol(course: Course, mode: str, forms: tuple[Any, Any, Any]) -> tuple[int | None, bool]:
    """Run the posted enrolment: (teachers enrolled or None if no form passed, refused)."""
    teachers, organization, association = forms
    if mode == "teachers" and teachers.validate_on_submit():
        return perform(enrolment.enrol_users, course, teachers.user_ids.data or [], user())
    if mode == "organization" and organization.validate_on_submit():
        return perform(
            enrolment.enrol_organization, course, organization.organization_id.data, user()
        )
    if mode == "association" and association.validate_on_submit():
        return perform(enrolment.enrol_association, course, association.association_id.data, user())
    return None, False


@bp.route("/courses/<int:course_id>/enrollments", methods=["GET", "POST"])
@login_required
def enrollments(course_id: int) -> str | BaseResponse:
    course = lookups.enrolment_course(course_id, user())
    org_id = query_id("org")
    organizations = list(directory.list_organizations())
    forms = _enrol_forms(organizations)
    teachers_form = forms[0]
    teachers_form.user_ids.choices = [
        (u.id, f"{u.full_name} — {u.organization.short_name if u.organization else '—'}")
        for u in overview.enrollable_teachers(course, org_id)
    ]
    if request.method == "POST":
        mode = request.form.get("mode", "")
        added, refused = _enrol(course, mode, forms)
        if added is not None:
            flash(_("Записано: %(n)d", n=added), "success")
            return redirect(url_for("courses.enrollments", course_id=course.id, org=org_id))
        if not refused and mode == "teachers" and not teachers_form.user_ids.data:
            teachers_form.user_ids.errors = [_("Выберите хотя бы одного педагога.")]
    listing = progress.enrollment_page(course, org_id, page_arg(), ENROLLED_PER_PAGE)
    return render(
        "courses/manage/enrollments.html",
        course=course,
        listing=listing,
        summary=progress.enrollment_summary(course),
        org_id=org_id,
        organizations=organizations,
        teachers_form=teachers_form,
        organization_form=forms[1],
        association_form=forms[2],
    )


@bp.route("/courses/<int:course_id>/enrollments/<int:user_id>/withdraw", methods=["POST"])
@login_required
def enrollment_withdraw(course_id: int, user_id: int) -> BaseResponse:
    course = lookups.enrolment_course(course_id, user())
    learner = enrolment.withdraw(course, user_id, user())
    flash(_("%(name)s отчислен(а) с курса.", name=learner.full_name), "success")
    return redirect(
        safe_next_url(request.form.get("next"))
        or url_for("courses.enrollments", course_id=course.id)
    )
