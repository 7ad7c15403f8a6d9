"""The materials bank: lifecycle, permissions, files and versions, downloads, bad input."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app import permissions
from app.accounts.models import Role
from app.core.errors import NotFound, PermissionDenied, ValidationError
from app.core.storage import get_store
from app.extensions import db
from app.materials import services as materials
from app.materials.access_events import AccessEvent
from app.materials.models import Material, MaterialStatus, Review, StoredFile
from tests.factories import (
    docx_bytes,
    login,
    make_material,
    make_org,
    make_subject,
    make_user,
    pdf_bytes,
    post_multipart,
)


@pytest.fixture
def people():  # type: ignore[no-untyped-def]
    org = make_org("МБОУ СОШ № 1")
    return {
        "teacher": make_user(Role.TEACHER, email="t@school.ru", organization=org),
        "other": make_user(Role.TEACHER, email="o@school.ru", organization=org),
        "methodist": make_user(
            Role.METHODIST, email="m@school.ru", name=("Методистова", "Вера", "")
        ),
        "methodist2": make_user(Role.METHODIST, email="m2@school.ru"),
        "manager": make_user(Role.MANAGER, email="h@school.ru"),
        "admin": make_user(Role.ADMIN, email="a@school.ru"),
    }


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


# --- lifecycle --------------------------------------------------------------------


def test_teacher_submits_methodist_returns_then_publishes(people):
    teacher, methodist = people["teacher"], people["methodist"]
    material = make_material(teacher, title="Опыт работы с одарёнными детьми", action="submit")
    assert material.status == MaterialStatus.REVIEW
    assert material.organization_id == teacher.organization_id
    with pytest.raises(PermissionDenied):
        materials.change_status(material, teacher, "publish")
    with pytest.raises(ValidationError, match="что нужно исправить"):
        materials.change_status(material, methodist, "return", "  ")
    materials.change_status(material, methodist, "return", "Добавьте список литературы")
    assert material.status == MaterialStatus.RETURNED
    assert material.review_comment == "Добавьте список литературы"
    materials.change_status(material, teacher, "submit")
    materials.change_status(material, people["methodist2"], "publish")
    assert material.status == MaterialStatus.PUBLISHED and material.published_at is not None
    assert material.review_comment == ""
    history = [(r.from_status, r.to_status, r.actor_id) for r in material.reviews]
    assert history == [
        ("", "draft", teacher.id),
        ("draft", "review", teacher.id),
        ("review", "returned", methodist.id),
        ("returned", "review", teacher.id),
        ("review", "published", people["methodist2"].id),
    ]
    materials.change_status(material, methodist, "archive")
    assert material.status == MaterialStatus.ARCHIVED
    materials.change_status(material, methodist, "publish")
    assert material.status == MaterialStatus.PUBLISHED


def test_methodist_publishes_directly_teacher_cannot(people):
    material = make_material(people["methodist"], action="publish")
    assert material.status == MaterialStatus.PUBLISHED
    with pytest.raises(PermissionDenied):
        make_material(people["teacher"], action="publish")
    assert count(Material) == 1


ACTIONS = ["submit", "withdraw", "publish", "return", "archive"]


D, R, P, T, A = "draft", "review", "published", "returned", "archived"
ACTIONS = ("submit", "withdraw", "publish", "return", "archive")
# Written out by hand from the lifecycle rules, not read from permissions.TRANSITIONS:
# (role, status) -> the actions allowed; every other action of ACTIONS is refused.
ALLOWED = {
    ("teacher_author", D): {"submit"},
    ("teacher_author", R): {"withdraw"},
    ("teacher_author", P): set(),
    ("teacher_author", T): {"submit"},
    ("teacher_author", A): set(),
    ("other_teacher", D): set(),
    ("other_teacher", R): set(),
    ("other_teacher", P): set(),
    ("other_teacher", T): set(),
    ("other_teacher", A): set(),
    ("manager", D): set(),
    ("manager", R): set(),
    ("manager", P): set(),
    ("manager", T): set(),
    ("manager", A): set(),
    ("methodist", D): {"submit", "publish"},
    ("methodist", R): {"withdraw", "publish", "return"},
    ("methodist", P): {"archive"},
    ("methodist", T): {"submit"},
    ("methodist", A): {"publish"},
    ("admin", D): {"submit", "publish"},
    ("admin", R): {"withdraw", "publish", "return"},
    ("admin", P): {"archive"},
    ("admin", T): {"submit"},
    ("admin", A): {"publish"},
}
LEADS_TO = {"submit": R, "withdraw": D, "publish": P, "return": T, "archive": A}
# Who sees a material in each status (the page, the lists and search alike).
VISIBLE = {
    "teacher_author": {D, R, P, T, A},
    "other_teacher": {P},
    "manager": {P},
    "methodist": {D, R, P, T, A},
    "admin": {D, R, P, T, A},
}


@pytest.mark.parametrize(
    "role", ["teacher_author", "other_teacher", "methodist", "manager", "admin"]
)
@pytest.mark.parametrize("status", [D, R, P, T, A])
def test_transition_matrix(people, role, status):
    material = make_material(people["teacher"], action="draft")
    actor = {
        "teacher_author": people["teacher"],
        "other_teacher": people["other"],
        "methodist": people["methodist"],
        "manager": people["manager"],
        "admin": people["admin"],
    }[role]
    allowed = ALLOWED[(role, status)]
    material.status = status
    db.session.commit()
    assert set(permissions.allowed_actions(actor, material)) == allowed
    for action in ACTIONS:
        material.status = status
        db.session.commit()
        if action in allowed:
            materials.change_status(material, actor, action, "Поправьте оформление")
            assert material.status == LEADS_TO[action], action
        else:
            with pytest.raises((PermissionDenied, NotFound)):
                materials.change_status(material, actor, action, "Поправьте оформление")
            db.session.refresh(material)
            assert material.status == status, action
    # Seeing the material follows the same rule everywhere.
    material.status = status
    db.session.commit()
    visible = status in VISIBLE[role]
    assert permissions.can_view_material(actor, material) is visible
    ids = set(
        db.session.execute(permissions.visible_materials(actor, select(Material.id))).scalars()
    )
    assert (material.id in ids) is visible


# --- files ------------------------------------------------------------------------


def test_same_file_twice_is_stored_once(people):
    content = docx_bytes("Одинаковое содержимое")
    a = make_material(people["methodist"], title="Первый", content=content)
    b = make_material(people["methodist"], title="Второй", content=content)
    assert a.files[0].storage_key == b.files[0].storage_key
    assert sum(1 for _ in get_store().iter_keys()) == 1


def test_replacing_a_file_keeps_history(people, client):
    methodist = people["methodist"]
    material = make_material(methodist, content=docx_bytes("версия один"))
    first = material.files[0]
    second = materials.replace_file(
        material, first, materials.upload_from_bytes(docx_bytes("версия два"), "v2.docx"), methodist
    )
    assert (second.version, second.lineage_id) == (2, first.id)
    assert not first.is_current and first.superseded_at is not None
    assert material.current_files == [second]
    with pytest.raises(ValidationError):
        materials.replace_file(
            material, first, materials.upload_from_bytes(pdf_bytes(), "x.pdf"), methodist
        )
    # Teachers download the current version; the old one is only for its author and reviewers.
    login(client, people["teacher"])
    assert client.get(f"/files/{second.id}/download").status_code == 200
    assert client.get(f"/files/{first.id}/download").status_code == 404
    methodist_client = client.application.test_client()
    login(methodist_client, methodist)
    response = methodist_client.get(f"/files/{first.id}/download")
    assert response.status_code == 200
    with get_store().open(first.storage_key) as stream:
        assert response.data == stream.read()


def test_download_is_recorded_and_counted(people, client):
    material = make_material(people["methodist"], content=docx_bytes("скачиваемый"))
    file = material.files[0]
    login(client, people["teacher"])
    response = client.get(f"/files/{file.id}/download")
    assert response.status_code == 200
    with get_store().open(file.storage_key) as stream:
        assert response.data == stream.read()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "%D0%BA%D0%BE%D0%BD%D1%81%D0%BF%D0%B5%D0%BA%D1%82.docx" in disposition
    # A range from the middle (a player seeking) is not another download.
    partial = client.get(f"/files/{file.id}/download", headers={"Range": "bytes=10-19"})
    assert partial.status_code == 206 and len(partial.data) == 10
    assert partial.data == response.data[10:20]
    db.session.refresh(material)
    assert material.download_count == 1
    events = (
        db.session.execute(select(AccessEvent).where(AccessEvent.kind == "file_download"))
        .scalars()
        .all()
    )
    assert [(e.user_id, e.file_id, e.material_id) for e in events] == [
        (people["teacher"].id, file.id, material.id)
    ]
    assert events[0].at.tzinfo is not None


def test_pdf_previews_inline_docx_never(people, client):
    pdf = make_material(people["methodist"], title="PDF", content=pdf_bytes(), filename="план.pdf")
    doc = make_material(people["methodist"], title="DOCX")
    login(client, people["teacher"])
    inline = client.get(f"/files/{pdf.files[0].id}/view")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert inline.headers["Content-Type"] == "application/pdf"
    assert "frame-ancestors 'self'" in inline.headers["Content-Security-Policy"]
    attachment = client.get(f"/files/{doc.files[0].id}/view")
    assert attachment.headers["Content-Disposition"].startswith("attachment;")
    assert attachment.headers["X-Content-Type-Options"] == "nosniff"


def test_txt_with_html_is_served_as_attachment(people, client):
    material = make_material(
        people["methodist"], content=b"<html><script>alert(1)</script></html>", filename="x.txt"
    )
    login(client, people["teacher"])
    response = client.get(f"/files/{material.files[0].id}/view")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "sandbox" in response.headers["Content-Security-Policy"]


# --- visibility of objects by id ----------------------------------------------------


def test_teacher_cannot_open_anothers_draft_or_its_files(people, client):
    draft = make_material(people["other"], action="draft")
    in_review = make_material(people["other"], title="На проверке", action="submit")
    login(client, people["teacher"])
    for material in (draft, in_review):
        assert client.get(f"/materials/{material.id}").status_code == 404
        assert client.get(f"/files/{material.files[0].id}/download").status_code == 404
        assert client.get(f"/files/{material.files[0].id}/view").status_code == 404
        assert client.get(f"/materials/{material.id}/edit").status_code == 404
    # The author sees it; a reviewer sees it.
    author = client.application.test_client()
    login(author, people["other"])
    assert author.get(f"/materials/{draft.id}").status_code == 200
    reviewer = client.application.test_client()
    login(reviewer, people["methodist"])
    assert reviewer.get(f"/materials/{in_review.id}").status_code == 200


def test_archived_material_hidden_from_teachers(people, client):
    material = make_material(people["methodist"])
    make_material(people["methodist"], title="Опубликованный рядом")
    materials.change_status(material, people["methodist"], "archive")
    login(client, people["teacher"])
    assert client.get(f"/materials/{material.id}").status_code == 404
    catalog_page = client.get("/materials").get_data(as_text=True)
    assert "Опубликованный рядом" in catalog_page
    assert "Конспект урока математики" not in catalog_page


def test_methodist_only_action_posted_by_teacher_changes_nothing(people, client):
    material = make_material(people["other"], action="submit")
    login(client, people["teacher"])
    response = client.post(f"/materials/{material.id}/status", data={"action": "publish"})
    assert response.status_code == 404
    author = client.application.test_client()
    login(author, people["other"])
    response = author.post(f"/materials/{material.id}/status", data={"action": "publish"})
    assert response.status_code == 400
    db.session.refresh(material)
    assert material.status == MaterialStatus.REVIEW
    assert count(Review) == 2
    assert client.get("/materials/review").status_code == 404
    assert client.get("/materials/import").status_code == 404


# --- upload through the site -----------------------------------------------------------


def upload(client, content: bytes, filename: str, **fields):  # type: ignore[no-untyped-def]
    data = {"title": "Материал", "material_type": "development", "action": "publish", **fields}
    data["files"] = FileStorage(io.BytesIO(content), filename=filename)
    return post_multipart(client, "/materials/new", data)


def test_methodist_uploads_cyrillic_docx_and_publishes(people, client):
    subject = make_subject("Математика")
    login(client, people["methodist"])
    response = upload(
        client,
        docx_bytes(),
        "Методические рекомендации.docx",
        title="Рекомендации <b>по</b> развитию речи",
        subject_ids=str(subject.id),
        levels="basic",
        keywords="ФГОС, речь",
        year="2025",
    )
    assert response.status_code == 302
    material = db.session.execute(select(Material)).scalar_one()
    assert material.status == MaterialStatus.PUBLISHED
    assert material.levels == ["basic"] and [s.name for s in material.subjects] == ["Математика"]
    file = material.files[0]
    assert file.original_name == "Методические рекомендации.docx" and file.kind == "docx"
    assert len(file.sha256) == 64
    page = client.get(f"/materials/{material.id}").get_data(as_text=True)
    assert "Рекомендации &lt;b&gt;по&lt;/b&gt; развитию речи" in page


BAD_FILES = [
    (b"", "empty.pdf", "пуст"),
    (b"MZ\x90\x00\x03" + b"\x00" * 200, "отчёт.pdf", ""),
    (b"<!doctype html><html><body>hi</body></html>", "page.pdf", ""),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "image.svg", ""),
    (b"<html></html>", "page.html", ""),
]


@pytest.mark.parametrize(("content", "filename", "message"), BAD_FILES)
def test_bad_uploads_are_refused_and_nothing_is_written(people, client, content, filename, message):
    login(client, people["methodist"])
    response = upload(client, content, filename)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "is-invalid" in page or "alert-danger" in page
    if message:
        assert message in page
    assert count(Material) == 0 and count(StoredFile) == 0
    assert list(get_store().iter_keys()) == []


def test_file_over_the_limit(people, client, app):
    app.config["UPLOAD_MAX_BYTES"] = 2048
    try:
        login(client, people["methodist"])
        response = upload(client, b"x" * 5000, "big.txt")
    finally:
        app.config["UPLOAD_MAX_BYTES"] = 200 * 1024 * 1024
    assert "больше допустимых" in response.get_data(as_text=True)
    assert count(Material) == 0 and list(get_store().iter_keys()) == []


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd.docx", "a\x00b.docx", "я" * 300 + ".docx", "отчёт\u202excod.docx"],
)
def test_hostile_file_names_are_cleaned(people, client, filename):
    login(client, people["methodist"])
    response = upload(client, docx_bytes(), filename)
    assert response.status_code == 302
    name = db.session.execute(select(StoredFile.original_name)).scalar_one()
    assert "/" not in name and "\x00" not in name and "\u202e" not in name
    assert len(name) <= 200 and name.endswith(".docx")


def test_xss_in_title_annotation_keywords_is_escaped(people, client):
    payload = '<script>alert("x")</script>'
    material = make_material(
        people["methodist"], title=payload, annotation=payload, keywords=payload, authors=payload
    )
    login(client, people["teacher"])
    client.post(f"/materials/{material.id}/favourite")
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    shown_as = {  # how each page shows the title: proof it lists the material at all
        f"/materials/{material.id}": f'<h1 class="h3">{escaped}</h1>',
        "/materials": f'<a href="/materials/{material.id}">{escaped}</a>',
        "/materials/favourites": f'<a href="/materials/{material.id}">{escaped}</a>',
    }
    for url, title in shown_as.items():
        page = client.get(url).get_data(as_text=True)
        assert title in page, url
        assert page.count(escaped) >= 3, url  # title, annotation, authors
        assert "<script>alert" not in page, url


def test_validation_errors_write_nothing(people):
    for data in (
        materials.MaterialData(title=""),
        materials.MaterialData(title="X", material_type="novel"),
        materials.MaterialData(title="X", levels=["university"]),
        materials.MaterialData(title="X", year=1200),
        materials.MaterialData(title="X", subject_ids=[99999]),
    ):
        with pytest.raises(ValidationError):
            materials.create_material(
                data, [materials.upload_from_bytes(docx_bytes(), "a.docx")], people["methodist"]
            )
    with pytest.raises(ValidationError, match="хотя бы один файл"):
        materials.create_material(materials.MaterialData(title="X"), [], people["methodist"])
    assert count(Material) == 0
    assert list(get_store().iter_keys()) == []


# --- catalog ------------------------------------------------------------------------


def test_catalog_filters_sorting_and_paging(people, client):
    math = make_subject("Математика")
    physics = make_subject("Физика")
    m = people["methodist"]
    a = make_material(
        m, title="Алгебра 7 класс", subject_ids=[math.id], levels=["basic"], year=2024
    )
    b = make_material(
        m,
        title="Механика",
        subject_ids=[physics.id],
        levels=["secondary"],
        year=2023,
        material_type="presentation",
    )
    make_material(m, title="Черновик по математике", subject_ids=[math.id], action="draft")
    b.download_count = 5
    db.session.commit()
    login(client, people["teacher"])

    def titles(**args) -> list[str]:  # type: ignore[no-untyped-def]
        import re

        html = client.get("/materials", query_string=args).get_data(as_text=True)
        return re.findall(r'<h2 class="h5 card-title mb-1"><a href="[^"]+">([^<]+)</a>', html)

    assert titles(sort="title") == ["Алгебра 7 класс", "Механика"]
    assert titles(sort="downloads") == ["Механика", "Алгебра 7 класс"]
    assert titles(subject=math.id) == ["Алгебра 7 класс"]
    assert titles(level="secondary") == ["Механика"]
    assert titles(type="presentation") == ["Механика"]
    assert titles(year=2024) == ["Алгебра 7 класс"]
    assert titles(year=2024, subject=physics.id) == []
    # Nonsense in the arguments falls back to the defaults: newest first, no filter.
    assert titles(sort="bogus", subject="x", level="nope", page="abc") == [
        "Механика",
        "Алгебра 7 класс",
    ]
    # Related materials share a subject and are published: the draft never shows.
    make_material(m, title="Геометрия 8 класс", subject_ids=[math.id])
    detail = client.get(f"/materials/{a.id}").get_data(as_text=True)
    assert "Геометрия 8 класс" in detail
    assert "Черновик по математике" not in detail


def test_favourites(people, client):
    material = make_material(people["methodist"], title="Любимый материал")
    login(client, people["teacher"])
    client.post(f"/materials/{material.id}/favourite")
    assert "Любимый материал" in client.get("/materials/favourites").get_data(as_text=True)
    client.post(f"/materials/{material.id}/favourite")
    assert "Любимый материал" not in client.get("/materials/favourites").get_data(as_text=True)


def test_author_sees_status_and_comment(people, client):
    material = make_material(people["teacher"], title="Мой опыт", action="submit")
    materials.change_status(material, people["methodist"], "return", "Нужны ссылки на источники")
    login(client, people["teacher"])
    mine = client.get("/materials/mine").get_data(as_text=True)
    assert (
        "Мой опыт" in mine
        and "Возвращён на доработку" in mine
        and "Нужны ссылки на источники" in mine
    )
    detail = client.get(f"/materials/{material.id}").get_data(as_text=True)
    assert "Нужны ссылки на источники" in detail
