from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

SCAN_ACCEPT = ".pdf,.jpg,.jpeg,.png"


class TrainingForm(FlaskForm):
    provider = StringField(
        _l("Организация, проводившая обучение"),
        validators=[
            InputRequired(_l("Укажите организацию, в которой проходило обучение.")),
            Length(max=500),
        ],
    )
    programme = TextAreaField(
        _l("Название программы"),
        validators=[InputRequired(_l("Укажите название программы обучения.")), Length(max=1000)],
        render_kw={"rows": 2},
    )
    hours = IntegerField(
        _l("Объём, академических часов"),
        validators=[InputRequired(_l("Укажите объём обучения в академических часах."))],
        render_kw={"min": 1, "max": 2000, "inputmode": "numeric"},
    )
    starts_on = DateField(_l("Дата начала"), validators=[Optional()])
    ends_on = DateField(
        _l("Дата окончания"),
        validators=[InputRequired(_l("Укажите дату окончания обучения."))],
    )
    document_type = StringField(
        _l("Вид документа"),
        validators=[Optional(), Length(max=200)],
        render_kw={"list": "document-types"},
    )
    document_number = StringField(_l("Номер документа"), validators=[Optional(), Length(max=100)])
    scan = FileField(_l("Скан документа"), render_kw={"accept": SCAN_ACCEPT})


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        _l("Что исправить"),
        validators=[InputRequired(_l("Напишите педагогу, что нужно исправить.")), Length(max=5000)],
        render_kw={"rows": 2},
    )


class AttestationForm(FlaskForm):
    category = SelectField(_l("Квалификационная категория"))
    granted_on = DateField(_l("Дата установления"), validators=[Optional()])
    order_number = StringField(_l("Номер приказа"), validators=[Optional(), Length(max=100)])


class ImportForm(FlaskForm):
    file = FileField(_l("Файл CSV или XLSX"), validators=[FileRequired()])
