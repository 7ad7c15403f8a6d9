from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = StringField(_l("Электронная почта"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Пароль"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Запомнить меня"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Текущий пароль"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("Новый пароль"), validators=[DataRequired(), Length(min=8, max=200)]
    )
    confirm = PasswordField(
        _l("Новый пароль ещё раз"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("Пароли не совпадают."))],
    )
