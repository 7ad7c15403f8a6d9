from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


def _int_or_none(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class UserForm(FlaskForm):
    last_name = StringField(_l("Фамилия"), validators=[DataRequired(), Length(max=100)])
    first_name = StringField(_l("Имя"), validators=[DataRequired(), Length(max=100)])
    patronymic = StringField(_l("Отчество"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("Электронная почта"), validators=[DataRequired(), Length(max=254)])
    position = StringField(_l("Должность"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Роль"), validators=[DataRequired()])
    organization_id = SelectField(_l("Организация"), coerce=_int_or_none, validate_choice=True)
    subject_ids = SelectMultipleField(_l("Предметы"), coerce=int)


class NewUserForm(UserForm):
    password = PasswordField(_l("Пароль"), validators=[DataRequired(), Length(min=8, max=200)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Новый пароль"), validators=[DataRequired(), Length(min=8, max=200)]
    )


class OrganizationForm(FlaskForm):
    full_name = StringField(_l("Полное название"), validators=[DataRequired(), Length(max=500)])
    short_name = StringField(_l("Краткое название"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Тип"), validators=[DataRequired()])
    municipality = StringField(_l("Муниципалитет"), validators=[Optional(), Length(max=200)])


class SubjectForm(FlaskForm):
    name = StringField(_l("Название"), validators=[DataRequired(), Length(max=200)])


class AssociationForm(FlaskForm):
    name = StringField(_l("Название"), validators=[DataRequired(), Length(max=300)])
    subject_id = SelectField(_l("Предмет"), coerce=_int_or_none)
    leader_id = SelectField(_l("Руководитель"), coerce=_int_or_none)
    member_ids = SelectMultipleField(_l("Участники"), coerce=int)
    description = TextAreaField(_l("Описание"), validators=[Optional(), Length(max=5000)])


class ImportForm(FlaskForm):
    file = FileField(_l("Файл CSV или XLSX"), validators=[FileRequired()])
