"""Documents: gap-free registration numbers per year, revocation, duplicates, PDFs, the register.

The public check of a number and its check code live in ``verification``.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select, update

from app import permissions
from app.accounts.models import User
from app.core.db_support import upsert
from app.core.errors import NotFound, ValidationError
from app.core.models import utcnow
from app.core.unit_of_work import check, found, unit_of_work
from app.courses.models import Certificate, CertificateSequence, CertificateStatus, Course
from app.courses.verification import check_code, find_by_number  # noqa: F401
from app.extensions import db


def _local_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def next_sequence(year: int) -> int:
    """Bump the year's counter in the caller's transaction: a rollback takes the number back."""
    db.session.execute(
        upsert(CertificateSequence)
        .values(year=year, last_value=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    return int(
        db.session.execute(
            update(CertificateSequence)
            .where(CertificateSequence.year == year)
            .values(last_value=CertificateSequence.last_value + 1)
            .returning(CertificateSequence.last_value)
        ).scalar_one()
    )


def format_number(year: int, sequence: int) -> str:
    return f"{current_app.config['CERTIFICATE_PREFIX']}-{year}-{sequence:05d}"


def issue(
    completion_id: int,
    user_id: int,
    course: Course,
    now: datetime,
    *,
    started_on: date | None = None,
    duplicate_of: Certificate | None = None,
) -> Certificate:
    """Create the document row (caller commits); the text is a snapshot of today's data."""
    user = db.session.get(User, user_id)
    assert user is not None
    completed_on = _local_date(now)
    year = completed_on.year if duplicate_of is None else _local_date(now).year
    sequence = next_sequence(year)
    certificate = Certificate(
        number=format_number(year, sequence),
        year=year,
        sequence=sequence,
        completion_id=completion_id,
        user_id=user_id,
        course_id=course.id,
        document_type=course.document_type,
        full_name=user.full_name,
        organization_name=user.organization.full_name if user.organization else "",
        course_title=course.title,
        hours=course.hours,
        started_on=started_on,
        completed_on=completed_on,
        issued_at=now,
    )
    if duplicate_of is not None:
        certificate.document_type = duplicate_of.document_type
        certificate.full_name = duplicate_of.full_name
        certificate.organization_name = duplicate_of.organization_name
        certificate.course_title = duplicate_of.course_title
        certificate.hours = duplicate_of.hours
        certificate.started_on = duplicate_of.started_on
        certificate.completed_on = duplicate_of.completed_on
        certificate.duplicate_of_id = duplicate_of.id
    certificate.search_text = " ".join(
        (certificate.number, certificate.full_name, certificate.organization_name,
         certificate.course_title)
    ).casefold().replace("ё", "е")  # fmt: skip
    db.session.add(certificate)
    db.session.flush()
    return certificate


@unit_of_work()
def revoke(certificate: Certificate, actor: User, reason: str) -> Certificate:
    check(permissions.can_manage_certificates(actor))
    reason = " ".join((reason or "").split())[:1000]
    if not reason:
        raise ValidationError(_("Укажите причину отзыва."), "reason")
    if certificate.status == CertificateStatus.REVOKED:
        raise ValidationError(_("Документ уже отозван."))
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revoke_reason = reason
    return certificate


@unit_of_work()
def reissue_duplicate(certificate: Certificate, actor: User) -> Certificate:
    """A duplicate under a new number; the original is revoked in the same transaction."""
    check(permissions.can_manage_certificates(actor))
    if certificate.status == CertificateStatus.REVOKED:
        raise ValidationError(_("Дубликат выдаётся только взамен действующего документа."))
    now = utcnow()
    duplicate = issue(
        certificate.completion_id,
        certificate.user_id,
        certificate.course,
        now,
        duplicate_of=certificate,
    )
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = now
    certificate.revoked_by_id = actor.id
    certificate.revoke_reason = _("Выдан дубликат № %(n)s", n=duplicate.number)
    return duplicate


def managed_certificate(certificate_id: int, actor: User) -> Certificate:
    """A document of the register for someone who may revoke and reissue documents."""
    check(permissions.can_manage_certificates(actor))
    return found(db.session.get(Certificate, certificate_id))


def get_certificate(certificate_id: int, user: User) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not permissions.can_view_certificate(user, certificate):
        raise NotFound()
    if certificate.status == CertificateStatus.REVOKED and not permissions.can_manage_certificates(
        user
    ):
        # A revoked document is not handed out again; the register keeps it for the office.
        raise NotFound()
    return certificate


def verify_url(number: str) -> str:
    """The QR code's link: the number and its check code, which opens the whole record."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return f"{base.rstrip('/')}/verify/{quote(number)}?{urlencode({'code': check_code(number)})}"


def render_pdf(certificate: Certificate) -> bytes:
    from app.courses.certificate_pdf import CertificateData, render_certificate

    config = current_app.config
    return render_certificate(
        CertificateData(
            number=certificate.number,
            document_type=certificate.document_type,
            full_name=certificate.full_name,
            organization=certificate.organization_name,
            course_title=certificate.course_title,
            hours=certificate.hours,
            started_on=certificate.started_on,
            completed_on=certificate.completed_on,
            issued_on=_local_date(certificate.issued_at),
            issuer=config["CERTIFICATE_ISSUER"],
            city=config["CERTIFICATE_CITY"],
            verify_url=verify_url(certificate.number),
            check_code=check_code(certificate.number),
            duplicate=certificate.duplicate_of_id is not None,
        )
    )


def pdf_filename(certificate: Certificate) -> str:
    return f"{certificate.number}.pdf"


def register_page(
    actor: User, q: str, course_id: int | None, status: str, page: int, per_page: int
) -> Pagination:
    """One page of the register; it lists every document, so only report readers see it."""
    check(permissions.can_view_reports(actor))
    return db.paginate(
        register_query(q, course_id, status), page=page, per_page=per_page, error_out=False
    )


def register_query(q: str = "", course_id: int | None = None, status: str = "") -> Select[Any]:
    query = select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    for word in (q or "").casefold().replace("ё", "е").split()[:10]:
        query = query.where(Certificate.search_text.contains(word, autoescape=True))
    if course_id:
        query = query.where(Certificate.course_id == course_id)
    if status in set(CertificateStatus):
        query = query.where(Certificate.status == status)
    return query


def zip_for_course(course: Course) -> Iterator[bytes]:
    """All valid documents of a course, one PDF each; spooled to disk, then streamed."""
    certificates = list(
        db.session.execute(
            select(Certificate)
            .where(
                Certificate.course_id == course.id, Certificate.status == CertificateStatus.VALID
            )
            .order_by(Certificate.number)
        ).scalars()
    )
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in certificates:
            archive.writestr(pdf_filename(certificate), render_pdf(certificate))
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(256 * 1024):
                yield chunk

    return chunks()
