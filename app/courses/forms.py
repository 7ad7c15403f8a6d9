"""Forms of the methodists' course pages: they check shape; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.courses.models import CourseFormat, Criterion, DocumentType
from app.materials.forms import CheckboxListField

MAX_OPTIONS = 6


# --- course and module -----------------------------------------------------------------------


class CourseForm(FlaskForm):
    title = StringField(_l("Название курса"), validators=[DataRequired(), Length(max=500)])
    annotation = TextAreaField(
        _l("Аннотация"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 4}
    )
    goals = TextAreaField(
        _l("Цели и планируемые результаты"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 4},
    )
    hours = IntegerField(
        _l("Объём, академических часов"),
        validators=[InputRequired(), NumberRange(min=0, max=2000)],
        default=0,
        render_kw={"min": 0, "max": 2000},
    )
    format = SelectField(_l("Форма обучения"), default=CourseFormat.DISTANCE)
    document_type = SelectField(_l("Документ по окончании"), default=DocumentType.PARTICIPATION)
    subject_ids = SelectMultipleField(_l("Предметы"), coerce=int, render_kw={"size": 6})
    levels = CheckboxListField(_l("Уровни образования"))
    positions = StringField(
        _l("Категории слушателей (должности)"), validators=[Optional(), Length(max=500)]
    )
    enrol_opens_on = DateField(_l("Запись открывается"), validators=[Optional()])
    enrol_closes_on = DateField(_l("Запись закрывается"), validators=[Optional()])
    starts_on = DateField(_l("Начало обучения"), validators=[Optional()])
    ends_on = DateField(_l("Окончание обучения"), validators=[Optional()])
    sequential = BooleanField(_l("Модули открываются строго по порядку"))
    author_ids = SelectMultipleField(_l("Авторы курса"), coerce=int, render_kw={"size": 5})


class ModuleForm(FlaskForm):
    title = StringField(_l("Название модуля"), validators=[DataRequired(), Length(max=500)])
    content_html = TextAreaField(
        _l("Содержание (HTML)"),
        validators=[Optional(), Length(max=200_000)],
        render_kw={"rows": 14, "spellcheck": "false"},
    )
    video_url = StringField(
        _l("Ссылка на видео"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"type": "url", "placeholder": "https://"},
    )
    hours = IntegerField(
        _l("Часов на модуль"),
        validators=[Optional(), NumberRange(min=0, max=2000)],
        render_kw={"min": 0},
    )
    criterion = RadioField(_l("Когда модуль считается пройденным"), default=Criterion.OPENED)
    required = BooleanField(_l("Обязательный модуль"), default=True)
    pass_mark = IntegerField(
        _l("Проходной балл, %"),
        validators=[InputRequired(), NumberRange(min=1, max=100)],
        default=70,
        render_kw={"min": 1, "max": 100},
    )
    max_attempts = IntegerField(
        _l("Число попыток (0 — без ограничений)"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        default=3,
        render_kw={"min": 0, "max": 100},
    )
    shuffle = BooleanField(_l("Перемешивать вопросы и варианты ответа"), default=True)
    material_ids = SelectMultipleField(_l("Материалы из банка"), coerce=int, render_kw={"size": 8})


class ModuleFileForm(FlaskForm):
    file = FileField(_l("Файл"), validators=[FileRequired()])


class OptionForm(Form):
    text = StringField(_l("Вариант"), validators=[Optional(), Length(max=2000)])
    correct = BooleanField(_l("верный"))


class QuestionForm(FlaskForm):
    text = TextAreaField(
        _l("Текст вопроса"),
        validators=[DataRequired(), Length(max=5000)],
        render_kw={"rows": 2},
    )
    multiple = BooleanField(_l("Несколько верных ответов"))
    options = FieldList(FormField(OptionForm), min_entries=MAX_OPTIONS, max_entries=MAX_OPTIONS)


# --- enrolment --------------------------------------------------------------------------------


class EnrolTeachersForm(FlaskForm):
    # Any id may be posted: the service enrols only active teachers and counts them.
    user_ids = SelectMultipleField(
        _l("Педагоги"),
        coerce=int,
        validators=[DataRequired()],
        validate_choice=False,
        render_kw={"size": 12},
    )


class EnrolOrganizationForm(FlaskForm):
    organization_id = SelectField(_l("Организация"), coerce=int, validators=[DataRequired()])


class EnrolAssociationForm(FlaskForm):
    association_id = SelectField(
        _l("Методическое объединение"), coerce=int, validators=[DataRequired()]
    )


# --- documents ---------------------------------------------------------------------------------


class RevokeForm(FlaskForm):
    reason = StringField(_l("Причина отзыва"), validators=[Optional(), Length(max=1000)])
    next = HiddenField()
