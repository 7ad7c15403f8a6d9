from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.accounts.forms_admin import _int_or_none


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class MaterialForm(FlaskForm):
    title = StringField(_l("Название"), validators=[DataRequired(), Length(max=500)])
    material_type = SelectField(_l("Вид материала"), validators=[DataRequired()])
    annotation = TextAreaField(
        _l("Аннотация"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 5}
    )
    subject_ids = SelectMultipleField(_l("Предметы"), coerce=int, render_kw={"size": 8})
    levels = CheckboxListField(_l("Уровни образования"))
    keywords = StringField(_l("Ключевые слова"), validators=[Optional(), Length(max=1000)])
    authors = StringField(_l("Авторы"), validators=[Optional(), Length(max=1000)])
    organization_id = SelectField(_l("Организация автора"), coerce=_int_or_none)
    year = IntegerField(
        _l("Год создания"), validators=[Optional(), NumberRange(min=1950, max=2100)]
    )
    usage_terms = StringField(
        _l("Условия использования"), validators=[Optional(), Length(max=1000)]
    )
    collection_ids = SelectMultipleField(_l("Коллекции"), coerce=int, render_kw={"size": 4})


class NewMaterialForm(MaterialForm):
    files = MultipleFileField(_l("Файлы"), validators=[FileRequired()])


class FileUploadForm(FlaskForm):
    file = FileField(_l("Файл"), validators=[FileRequired()])


class StatusForm(FlaskForm):
    action = SelectField(_l("Действие"))
    comment = TextAreaField(
        _l("Комментарий"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )


class CollectionForm(FlaskForm):
    name = StringField(_l("Название"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Описание"), validators=[Optional(), Length(max=5000)])


class ZipImportForm(FlaskForm):
    file = FileField(_l("Архив ZIP с файлами"), validators=[FileRequired()])
