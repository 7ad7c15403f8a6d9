"""Authoring courses: the course, its modules, linked materials, files and tests.

Each action is one unit of work and checks ``permissions.can_edit_course`` (or
``can_create_course``) first; a refused action changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import permissions
from app.accounts.models import Subject, User
from app.core import rich_text
from app.core.errors import NotFound, ValidationError
from app.core.models import utcnow
from app.core.unit_of_work import check, unit_of_work
from app.courses.models import (
    AnswerOption,
    Course,
    CourseFormat,
    CourseStatus,
    Criterion,
    DocumentType,
    Enrollment,
    Module,
    ModuleFile,
    Question,
)
from app.extensions import db
from app.materials import services as materials_service
from app.materials.models import EducationLevel, Material, MaterialStatus

MAX_HOURS = 2000


@dataclass
class CourseData:
    title: str
    annotation: str = ""
    goals: str = ""
    hours: int = 0
    format: str = CourseFormat.DISTANCE
    document_type: str = DocumentType.PARTICIPATION
    subject_ids: Sequence[int] = ()
    levels: Sequence[str] = ()
    positions: str = ""
    enrol_opens_on: date | None = None
    enrol_closes_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    sequential: bool = False
    author_ids: Sequence[int] = ()


@dataclass
class ModuleData:
    title: str
    content_html: str = ""
    video_url: str = ""
    hours: int | None = None
    criterion: str = Criterion.OPENED
    required: bool = True
    pass_mark: int = 70
    max_attempts: int = 3
    shuffle: bool = True
    material_ids: Sequence[int] = ()


@dataclass
class QuestionData:
    text: str
    options: list[tuple[str, bool]] = field(default_factory=list)
    multiple: bool = False


def _require_author(user: User, course: Course | None = None) -> None:
    allowed = (
        permissions.can_create_course(user)
        if course is None
        else permissions.can_edit_course(user, course)
    )
    check(allowed, _("Недостаточно прав для работы с курсом."))


def _check_dates(data: CourseData) -> None:
    fields = {
        "enrol_opens_on": data.enrol_opens_on,
        "enrol_closes_on": data.enrol_closes_on,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
    }
    for name, value in fields.items():
        if value and not 2000 <= value.year <= 2100:
            raise ValidationError(_("Дата вне допустимого диапазона."), name)
    if data.enrol_opens_on and data.enrol_closes_on and data.enrol_closes_on < data.enrol_opens_on:
        raise ValidationError(
            _("Запись не может закрываться раньше, чем открывается."), "enrol_closes_on"
        )
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise ValidationError(_("Курс не может заканчиваться раньше, чем начинается."), "ends_on")


def _apply_course(course: Course, data: CourseData, actor: User) -> None:
    title = " ".join((data.title or "").split())[:500]
    if not title:
        raise ValidationError(_("Укажите название курса."), "title")
    if not 0 <= int(data.hours or 0) <= MAX_HOURS:
        raise ValidationError(_("Объём — от 0 до %(n)d академических часов.", n=MAX_HOURS), "hours")
    if data.format not in set(CourseFormat):
        raise ValidationError(_("Неизвестная форма обучения."), "format")
    if data.document_type not in set(DocumentType):
        raise ValidationError(_("Неизвестный вид документа."), "document_type")
    if data.document_type == DocumentType.QUALIFICATION and not permissions.organization_licensed():
        raise ValidationError(
            _("Удостоверение о повышении квалификации выдаёт только организация с лицензией."),
            "document_type",
        )
    if any(level not in set(EducationLevel) for level in data.levels):
        raise ValidationError(_("Неизвестный уровень образования."), "levels")
    _check_dates(data)
    subjects = list(
        db.session.execute(select(Subject).where(Subject.id.in_(list(data.subject_ids)))).scalars()
    )
    authors = list(
        db.session.execute(select(User).where(User.id.in_(list(data.author_ids)))).scalars()
    )
    if any(not permissions.is_course_staff(a) for a in authors):
        raise ValidationError(_("Авторами курса могут быть только методисты."), "author_ids")
    course.title = title
    course.annotation = (data.annotation or "").strip()[:20000]
    course.goals = (data.goals or "").strip()[:20000]
    course.hours = int(data.hours or 0)
    course.format = data.format
    course.document_type = data.document_type
    course.subjects = subjects
    course.audience_levels = list(dict.fromkeys(data.levels))
    course.audience_positions = " ".join((data.positions or "").split())[:500]
    course.enrol_opens_on = data.enrol_opens_on
    course.enrol_closes_on = data.enrol_closes_on
    course.starts_on = data.starts_on
    course.ends_on = data.ends_on
    course.sequential = bool(data.sequential)
    course.authors = authors or ([actor] if permissions.is_course_staff(actor) else [])


@unit_of_work()
def create_course(data: CourseData, actor: User) -> Course:
    _require_author(actor)
    course = Course(created_by_id=actor.id, status=CourseStatus.DRAFT)
    _apply_course(course, data, actor)
    db.session.add(course)
    return course


@unit_of_work()
def update_course(course: Course, data: CourseData, actor: User) -> Course:
    _require_author(actor, course)
    _apply_course(course, data, actor)
    return course


def publication_problems(course: Course) -> list[str]:
    problems = []
    if course.hours <= 0:
        problems.append(_("не указан объём в академических часах"))
    if not course.modules:
        problems.append(_("в курсе нет модулей"))
    elif not course.required_modules:
        problems.append(_("нет ни одного обязательного модуля"))
    for module in course.modules:
        if module.criterion == Criterion.TEST:
            if not module.questions:
                problems.append(_("в тесте модуля «%(m)s» нет вопросов", m=module.title))
            for question in module.questions:
                if not any(o.correct for o in question.options):
                    problems.append(_("у вопроса «%(q)s» нет верного ответа", q=question.text[:60]))
    return problems


@unit_of_work()
def set_status(course: Course, status: str, actor: User) -> Course:
    _require_author(actor, course)
    if status not in set(CourseStatus):
        raise ValidationError(_("Неизвестный статус курса."))
    if status == CourseStatus.PUBLISHED:
        problems = publication_problems(course)
        if problems:
            raise ValidationError(_("Курс нельзя опубликовать: %(p)s.", p="; ".join(problems)))
        course.published_at = course.published_at or utcnow()
    if status == CourseStatus.DRAFT and course.status != CourseStatus.DRAFT:
        enrolled = db.session.execute(
            select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.course_id == course.id, Enrollment.active.is_(True))
        ).scalar_one()
        if enrolled:
            raise ValidationError(
                _(
                    "На курс записаны педагоги (%(n)d): вернуть его в черновики нельзя, "
                    "иначе они потеряют доступ к модулям. Перенесите курс в архив.",
                    n=enrolled,
                )
            )
    course.status = status
    return course


@unit_of_work()
def copy_course(course: Course, actor: User, title: str | None = None) -> Course:
    """A new draft with the same modules, materials, files and questions: to run it again."""
    _require_author(actor)
    copy = Course(
        title=(title or _("%(t)s (копия)", t=course.title))[:500],
        annotation=course.annotation,
        goals=course.goals,
        audience_levels=list(course.audience_levels or []),
        audience_positions=course.audience_positions,
        hours=course.hours,
        format=course.format,
        document_type=course.document_type,
        sequential=course.sequential,
        status=CourseStatus.DRAFT,
        copied_from_id=course.id,
        created_by_id=actor.id,
        subjects=list(course.subjects),
        authors=list(course.authors),
    )
    for module in course.modules:
        new = Module(
            position=module.position,
            title=module.title,
            content_html=module.content_html,
            video_url=module.video_url,
            hours=module.hours,
            criterion=module.criterion,
            required=module.required,
            pass_mark=module.pass_mark,
            max_attempts=module.max_attempts,
            shuffle=module.shuffle,
            materials=list(module.materials),
        )
        for file in module.files:
            new.files.append(
                ModuleFile(
                    storage_key=file.storage_key,
                    sha256=file.sha256,
                    size=file.size,
                    kind=file.kind,
                    content_type=file.content_type,
                    original_name=file.original_name,
                )
            )
        for question in module.questions:
            new.questions.append(
                Question(
                    position=question.position,
                    text=question.text,
                    multiple=question.multiple,
                    options=[
                        AnswerOption(position=o.position, text=o.text, correct=o.correct)
                        for o in question.options
                    ],
                )
            )
        copy.modules.append(new)
    db.session.add(copy)
    return copy


def _apply_module(module: Module, data: ModuleData) -> None:
    title = " ".join((data.title or "").split())[:500]
    if not title:
        raise ValidationError(_("Укажите название модуля."), "title")
    if data.criterion not in set(Criterion):
        raise ValidationError(_("Неизвестный критерий завершения."), "criterion")
    if data.hours is not None and not 0 <= data.hours <= MAX_HOURS:
        raise ValidationError(_("Недопустимое число часов."), "hours")
    if not 1 <= int(data.pass_mark) <= 100:
        raise ValidationError(_("Проходной балл — от 1 до 100 %."), "pass_mark")
    if not 0 <= int(data.max_attempts) <= 100:
        raise ValidationError(_("Число попыток — от 0 (без ограничений) до 100."), "max_attempts")
    try:
        video = rich_text.safe_video_url(data.video_url)
    except ValueError as exc:
        raise ValidationError(
            _("Ссылка на видео должна начинаться с http:// или https://."), "video_url"
        ) from exc
    material_ids = list(dict.fromkeys(data.material_ids))
    linked = list(
        db.session.execute(
            select(Material).where(
                Material.id.in_(material_ids), Material.status == MaterialStatus.PUBLISHED
            )
        ).scalars()
    )
    if len(linked) != len(material_ids):
        raise ValidationError(_("Можно привязать только опубликованные материалы."), "material_ids")
    module.title = title
    module.content_html = rich_text.sanitize(data.content_html)
    module.video_url = video
    module.hours = data.hours
    module.criterion = data.criterion
    module.required = bool(data.required)
    module.pass_mark = int(data.pass_mark)
    module.max_attempts = int(data.max_attempts)
    module.shuffle = bool(data.shuffle)
    module.materials = linked


@unit_of_work()
def add_module(course: Course, data: ModuleData, actor: User) -> Module:
    _require_author(actor, course)
    module = Module(course_id=course.id)  # not course=: that would autoflush a half-made row
    _apply_module(module, data)
    last = db.session.execute(
        select(func.max(Module.position)).where(Module.course_id == course.id)
    ).scalar()
    module.position = (last or 0) + 1
    db.session.add(module)
    db.session.flush()
    # The course's module list was loaded before the new row existed.
    db.session.expire(course, ["modules"])
    return module


@unit_of_work()
def update_module(module: Module, data: ModuleData, actor: User) -> Module:
    _require_author(actor, module.course)
    _apply_module(module, data)
    return module


@unit_of_work()
def delete_module(module: Module, actor: User) -> None:
    course = module.course
    _require_author(actor, course)
    if course.status != CourseStatus.DRAFT:
        raise ValidationError(_("Удалять модули можно только у курса-черновика."))
    db.session.delete(module)
    db.session.flush()
    for position, remaining in enumerate(sorted(course.modules, key=lambda m: m.position), 1):
        remaining.position = position


@unit_of_work()
def move_module(module: Module, direction: int, actor: User) -> None:
    course = module.course
    _require_author(actor, course)
    ordered = sorted(course.modules, key=lambda m: m.position)
    index = ordered.index(module)
    target = index + (1 if direction > 0 else -1)
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        for position, item in enumerate(ordered, 1):
            item.position = position


@unit_of_work()
def add_module_file(module: Module, upload: materials_service.Upload, actor: User) -> ModuleFile:
    _require_author(actor, module.course)
    (stored,) = materials_service.store_uploads([upload])
    row = ModuleFile(
        module_id=module.id,
        storage_key=stored.obj.key,
        sha256=stored.obj.sha256,
        size=stored.obj.size,
        kind=stored.kind.code,
        content_type=stored.kind.mime,
        original_name=stored.name,
    )
    db.session.add(row)
    return row


@unit_of_work()
def remove_module_file(module: Module, file: ModuleFile, actor: User) -> None:
    _require_author(actor, module.course)
    if file.module_id != module.id:
        raise NotFound()
    db.session.delete(file)


@unit_of_work()
def add_question(module: Module, data: QuestionData, actor: User) -> Question:
    _require_author(actor, module.course)
    text = (data.text or "").strip()[:5000]
    options = [(t.strip()[:2000], bool(c)) for t, c in data.options if t and t.strip()]
    if not text:
        raise ValidationError(_("Введите текст вопроса."), "text")
    if len(options) < 2:
        raise ValidationError(_("Нужно не меньше двух вариантов ответа."), "options")
    correct = sum(1 for _t, c in options if c)
    if correct == 0:
        raise ValidationError(_("Отметьте верный ответ."), "options")
    if not data.multiple and correct > 1:
        raise ValidationError(
            _("В вопросе с одним ответом верным может быть только один вариант."), "options"
        )
    question = Question(
        module_id=module.id,
        position=len(module.questions) + 1,
        text=text,
        multiple=bool(data.multiple),
        options=[
            AnswerOption(position=n, text=t, correct=c) for n, (t, c) in enumerate(options, 1)
        ],
    )
    db.session.add(question)
    return question


@unit_of_work()
def delete_question(module: Module, question: Question, actor: User) -> None:
    _require_author(actor, module.course)
    if question.module_id != module.id:
        raise NotFound()
    db.session.delete(question)
