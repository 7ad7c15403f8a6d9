"""Importing teachers from a CSV or XLSX list: preview every row, then all or nothing."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from app import permissions
from app.accounts import directory
from app.accounts import services as accounts
from app.accounts.actors import acting_user
from app.accounts.models import Role, User
from app.core import table_files
from app.core.errors import ValidationError
from app.core.pending_import import PendingImport
from app.core.unit_of_work import check, unit_of_work
from app.extensions import db

COLUMNS = {
    "name": ("фио", "ф.и.о.", "ф. и. о.", "full name", "name"),
    "email": ("e-mail", "email", "эл. почта", "электронная почта", "почта"),
    "organization": ("организация", "оо", "образовательная организация", "organization"),
    "position": ("должность", "position"),
    "subjects": ("предметы", "предмет", "subjects"),
}
REQUIRED_COLUMNS = ("name", "email", "organization")
SUPPORTED_EXTENSIONS = table_files.SUPPORTED_EXTENSIONS
PASSWORD_ALPHABET = (
    string.ascii_letters.replace("l", "").replace("I", "").replace("O", "") + "23456789"
)


@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    organization: str
    position: str
    subjects: str
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    action: str = "create"  # create | skip | error
    # Resolved values, filled by the preview.
    parsed: dict[str, object] = field(default_factory=dict)


@dataclass
class ImportPreview(table_files.Preview):
    rows: list[ImportRow]


@dataclass
class ImportResult:
    created: list[tuple[User, str]]
    skipped: int
    errors: int


def _header_map(header: Sequence[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        key = table_files.cell(title).casefold()
        for column, names in COLUMNS.items():
            if key in names and column not in positions:
                positions[column] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        names = ", ".join(COLUMNS[c][0] for c in missing)
        raise ValidationError(
            _(
                "В первой строке файла нет обязательных столбцов: %(names)s. "
                "Ожидаются столбцы: ФИО, e-mail, организация, должность, предметы.",
                names=names,
            )
        )
    return positions


def read_rows(path: Path, max_rows: int) -> Iterator[tuple[int, dict[str, str]]]:
    return table_files.read_table(path, max_rows, _header_map)


def build_preview(path: Path, max_rows: int, actor: Any = None) -> ImportPreview:
    check(permissions.can_import_teachers(acting_user(actor)))
    organizations = directory.organization_lookup()
    subjects = directory.subject_lookup()
    seen: dict[str, int] = {}
    rows: list[ImportRow] = []
    for line, cells in read_rows(path, max_rows):
        name, email, organization, position, subject_names = (cells.get(c, "") for c in COLUMNS)
        row = ImportRow(line, name, email, organization, position, subject_names)
        try:
            row.parsed["name"] = accounts.split_full_name(name)
        except ValidationError as exc:
            row.errors.append(str(exc))
        try:
            normalized = accounts.normalize_email(email)
            row.parsed["email"] = normalized
            if normalized in seen:
                row.errors.append(
                    _("e-mail повторяется (уже в строке %(line)d)", line=seen[normalized])
                )
            else:
                seen[normalized] = line
                if accounts.find_user_by_email(normalized) is not None:
                    row.action = "skip"
                    row.notes.append(_("уже зарегистрирован — строка будет пропущена"))
        except ValidationError:
            row.errors.append(_("некорректный e-mail «%(email)s»", email=email or "—"))
        org = organizations.get(organization.casefold())
        if org is None:
            row.errors.append(_("неизвестная организация «%(name)s»", name=organization or "—"))
        row.parsed["organization"] = org
        found = []
        for subject_name in filter(
            None, (s.strip() for s in subject_names.replace(";", ",").split(","))
        ):
            subject = subjects.get(" ".join(subject_name.split()).casefold())
            if subject is None:
                row.errors.append(_("неизвестный предмет «%(name)s»", name=subject_name))
            else:
                found.append(subject)
        row.parsed["subjects"] = found
        if row.errors:
            row.action = "error"
        rows.append(row)
    return ImportPreview(rows)


def preview_upload(
    pending: PendingImport, upload: Any, max_rows: int, actor: Any = None
) -> ImportPreview:
    """Keep the uploaded list for the confirmation and show what it would do."""
    check(permissions.can_import_teachers(acting_user(actor)))
    path = pending.save(upload)
    try:
        return build_preview(path, max_rows, actor)
    except ValidationError:
        pending.discard()  # an unreadable list is not kept for a confirmation
        raise


def generate_password(length: int = 10) -> str:
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


@unit_of_work()
def apply_import(path: Path, max_rows: int, actor: Any = None) -> ImportResult:
    """Create every valid row in one transaction; any failure writes nothing."""
    preview = build_preview(path, max_rows, actor)
    created: list[tuple[User, str]] = []
    for row in preview.to_create:
        last, first, patronymic = row.parsed["name"]  # type: ignore[misc]
        user = User(
            email=row.parsed["email"],
            last_name=last,
            first_name=first,
            patronymic=patronymic,
            position=row.position,
            role=Role.TEACHER,
            organization=row.parsed["organization"],
            subjects=row.parsed["subjects"],
            must_change_password=True,
        )
        password = generate_password()
        user.set_password(password)
        user.refresh_search_text()
        db.session.add(user)
        created.append((user, password))
    return ImportResult(created, len(preview.skipped), len(preview.with_errors))
