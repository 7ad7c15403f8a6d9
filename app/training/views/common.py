"""What the training views share: the signed-in user, the record form's values, its scan."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from app.materials.services import Upload
from app.training.forms import TrainingForm
from app.training.validation import TrainingData

PER_PAGE = 30


def user() -> Any:
    return current_user._get_current_object()


def training_data(form: TrainingForm) -> TrainingData:
    return TrainingData(
        provider=form.provider.data or "",
        programme=form.programme.data or "",
        hours=form.hours.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        document_type=form.document_type.data or "",
        document_number=form.document_number.data or "",
    )


def uploaded_scan() -> Upload | None:
    upload = request.files.get("scan")
    if upload is None or not upload.filename:
        return None
    return Upload(upload.stream, upload.filename)
