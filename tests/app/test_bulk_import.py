"""Bulk import: ``flask import-materials`` over a folder, and a ZIP through the site."""

from __future__ import annotations

import csv
import io
import struct
import tempfile
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.accounts.models import Role
from app.core.storage import get_store
from app.extensions import db
from app.materials.models import Collection, Material, MaterialStatus, StoredFile
from tests.factories import docx_bytes, login, make_subject, make_user, pdf_bytes, post_multipart

EXE = b"MZ\x90\x00\x03" + b"\x00" * 200


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def material(title: str) -> Material:
    return db.session.execute(select(Material).where(Material.title == title)).scalar_one()


def write_manifest(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)


@pytest.fixture
def methodist():  # type: ignore[no-untyped-def]
    return make_user(Role.METHODIST, email="metod@imc.ru", name=("Методистова", "Вера", ""))


@pytest.fixture
def shared_drive(tmp_path: Path) -> Path:
    """A folder as a methodical office keeps it on a shared drive."""
    folder = tmp_path / "Общая папка ИМК"
    (folder / "Опыт работы").mkdir(parents=True)
    (folder / "Конспект_урока_5_класс.docx").write_bytes(docx_bytes("Дроби. Конспект урока"))
    (folder / "polozhenie.pdf").write_bytes(pdf_bytes("Polozhenie o MO"))
    (folder / "Опыт работы" / "Из_опыта_работы_учителя.docx").write_bytes(
        docx_bytes("Опыт работы учителя математики")
    )
    (folder / "setup.exe").write_bytes(EXE)
    (folder / "страница.html").write_bytes(b"<!doctype html><html><body>hi</body></html>")
    (folder / "~$Конспект_урока_5_класс.docx").write_bytes(b"Word lock file")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    write_manifest(
        folder / "m.csv",
        [
            ["Файл", "Название", "Вид", "Предметы", "Уровни", "Год", "Авторы"],
            [
                "polozhenie.pdf",
                "Положение о методическом объединении учителей",
                "Нормативный документ",
                "Математика, Физика",
                "5–9 классы, 10–11 классы",
                "2023",
                "Петрова А. И.",
            ],
        ],
    )
    return folder


# --- the command ---------------------------------------------------------------------


def test_import_folder_with_manifest_collections_and_unsupported_files(
    runner, methodist, shared_drive
):
    math, physics = make_subject("Математика"), make_subject("Физика")
    args = [
        "import-materials",
        str(shared_drive),
        "--manifest",
        str(shared_drive / "m.csv"),
        "--publish",
        "--by",
        "METOD@imc.ru",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Импортировано: 3, уже было: 0, не поддерживается: 2, ошибок: 0" in result.output, (
        result.output
    )
    assert "пропущен setup.exe:" in result.output
    assert "пропущен страница.html:" in result.output
    # Neither the manifest nor the editor's junk counts as anything.
    assert "m.csv" not in result.output and "~$" not in result.output
    assert ".DS_Store" not in result.output

    assert count(Material) == 3
    assert count(Material, Material.status != MaterialStatus.PUBLISHED) == 0
    assert count(Material, Material.uploaded_by_id != methodist.id) == 0

    # Described by the manifest row.
    described = material("Положение о методическом объединении учителей")
    assert described.material_type == "normative"
    assert {s.id for s in described.subjects} == {math.id, physics.id}
    assert sorted(described.levels) == ["basic", "secondary"]
    assert described.year == 2023
    assert described.authors == "Петрова А. И."
    assert described.files[0].original_name == "polozhenie.pdf"
    assert described.files[0].kind == "pdf"

    # No manifest row: everything comes from the file name.
    guessed = material("Конспект урока 5 класс")
    assert guessed.material_type == "lesson_plan"
    assert guessed.levels == ["basic"]
    assert guessed.files[0].original_name == "Конспект_урока_5_класс.docx"

    # The sub-folder became a collection holding its file.
    # (The migration's experience bank may or may not be there, depending on test order.)
    folders = Collection.is_experience_bank.is_(False)
    collection = db.session.execute(select(Collection).where(folders)).scalar_one()
    assert collection.name == "Опыт работы"
    experience = material("Из опыта работы учителя")
    assert experience.material_type == "experience"
    assert [c.name for c in experience.collections] == ["Опыт работы"]
    assert [c.name for c in guessed.collections] == []

    # Every imported byte is in the store and verifies.
    store = get_store()
    keys = db.session.execute(select(StoredFile.storage_key)).scalars().all()
    assert keys
    for key in keys:
        assert store.verify(key)

    # Running it again imports nothing twice.
    again = runner.invoke(args=args)
    assert again.exit_code == 0, again.output
    assert "Импортировано: 0, уже было: 3, не поддерживается: 2, ошибок: 0" in again.output
    assert count(Material) == 3 and count(StoredFile) == 3 and count(Collection, folders) == 1
    assert runner.invoke(args=["storage-check"]).exit_code == 0


def test_import_without_publish_leaves_drafts_by_the_first_methodist(runner, tmp_path):
    make_user(Role.TEACHER, email="t@school.ru")
    author = make_user(Role.METHODIST, email="first@imc.ru")
    folder = tmp_path / "папка"
    folder.mkdir()
    (folder / "Методические_рекомендации_2024.docx").write_bytes(docx_bytes("рекомендации"))
    result = runner.invoke(args=["import-materials", str(folder)])
    assert result.exit_code == 0, result.output
    imported = db.session.execute(select(Material)).scalar_one()
    assert imported.status == MaterialStatus.DRAFT
    assert imported.uploaded_by_id == author.id
    assert imported.title == "Методические рекомендации 2024"
    assert imported.material_type == "recommendations" and imported.year == 2024


def test_manifest_row_with_bad_year_is_reported_and_the_rest_imported(runner, methodist, tmp_path):
    folder = tmp_path / "папка"
    folder.mkdir()
    (folder / "a.docx").write_bytes(docx_bytes("первый"))
    (folder / "b.docx").write_bytes(docx_bytes("второй"))
    manifest = tmp_path / "опись.csv"
    write_manifest(
        manifest, [["файл", "название", "год"], ["a.docx", "Старый", "1812"]], encoding="cp1251"
    )
    result = runner.invoke(
        args=["import-materials", str(folder), "--manifest", str(manifest), "--by", methodist.email]
    )
    assert result.exit_code == 0, result.output
    assert "Импортировано: 1, уже было: 0, не поддерживается: 0, ошибок: 1" in result.output
    assert "ошибка a.docx: Год должен быть от 1950 до 2100." in result.output
    assert [m.title for m in db.session.execute(select(Material)).scalars()] == ["b"]


def test_unknown_by_email_is_a_clear_error(runner, methodist, shared_drive):
    result = runner.invoke(
        args=["import-materials", str(shared_drive), "--by", "nobody@imc.ru", "--publish"]
    )
    assert result.exit_code != 0
    assert "Пользователь nobody@imc.ru не найден." in result.output
    assert "Traceback" not in result.output
    assert count(Material) == 0 and list(get_store().iter_keys()) == []


def test_missing_folder_and_manifest_without_file_column(runner, methodist, tmp_path):
    result = runner.invoke(args=["import-materials", str(tmp_path / "нет такой")])
    assert result.exit_code != 0 and "does not exist" in result.output
    (tmp_path / "a.docx").write_bytes(docx_bytes())
    bad = tmp_path / "bad.csv"
    write_manifest(bad, [["название", "год"], ["X", "2020"]])
    result = runner.invoke(args=["import-materials", str(tmp_path), "--manifest", str(bad)])
    assert result.exit_code == 1
    assert "В описи нет столбца «файл»." in result.output
    assert count(Material) == 0


@pytest.mark.parametrize(("role", "publish"), [(Role.TEACHER, True), (Role.MANAGER, False)])
def test_by_a_user_who_may_not_import_is_a_clear_error(runner, shared_drive, role, publish):
    user = make_user(role, email="notallowed@school.ru")
    args = ["import-materials", str(shared_drive), "--by", user.email]
    result = runner.invoke(args=[*args, "--publish"] if publish else args)
    assert result.exit_code == 1
    # A ClickException ends as SystemExit(1) with "Error: <message>", not as a crash.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Error:" in result.output
    assert count(Material) == 0


# --- ZIP through the site -------------------------------------------------------------


class Cp866Name(zipfile.ZipInfo):
    """An entry as Windows' built-in archiver writes it: CP866 name, no UTF-8 flag."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("cp866"), self.flag_bits


def build_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def patch_headers(data: bytes, *, local: tuple[int, int], central: tuple[int, int]) -> bytes:
    """Overwrite one 16-bit field in the (single) local and central header."""
    out = bytearray(data)
    for signature, (offset, value) in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        at = out.find(signature)
        assert at >= 0
        struct.pack_into("<H", out, at + offset, value)
    return bytes(out)


def post_zip(client, data: bytes, publish: bool = True):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "file": FileStorage(io.BytesIO(data), filename="архив.zip", content_type="application/zip")
    }
    if publish:
        fields["publish"] = "1"
    return post_multipart(client, "/materials/import", fields)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the import unpacks, so a test can see what it wrote and left."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_zip_import_with_cp866_names_collections_and_manifest(client, methodist, private_tmp):
    make_subject("Литература")
    manifest = io.StringIO()
    csv.writer(manifest, delimiter=";").writerows(
        [
            ["файл", "название", "вид", "предметы", "год"],
            ["Положение о конкурсе.pdf", "Положение о конкурсе чтецов", "Нормативный документ",
             "Литература", "2024"],
        ]
    )  # fmt: skip
    data = build_zip(
        [
            (Cp866Name("Опыт работы/Конспект_урока_7_класс.docx"), docx_bytes("Конспект 7")),
            ("Положение о конкурсе.pdf", pdf_bytes("Konkurs")),
            (Cp866Name("опись.csv"), manifest.getvalue().encode("cp1251")),
            ("readme.html", b"<html><body>readme</body></html>"),
        ]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the test builds what it claims
        assert not archive.infolist()[0].flag_bits & 0x800
        assert archive.infolist()[1].flag_bits & 0x800

    login(client, methodist)
    assert client.get("/materials/import").status_code == 200
    response = post_zip(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Импортировано: 2, пропущено (уже есть): 0, не поддерживается: 1, ошибок: 0." in page
    assert "readme.html" in page

    lesson = material("Конспект урока 7 класс")
    assert lesson.files[0].original_name == "Конспект_урока_7_класс.docx"
    assert lesson.levels == ["basic"] and lesson.status == MaterialStatus.PUBLISHED
    assert [c.name for c in lesson.collections] == ["Опыт работы"]
    rules = material("Положение о конкурсе чтецов")
    assert rules.material_type == "normative" and rules.year == 2024
    assert [s.name for s in rules.subjects] == ["Литература"]
    assert list(private_tmp.iterdir()) == []  # the unpacked copy is cleaned up

    # The same archive again: everything is already in the bank.
    page = post_zip(client, data).get_data(as_text=True)
    assert "Импортировано: 0, пропущено (уже есть): 2" in page
    assert count(Material) == 2


def test_zip_import_without_publish_leaves_drafts(client, methodist):
    login(client, methodist)
    response = post_zip(client, build_zip([("План.docx", docx_bytes("план"))]), publish=False)
    assert response.status_code == 200
    assert db.session.execute(select(Material.status)).scalar_one() == MaterialStatus.DRAFT


@pytest.mark.parametrize(
    "evil",
    ["../evil.docx", "папка/../../evil.docx", "/tmp/evil.docx", "..\\evil.docx", "C:/evil.docx"],
)
def test_zip_with_path_traversal_is_refused_and_writes_nothing(
    client, methodist, private_tmp, evil
):
    data = build_zip([("Хороший.docx", docx_bytes("хороший")), (evil, docx_bytes("злой"))])
    login(client, methodist)
    response = post_zip(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "В архиве есть недопустимый путь" in page
    assert count(Material) == 0 and count(StoredFile) == 0
    assert list(get_store().iter_keys()) == []
    assert list(private_tmp.iterdir()) == []
    assert not (private_tmp.parent / "evil.docx").exists()


def test_zip_bomb_is_refused(client, methodist, private_tmp):
    data = build_zip([("ok.docx", docx_bytes()), ("bomb.txt", bytes(4 * 1024 * 1024))])
    assert len(data) < 64 * 1024  # a ratio far beyond what real documents compress to
    login(client, methodist)
    response = post_zip(client, data)
    assert response.status_code == 200
    assert "zip-бомбу" in response.get_data(as_text=True)
    assert count(Material) == 0 and list(get_store().iter_keys()) == []
    assert list(private_tmp.iterdir()) == []


def test_not_a_zip_is_a_clear_error(client, methodist):
    login(client, methodist)
    response = post_zip(client, docx_bytes()[:100])
    assert response.status_code == 200
    assert "Файл не является архивом ZIP." in response.get_data(as_text=True)
    assert count(Material) == 0


def _bad_crc() -> bytes:
    stored = zipfile.ZipInfo("a.txt")
    stored.compress_type = zipfile.ZIP_STORED
    data = bytearray(build_zip([(stored, b"A" * 100)]))
    data[data.find(b"A" * 100)] = ord("B")
    return bytes(data)


def _encrypted() -> bytes:
    # General purpose flag bit 0: what a password-protected archive carries.
    return patch_headers(build_zip([("a.txt", b"A" * 100)]), local=(6, 1), central=(8, 1))


def _deflate64() -> bytes:
    # Method 9 (Deflate64): what Windows Explorer and 7-Zip write for large files.
    stored = zipfile.ZipInfo("a.txt")
    stored.compress_type = zipfile.ZIP_STORED
    return patch_headers(build_zip([(stored, b"A" * 100)]), local=(8, 9), central=(10, 9))


@pytest.mark.parametrize("build", [_bad_crc, _encrypted, _deflate64], ids=lambda f: f.__name__)
def test_unreadable_zip_entries_are_a_clear_error(client, methodist, private_tmp, build):
    login(client, methodist)
    response = post_zip(client, build())
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True) or "is-invalid" in (
        response.get_data(as_text=True)
    )
    assert count(Material) == 0
    assert list(private_tmp.iterdir()) == []


def test_teacher_gets_404_on_zip_import(client):
    login(client, make_user(Role.TEACHER, email="t@school.ru"))
    assert client.get("/materials/import").status_code == 404
    response = post_zip(client, build_zip([("a.docx", docx_bytes())]))
    assert response.status_code == 404
    assert count(Material) == 0
