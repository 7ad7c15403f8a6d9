"""A teacher's qualification category (аттестация), kept beside the register by methodists."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app import permissions
from app.accounts.models import Role, User
from app.core.errors import NotFound, ValidationError
from app.core.unit_of_work import check, unit_of_work
from app.extensions import db
from app.training.models import Attestation, AttestationCategory
from app.training.validation import MIN_DAY, clean_line, today

ATTESTATION_YEARS = 5  # a category (and a conformity attestation) holds for five years
ORDER_NUMBER_MAX = 100


def attestation_of(user: User) -> Attestation | None:
    return db.session.get(Attestation, user.id)


@unit_of_work()
def set_attestation(
    teacher: User,
    category: str,
    granted_on: date | None,
    actor: User,
    order_number: str = "",
) -> Attestation:
    """A teacher's current qualification category (methodists); ``""`` clears it."""
    check(permissions.can_verify_training(actor))
    if teacher.role != Role.TEACHER:
        raise NotFound()
    if category not in set(AttestationCategory):
        raise ValidationError(_("Выберите категорию из списка."), "category")
    order_number = clean_line(order_number)
    if len(order_number) > ORDER_NUMBER_MAX:
        raise ValidationError(_("Не длиннее %(n)d символов.", n=ORDER_NUMBER_MAX), "order_number")
    if category == AttestationCategory.NONE:
        granted_on, order_number = None, ""
    elif granted_on is None:
        raise ValidationError(_("Укажите дату, с которой установлена категория."), "granted_on")
    elif granted_on > today():
        raise ValidationError(_("Дата не может быть позже сегодняшнего дня."), "granted_on")
    elif granted_on < MIN_DAY:
        raise ValidationError(_("Дата не может быть раньше 1990 года."), "granted_on")
    attestation = db.session.get(Attestation, teacher.id)
    if attestation is None:
        attestation = Attestation(user_id=teacher.id)
        db.session.add(attestation)
    attestation.category = category
    attestation.granted_on = granted_on
    attestation.order_number = order_number
    try:
        # Flushed here, not at the commit, so a row another methodist created a moment ago
        # becomes a message instead of an error page.
        db.session.flush()
    except IntegrityError as exc:
        raise ValidationError(_("Данные изменились, пока вы их вводили. Повторите.")) from exc
    return attestation
