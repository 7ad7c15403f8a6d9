"""Test data built through the services, as the application builds it."""

from __future__ import annotations

import itertools

from flask.testing import FlaskClient

from app.accounts import directory
from app.accounts import services as accounts
from app.accounts.models import Organization, Role, Subject, User

PASSWORD = "secret-pass-1"
_counter = itertools.count(1)


def make_org(short_name: str | None = None, **kwargs: str) -> Organization:
    n = next(_counter)
    short = short_name or f"МБОУ СОШ № {n}"
    return directory.save_organization(
        directory.OrganizationData(
            full_name=kwargs.get("full_name", f"Муниципальное учреждение «{short}»"),
            short_name=short,
            kind=kwargs.get("kind", "school"),
            municipality=kwargs.get("municipality", "Заречный округ"),
        )
    )


def make_subject(name: str | None = None) -> Subject:
    return directory.save_subject(name or f"Предмет {next(_counter)}")


def make_user(
    role: str = Role.TEACHER,
    *,
    email: str | None = None,
    name: tuple[str, str, str] = ("Иванова", "Анна", "Петровна"),
    organization: Organization | None = None,
    password: str = PASSWORD,
    subjects: list[Subject] | None = None,
) -> User:
    n = next(_counter)
    last, first, patronymic = name
    return accounts.create_user(
        accounts.UserData(
            email=email or f"user{n}@school.ru",
            last_name=last,
            first_name=first,
            patronymic=patronymic,
            position="учитель",
            role=role,
            organization_id=organization.id if organization else None,
            subject_ids=[s.id for s in subjects or []],
        ),
        password,
    )


def login(client: FlaskClient, user: User, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login", data={"email": user.email, "password": password, **extra}, follow_redirects=False
    )


def post_multipart(client: FlaskClient, url: str, fields: dict[str, object], **kwargs):  # type: ignore[no-untyped-def]
    """POST a multipart body built in memory.

    Werkzeug's test client spools large bodies to a temporary file that it never
    closes (a ResourceWarning under filterwarnings=error); encoding up front avoids it.
    """
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart(fields)
    return client.post(
        url,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **kwargs,
    )


def docx_bytes(text: str = "Методические рекомендации по развитию речи детей") -> bytes:
    import io

    from docx import Document

    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(text: str = "Hello") -> bytes:
    """A small valid PDF (ASCII text is enough where only the format matters)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def make_material(
    actor,  # type: ignore[no-untyped-def]
    *,
    title: str = "Конспект урока математики",
    action: str = "publish",
    content: bytes | None = None,
    filename: str = "конспект.docx",
    **data,
):
    from app.materials import services as materials

    return materials.create_material(
        materials.MaterialData(
            title=title, material_type=data.pop("material_type", "lesson_plan"), **data
        ),
        [materials.upload_from_bytes(content or docx_bytes(title), filename)],
        actor,
        action=action,
    )


def make_course(
    author,  # type: ignore[no-untyped-def]
    *,
    title: str = "Формирующее оценивание на уроке",
    hours: int = 36,
    modules: tuple[str, ...] = ("opened", "studied"),
    publish: bool = True,
    sequential: bool = False,
    document_type: str = "participation",
    questions: int = 2,
):
    """A course of modules with the given completion criteria (a "test" module gets questions)."""
    from app.courses import authoring as courses

    course = courses.create_course(
        courses.CourseData(
            title=title, hours=hours, sequential=sequential, document_type=document_type
        ),
        author,
    )
    for n, criterion in enumerate(modules, 1):
        module = courses.add_module(
            course,
            courses.ModuleData(
                title=f"Модуль {n}", criterion=criterion, content_html=f"<p>Содержание {n}</p>"
            ),
            author,
        )
        if criterion == "test":
            for q in range(questions):
                courses.add_question(
                    module,
                    courses.QuestionData(
                        text=f"Вопрос {q + 1}",
                        options=[("Верно", True), ("Неверно", False), ("Мимо", False)],
                    ),
                    author,
                )
    if publish:
        courses.set_status(course, "published", author)
    return course
