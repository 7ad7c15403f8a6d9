"""A demo district: organizations, people, subjects and methodical associations.

Deterministic and idempotent: running it again finds what exists and adds
only what is missing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import select

from app.accounts.models import (
    MethodicalAssociation,
    Organization,
    OrganizationKind,
    Role,
    Subject,
    User,
)
from app.extensions import db

DEMO_PASSWORD = "demo2026"  # noqa: S105 - published demo credentials, not a secret
MUNICIPALITY = "Заречный муниципальный округ"

ORGANIZATIONS = [
    (
        "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 1»",
        "МБОУ СОШ № 1",
        OrganizationKind.SCHOOL,
    ),
    (
        "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 2 имени А. С. Пушкина»",
        "МБОУ СОШ № 2",
        OrganizationKind.SCHOOL,
    ),
    (
        "Муниципальное бюджетное общеобразовательное учреждение «Гимназия № 3»",
        "МБОУ Гимназия № 3",
        OrganizationKind.SCHOOL,
    ),
    (
        "Муниципальное казённое общеобразовательное учреждение «Основная общеобразовательная школа села Луговое»",
        "МКОУ ООШ с. Луговое",
        OrganizationKind.SCHOOL,
    ),
    (
        "Муниципальное бюджетное дошкольное образовательное учреждение «Детский сад № 5 „Солнышко“»",
        "МБДОУ д/с № 5",
        OrganizationKind.KINDERGARTEN,
    ),
    (
        "Муниципальное бюджетное учреждение дополнительного образования «Дом детского творчества»",
        "МБУ ДО ДДТ",
        OrganizationKind.SUPPLEMENTARY,
    ),
]

SUBJECTS = [
    "Русский язык",
    "Литература",
    "Математика",
    "Информатика",
    "Физика",
    "Химия",
    "Биология",
    "География",
    "История",
    "Обществознание",
    "Английский язык",
    "Физическая культура",
    "Музыка",
    "Изобразительное искусство",
    "Технология",
    "Начальные классы",
    "Дошкольное образование",
    "Дополнительное образование",
]

ASSOCIATIONS = [
    ("РМО учителей русского языка и литературы", "Русский язык"),
    ("РМО учителей математики и информатики", "Математика"),
    ("РМО учителей начальных классов", "Начальные классы"),
    ("РМО учителей естественных наук", "Биология"),
    ("РМО педагогов дошкольного образования", "Дошкольное образование"),
]

MALE_FIRST = [
    "Александр",
    "Алексей",
    "Андрей",
    "Дмитрий",
    "Иван",
    "Михаил",
    "Николай",
    "Сергей",
    "Павел",
    "Виктор",
]
FEMALE_FIRST = [
    "Анна",
    "Елена",
    "Ольга",
    "Татьяна",
    "Наталья",
    "Ирина",
    "Светлана",
    "Марина",
    "Людмила",
    "Екатерина",
    "Галина",
    "Юлия",
]
PATRONYMIC_BASES = [
    "Александров",
    "Сергеев",
    "Иванов",
    "Петров",
    "Николаев",
    "Викторов",
    "Михайлов",
    "Владимиров",
    "Андреев",
    "Юрьев",
]
LAST_NAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
]
TRANSLIT = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "y",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    }
)
EMAIL_DOMAIN = "rmk-demo.ru"

STAFF = [
    (
        Role.ADMIN,
        "admin",
        ("Администраторов", "Артём", "Игоревич"),
        "системный администратор",
        None,
    ),
    (
        Role.MANAGER,
        "manager",
        ("Руководителева", "Надежда", "Викторовна"),
        "начальник управления образования",
        None,
    ),
    (
        Role.METHODIST,
        "methodist",
        ("Методистова", "Вера", "Павловна"),
        "методист по русскому языку и литературе",
        None,
    ),
    (
        Role.METHODIST,
        "methodist2",
        ("Кравцова", "Лариса", "Геннадьевна"),
        "методист по математике и информатике",
        None,
    ),
    (
        Role.METHODIST,
        "methodist3",
        ("Белоусов", "Олег", "Николаевич"),
        "методист по дошкольному образованию",
        None,
    ),
]


@dataclass
class SeedReport:
    lines: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


def _female(last_name: str) -> str:
    if last_name.endswith(("ов", "ёв", "ев", "ин")):
        return last_name + "а"
    return last_name


def _email(first: str, last: str, n: int) -> str:
    local = f"{first[0]}.{last}".lower().translate(TRANSLIT)
    return f"{local}{n}@{EMAIL_DOMAIN}"


def _get_or_create_user(
    email: str, role: str, name: tuple[str, str, str], position: str, org: Organization | None
) -> tuple[User, bool]:
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is not None:
        return user, False
    last, first, patronymic = name
    user = User(
        email=email,
        last_name=last,
        first_name=first,
        patronymic=patronymic,
        position=position,
        role=role,
        organization=org,
    )
    user.set_password(DEMO_PASSWORD)
    user.refresh_search_text()
    db.session.add(user)
    return user, True


def seed_demo() -> SeedReport:
    report = SeedReport()
    rng = random.Random(2026)  # noqa: S311 - deterministic demo data, not security

    subjects: dict[str, Subject] = {}
    for name in SUBJECTS:
        subject = db.session.execute(
            select(Subject).where(Subject.name == name)
        ).scalar_one_or_none()
        if subject is None:
            subject = Subject(name=name)
            db.session.add(subject)
        subjects[name] = subject

    organizations: list[Organization] = []
    for full, short, kind in ORGANIZATIONS:
        org = db.session.execute(
            select(Organization).where(Organization.short_name == short)
        ).scalar_one_or_none()
        if org is None:
            org = Organization(
                full_name=full, short_name=short, kind=kind, municipality=MUNICIPALITY
            )
            db.session.add(org)
        organizations.append(org)
    db.session.flush()

    created = 0
    for role, local, name, position, _org in STAFF:
        email = f"{local}@{EMAIL_DOMAIN}"
        _, new = _get_or_create_user(email, role, name, position, None)
        created += new
        report.logins.append((role, email))

    school_subjects = [
        s for s in SUBJECTS if s not in ("Дошкольное образование", "Дополнительное образование")
    ]
    teachers: list[User] = []
    for n in range(1, 41):
        female = rng.random() < 0.8
        base_last = LAST_NAMES[(n * 7) % len(LAST_NAMES)]
        last = _female(base_last) if female else base_last
        first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
        patronymic = rng.choice(PATRONYMIC_BASES) + ("на" if female else "ич")
        org = organizations[(n - 1) % len(organizations)]
        if org.kind == OrganizationKind.KINDERGARTEN:
            subject_names, position = ["Дошкольное образование"], "воспитатель"
        elif org.kind == OrganizationKind.SUPPLEMENTARY:
            subject_names, position = (
                ["Дополнительное образование"],
                "педагог дополнительного образования",
            )
        else:
            subject_names = rng.sample(school_subjects, k=rng.choice([1, 1, 2]))
            position = (
                "учитель начальных классов"
                if subject_names[0] == "Начальные классы"
                else f"учитель ({subject_names[0].lower()})"
            )
        email = f"teacher@{EMAIL_DOMAIN}" if n == 1 else _email(first, base_last, n)
        user, new = _get_or_create_user(
            email, Role.TEACHER, (last, first, patronymic), position, org
        )
        if new:
            user.subjects = [subjects[s] for s in subject_names]
        created += new
        teachers.append(user)
    report.logins.insert(2, (Role.TEACHER, teachers[0].email))
    db.session.flush()

    for name, subject_name in ASSOCIATIONS:
        association = db.session.execute(
            select(MethodicalAssociation).where(MethodicalAssociation.name == name)
        ).scalar_one_or_none()
        if association is not None:
            continue
        subject = subjects[subject_name]
        related = {
            subject_name,
            *(["Литература"] if subject_name == "Русский язык" else []),
            *(["Информатика"] if subject_name == "Математика" else []),
            *(["Химия", "Физика", "География"] if subject_name == "Биология" else []),
        }
        members = [t for t in teachers if {s.name for s in t.subjects} & related]
        association = MethodicalAssociation(
            name=name, subject=subject, members=members, leader=members[0] if members else None
        )
        db.session.add(association)

    db.session.commit()
    report.lines.append(
        f"Демо-округ: {len(organizations)} организаций, {len(subjects)} предметов, "
        f"{len(teachers)} педагогов, {len(STAFF)} сотрудников; новых учётных записей: {created}."
    )
    report.lines.append(seed_materials(teachers))
    report.lines.append(seed_courses(teachers))
    report.lines.append(seed_external_training(teachers))
    return report


def _staff(email_local: str) -> User:
    return db.session.execute(
        select(User).where(User.email == f"{email_local}@{EMAIL_DOMAIN}")
    ).scalar_one()


def seed_materials(teachers: list[User]) -> str:
    """About 30 published materials with real files, a few on review and one returned."""
    from datetime import UTC, datetime, timedelta

    from app.demo import documents as demo_files
    from app.materials import services as materials
    from app.materials.models import Material

    methodists = [_staff("methodist"), _staff("methodist2"), _staff("methodist3")]
    subjects = {s.name: s.id for s in db.session.execute(select(Subject)).scalars()}
    bank = materials.experience_bank()
    existing = set(db.session.execute(select(Material.title)).scalars())
    created = 0
    base = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    for n, item in enumerate(demo_files.DEMO_MATERIALS):
        if item.title in existing:
            continue
        by_teacher = n >= len(demo_files.DEMO_MATERIALS) - 4 or item.material_type == "experience"
        author = teachers[(n * 3) % len(teachers)] if by_teacher else methodists[n % 3]
        pending = n >= len(demo_files.DEMO_MATERIALS) - 4
        data = materials.MaterialData(
            title=item.title,
            material_type=item.material_type,
            annotation=item.annotation,
            subject_ids=[subjects[name] for name in item.subjects if name in subjects],
            levels=list(item.levels),
            keywords=", ".join(item.keywords),
            authors=item.authors,
            organization_id=author.organization_id,
            year=item.year,
            usage_terms="Свободное использование в образовательных целях с указанием автора",
            collection_ids=[bank.id] if bank is not None and by_teacher else [],
        )
        upload = materials.upload_from_bytes(demo_files.render(item), item.file_name)
        when = base - timedelta(days=37 * n + (n * 7) % 11)
        if pending:
            material = materials.create_material(
                data, [upload], author, action="submit", created_at=when
            )
            if n == len(demo_files.DEMO_MATERIALS) - 1:
                materials.change_status(
                    material,
                    methodists[0],
                    "return",
                    "Добавьте, пожалуйста, список литературы и уточните планируемые результаты.",
                )
        else:
            material = materials.create_material(
                data, [upload], methodists[n % 3], action="publish", created_at=when
            )
            material.uploaded_by = author
            material.published_at = when + timedelta(days=2)
            db.session.commit()
        created += 1
    return f"Материалов в банке: добавлено {created}."


COURSES = [
    {
        "title": "Формирующее оценивание на уроке: приёмы и инструменты",
        "annotation": "Практический курс для учителей основной и средней школы: как видеть продвижение каждого обучающегося и давать полезную обратную связь.",
        "goals": "Освоить приёмы формирующего оценивания, критериальные листы и самооценку обучающихся в соответствии с ФГОС.",
        "hours": 36,
        "document_type": "qualification",
        "modules": [
            (
                "Зачем оценивать иначе",
                "opened",
                "<h2>Оценивание для обучения</h2><p>Формирующее оценивание помогает учителю и ученику увидеть, что уже получилось и что делать дальше.</p><ul><li>критерии успеха;</li><li>обратная связь;</li><li>самооценка и взаимооценка.</li></ul>",
            ),
            (
                "Критерии успеха и листы самооценки",
                "studied",
                "<h2>Критерии успеха</h2><p>Сформулируйте критерии вместе с классом и проверьте их на образцах работ.</p><table><thead><tr><th>Критерий</th><th>Пример</th></tr></thead><tbody><tr><td>Понятен ученику</td><td>«Я могу объяснить, почему…»</td></tr></tbody></table>",
            ),
            ("Итоговый тест", "test", "<p>Ответьте на вопросы. Проходной балл — 70 %.</p>"),
        ],
        "questions": [
            (
                "Что главное в формирующем оценивании?",
                False,
                [
                    ("Обратная связь, помогающая учиться дальше", True),
                    ("Итоговая отметка за четверть", False),
                    ("Рейтинг класса", False),
                ],
            ),
            (
                "Какие приёмы относятся к формирующему оцениванию?",
                True,
                [
                    ("Лист самооценки", True),
                    ("Взаимооценка по критериям", True),
                    ("Отметка без комментария", False),
                ],
            ),
            (
                "Когда формулируются критерии успеха?",
                False,
                [("До начала работы", True), ("После выставления отметок", False)],
            ),
        ],
    },
    {
        "title": "Функциональная грамотность: читательская грамотность в 5–9 классах",
        "annotation": "Семинар-практикум о заданиях на понимание текста в формате PISA и их месте на уроках разных предметов.",
        "goals": "Научиться составлять задания на поиск, интерпретацию и оценку информации.",
        "hours": 16,
        "document_type": "participation",
        "modules": [
            (
                "Что такое читательская грамотность",
                "opened",
                "<p>Читательская грамотность — способность понимать, использовать и оценивать тексты.</p>",
            ),
            (
                "Разбор заданий",
                "studied",
                "<h3>Три группы умений</h3><ol><li>найти и извлечь информацию;</li><li>интегрировать и интерпретировать;</li><li>осмыслить и оценить.</li></ol>",
            ),
        ],
        "questions": [],
    },
    {
        "title": "Цифровые образовательные ресурсы в работе учителя начальных классов",
        "annotation": "Дистанционный курс о подборе и использовании цифровых ресурсов на уроках в 1–4 классах.",
        "goals": "Познакомиться с ресурсами Российской электронной школы и научиться встраивать их в урок.",
        "hours": 24,
        "document_type": "participation",
        "modules": [
            (
                "Обзор ресурсов",
                "opened",
                "<p>Российская электронная школа, «МЭШ», интерактивные тренажёры.</p>",
            ),
            (
                "Урок с цифровыми ресурсами",
                "studied",
                "<p>Спланируйте урок, в котором цифровой ресурс решает конкретную задачу.</p>",
            ),
            ("Рефлексия", "opened", "<p>Поделитесь опытом на заседании РМО.</p>"),
        ],
        "questions": [],
    },
]


def seed_courses(teachers: list[User]) -> str:
    """Three published courses with enrolments and realistic progress at past dates."""
    from datetime import UTC, datetime, timedelta

    from app.courses import authoring as courses
    from app.courses import learning
    from app.courses.models import Course, Enrollment, ModuleProgress
    from app.materials.access_events import AccessEvent, AccessKind

    methodist = _staff("methodist")
    existing = set(db.session.execute(select(Course.title)).scalars())
    added = 0
    rng = random.Random(7)  # noqa: S311 - deterministic demo data
    base = datetime(2026, 10, 20, 7, 0, tzinfo=UTC)
    for n, spec in enumerate(COURSES):
        if spec["title"] in existing:
            continue
        course = courses.create_course(
            courses.CourseData(
                title=spec["title"], annotation=spec["annotation"], goals=spec["goals"],
                hours=spec["hours"], document_type=spec["document_type"],
            ),
            methodist,
        )  # fmt: skip
        for title, criterion, html in spec["modules"]:
            module = courses.add_module(
                course,
                courses.ModuleData(title=title, criterion=criterion, content_html=html),
                methodist,
            )
            if criterion == "test":
                for text, multiple, options in spec["questions"]:
                    courses.add_question(
                        module, courses.QuestionData(text, options, multiple), methodist
                    )
        courses.set_status(course, "published", methodist)
        db.session.refresh(course)
        cohort = teachers[n * 7 : n * 7 + 18]
        learning.enrol_users(course, [t.id for t in cohort], methodist)
        started = base - timedelta(days=120 - n * 25)
        for k, teacher in enumerate(cohort):
            enrolled_at = started + timedelta(hours=k * 5)
            db.session.execute(
                Enrollment.__table__.update()
                .where(Enrollment.course_id == course.id, Enrollment.user_id == teacher.id)
                .values(enrolled_at=enrolled_at)
            )
            # A third finished, a third is midway, the rest have not started.
            reached = len(course.modules) if k % 3 == 0 else (1 if k % 3 == 1 else 0)
            moment = enrolled_at
            for module in course.modules[:reached]:
                moment += timedelta(days=rng.randint(1, 6), minutes=rng.randint(0, 600))
                db.session.add(
                    AccessEvent(kind=AccessKind.MODULE_OPEN, user_id=teacher.id,
                                course_id=course.id, module_id=module.id, at=moment)
                )  # fmt: skip
                seconds = rng.randint(300, 2400)
                db.session.add(
                    AccessEvent(kind=AccessKind.MODULE_TIME, user_id=teacher.id,
                                course_id=course.id, module_id=module.id, seconds=seconds,
                                at=moment + timedelta(seconds=seconds))
                )  # fmt: skip
                db.session.add(
                    ModuleProgress(user_id=teacher.id, module_id=module.id, course_id=course.id,
                                   first_access_at=moment, last_access_at=moment, visits=1,
                                   seconds=seconds, completed_at=moment + timedelta(seconds=seconds))
                )  # fmt: skip
            if reached == len(course.modules):
                learning.complete_course(teacher.id, course.id, moment + timedelta(minutes=40))
            db.session.commit()
        added += 1
    return f"Курсов добавлено: {added}."


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
    methodist = _staff("methodist2")
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
