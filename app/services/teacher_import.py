"""Importing teachers from a CSV or XLSX list: preview every row, then all or nothing."""

from __future__ import annotations

import codecs
import csv
import secrets
import string
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from app.extensions import db
from app.models import Role, User
from app.services import accounts, directory
from app.services.errors import ValidationError

COLUMNS = {
    "name": ("фио", "ф.и.о.", "ф. и. о.", "full name", "name"),
    "email": ("e-mail", "email", "эл. почта", "электронная почта", "почта"),
    "organization": ("организация", "оо", "образовательная организация", "organization"),
    "position": ("должность", "position"),
    "subjects": ("предметы", "предмет", "subjects"),
}
REQUIRED_COLUMNS = ("name", "email", "organization")
SUPPORTED_EXTENSIONS = (".csv", ".xlsx")
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
class ImportPreview:
    rows: list[ImportRow]

    @property
    def to_create(self) -> list[ImportRow]:
        return [r for r in self.rows if r.action == "create"]

    @property
    def skipped(self) -> list[ImportRow]:
        return [r for r in self.rows if r.action == "skip"]

    @property
    def with_errors(self) -> list[ImportRow]:
        return [r for r in self.rows if r.action == "error"]


@dataclass
class ImportResult:
    created: list[tuple[User, str]]
    skipped: int
    errors: int


def _cell(value: object) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _header_map(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _cell(title).casefold()
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


def _detect_csv_encoding(path: Path) -> str:
    """UTF-8 if the whole file decodes as UTF-8, else Windows-1251 (Excel's Russian default)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(64 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8-sig"


def _csv_rows(path: Path) -> Iterator[list[str]]:
    # Streamed line by line: a huge file costs no more memory than a small one.
    with path.open(encoding=_detect_csv_encoding(path), newline="") as fh:
        first_line = fh.readline()
        delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
        fh.seek(0)
        yield from csv.reader(fh, delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(path):
        raise ValidationError(_("Файл не является таблицей XLSX."))
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ValidationError(_("Файл XLSX повреждён или не читается.")) from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        workbook.close()


def read_rows(path: Path, max_rows: int) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) of data rows, refusing files over ``max_rows``."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ValidationError(_("Поддерживаются только файлы CSV и XLSX."))
    if path.stat().st_size == 0:
        raise ValidationError(_("Файл пуст."))
    reader = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
    header: dict[str, int] | None = None
    count = 0
    for line, cells in enumerate(reader, start=1):
        if not any(_cell(c) for c in cells):
            continue
        if header is None:
            header = _header_map(cells)
            continue
        count += 1
        if count > max_rows:
            raise ValidationError(
                _("В файле больше %(n)d строк. Разделите список на части.", n=max_rows)
            )
        yield (
            line,
            [cells[header[c]] if c in header and header[c] < len(cells) else "" for c in COLUMNS],
        )
    if header is None:
        raise ValidationError(_("Файл пуст."))


def build_preview(path: Path, max_rows: int) -> ImportPreview:
    organizations = directory.organization_lookup()
    subjects = directory.subject_lookup()
    seen: dict[str, int] = {}
    rows: list[ImportRow] = []
    for line, cells in read_rows(path, max_rows):
        name, email, organization, position, subject_names = (_cell(c) for c in cells)
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


def generate_password(length: int = 10) -> str:
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def apply_import(path: Path, max_rows: int) -> ImportResult:
    """Create every valid row in one transaction; any failure writes nothing."""
    preview = build_preview(path, max_rows)
    created: list[tuple[User, str]] = []
    try:
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
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ImportResult(created, len(preview.skipped), len(preview.with_errors))
