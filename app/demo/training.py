"""Demo external training: records over four years, so every register status shows."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.demo.district import staff_member
from app.extensions import db

PROVIDERS = [
    (
        "ГАУ ДПО «Институт развития образования»",
        "Реализация требований обновлённых ФГОС ООО, ФГОС СОО в работе учителя",
        36,
    ),
    (
        "Центр непрерывного повышения профессионального мастерства педагогических работников",
        "Школа современного учителя: достижения российской науки",
        56,
    ),
    (
        "ФГАОУ ВО «Государственный университет просвещения»",
        "Функциональная грамотность школьников",
        72,
    ),
    (
        "ГАУ ДПО «Институт развития образования»",
        "Организация работы с обучающимися с ОВЗ в соответствии с ФГОС",
        72,
    ),
    (
        "АНО ДПО «Педагогический университет „Первое сентября“»",
        "Формирование и оценка функциональной грамотности",
        16,
    ),
]


def seed_external_training(teachers: list[User]) -> str:
    """Records over four years so that every register status shows up, some still pending."""
    from datetime import date

    from app.training.models import (
        Attestation,
        AttestationCategory,
        ExternalTraining,
        TrainingStatus,
    )

    if db.session.execute(select(ExternalTraining.id).limit(1)).first() is not None:
        return "Внешнее обучение: уже заполнено."
    methodist = staff_member("methodist2")
    categories = [AttestationCategory.HIGHEST, AttestationCategory.FIRST, AttestationCategory.FIRST,
                  AttestationCategory.CONFORMITY, AttestationCategory.NONE]  # fmt: skip
    # Last training dates chosen so the statuses vary: overdue, due soon, fine.
    plan = [date(2022, 9, 30), date(2023, 4, 14), date(2023, 12, 8), date(2024, 3, 29),
            date(2024, 11, 15), date(2025, 2, 20), date(2025, 10, 31), date(2026, 4, 10),
            date(2026, 9, 25)]  # fmt: skip
    added = 0
    for n, teacher in enumerate(teachers):
        if n % 6 == 5:
            continue  # no records at all: "нет сведений" unless a course was finished here
        ends_on = plan[n % len(plan)]
        provider, programme, hours = PROVIDERS[n % len(PROVIDERS)]
        db.session.add(
            ExternalTraining(
                user_id=teacher.id, provider=provider, programme=programme, hours=hours,
                starts_on=ends_on.replace(day=1), ends_on=ends_on,
                document_type="удостоверение о повышении квалификации",
                document_number=f"{7727 + n:06d}", status=TrainingStatus.VERIFIED,
                reviewed_by_id=methodist.id, source="methodist", created_by_id=methodist.id,
            )
        )  # fmt: skip
        added += 1
        if n % 4 == 0:  # an older course too, for hours per year
            provider, programme, hours = PROVIDERS[(n + 2) % len(PROVIDERS)]
            older = ends_on.replace(year=ends_on.year - 1, day=15)
            db.session.add(
                ExternalTraining(
                    user_id=teacher.id, provider=provider, programme=programme, hours=hours,
                    starts_on=older.replace(day=1), ends_on=older,
                    document_type="сертификат", document_number=f"С-{n:04d}",
                    status=TrainingStatus.VERIFIED, reviewed_by_id=methodist.id,
                    source="methodist", created_by_id=methodist.id,
                )
            )  # fmt: skip
            added += 1
        if n % 7 == 3:  # waiting for a methodist
            db.session.add(
                ExternalTraining(
                    user_id=teacher.id, provider=PROVIDERS[1][0], programme=PROVIDERS[1][1],
                    hours=PROVIDERS[1][2], starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 30),
                    document_type="удостоверение о повышении квалификации",
                    document_number=f"{9100 + n:06d}", status=TrainingStatus.PENDING,
                    source="teacher", created_by_id=teacher.id,
                )
            )  # fmt: skip
            added += 1
        category = categories[n % len(categories)]
        if category:
            db.session.add(
                Attestation(user_id=teacher.id, category=category,
                            granted_on=date(2021 + n % 5, 1 + n % 12, 15))
            )  # fmt: skip
    db.session.commit()
    return f"Записей о внешнем обучении: {added}."
