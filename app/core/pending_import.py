"""An uploaded list waiting between its preview and the confirmed import.

The file is kept under ``instance/imports`` with a random name; the session
holds only that name and the uploader's id, so another user or another browser
can never confirm it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import current_app, session
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import ValidationError
from app.core.table_files import SUPPORTED_EXTENSIONS


class PendingImport:
    def __init__(self, name: str) -> None:
        self.name = name  # the session key and the file name prefix

    @staticmethod
    def _folder() -> Path:
        folder = Path(current_app.instance_path) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def path(self) -> Path | None:
        pending = session.get(self.name)
        if not isinstance(pending, dict) or pending.get("user") != current_user.id:
            return None
        token, suffix = str(pending.get("token", "")), str(pending.get("suffix", ""))
        if not token.isalnum() or suffix not in SUPPORTED_EXTENSIONS:
            return None
        path = self._folder() / f"{self.name}-{token}{suffix}"
        return path if path.exists() else None

    def discard(self) -> None:
        path = self.path()
        if path is not None:
            path.unlink(missing_ok=True)
        session.pop(self.name, None)

    def save(self, upload: Any) -> Path:
        """Keep the upload (copied in chunks, size-limited); the previous one is dropped."""
        suffix = Path(upload.filename or "").suffix.lower()
        if suffix not in SUPPORTED_EXTENSIONS:
            raise ValidationError(_("Поддерживаются только файлы CSV и XLSX."), "file")
        self.discard()
        token = secrets.token_hex(16)
        path = self._folder() / f"{self.name}-{token}{suffix}"
        limit = current_app.config["IMPORT_MAX_BYTES"]
        size = 0
        with path.open("wb") as out:
            while chunk := upload.stream.read(256 * 1024):
                size += len(chunk)
                if size > limit:
                    break
                out.write(chunk)
        if size > limit:
            path.unlink(missing_ok=True)
            raise ValidationError(_("Файл больше %(mb)d МБ.", mb=limit // (1024 * 1024)), "file")
        session[self.name] = {"token": token, "suffix": suffix, "user": current_user.id}
        return path
