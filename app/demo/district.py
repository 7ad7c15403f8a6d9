"""The demo district: organizations, subjects, people and methodical associations.

The names and tables are data (``district.toml``); the rules that make 40
varied, real-looking teachers from them are here.
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

from sqlalchemy import select

from app.accounts.models import (
    MethodicalAssociation,
    Organization,
    OrganizationKind,
    Role,
    Subject,
    User,
)
from app.demo.report import DEMO_PASSWORD, SeedReport
from app.extensions import db

with Path(__file__).with_name("district.toml").open("rb") as _fh:
    _DATA = tomllib.load(_fh)

MUNICIPALITY: str = _DATA["municipality"]
EMAIL_DOMAIN: str = _DATA["email_domain"]
SUBJECTS: list[str] = _DATA["subjects"]
ORGANIZATIONS = [
    (org["full_name"], org["short_name"], OrganizationKind(org["kind"]))
    for org in _DATA["organizations"]
]
ASSOCIATIONS = [(a["name"], a["subject"]) for a in _DATA["associations"]]
MALE_FIRST: list[str] = _DATA["names"]["male_first"]
FEMALE_FIRST: list[str] = _DATA["names"]["female_first"]
PATRONYMIC_BASES: list[str] = _DATA["names"]["patronymic_bases"]
LAST_NAMES: list[str] = _DATA["names"]["last_names"]
STAFF = [
    (Role(s["role"]), s["email_local"], tuple(s["name"]), s["position"], None)
    for s in _DATA["staff"]
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


def seed_district(report: SeedReport) -> list[User]:
    """Organizations, subjects, staff, 40 teachers and the methodical associations."""
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
    return teachers


def staff_member(email_local: str) -> User:
    return db.session.execute(
        select(User).where(User.email == f"{email_local}@{EMAIL_DOMAIN}")
    ).scalar_one()
