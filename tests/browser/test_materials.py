"""A material's way through the bank, and finding it by what is written inside."""

from __future__ import annotations

from pathlib import Path

from app.accounts.models import Role
from app.search import indexing
from app.search.indexing import get_index
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, docx_bytes, make_material, make_org, make_subject, make_user


def test_upload_review_publish_filter_download(page, tmp_path):
    subject = make_subject("Литература")
    make_subject("Химия")
    org = make_org("МБОУ СОШ № 1")
    author = make_user(Role.METHODIST, email="m1@school.ru", name=("Автор", "Анна", "Ивановна"))
    reviewer = make_user(Role.METHODIST, email="m2@school.ru", name=("Эксперт", "Олег", "Петрович"))
    teacher = make_user(Role.TEACHER, email="t@school.ru", organization=org)
    source = tmp_path / "Конспект урока «Осень» для 5 класса.docx"
    source.write_bytes(docx_bytes("Осенние мотивы в лирике русских поэтов"))

    sign_in(page, author.email, PASSWORD)
    page.goto("/materials/new")
    page.get_by_label("Название").fill("Осенние мотивы в лирике")
    page.get_by_label("Вид материала").select_option("lesson_plan")
    page.get_by_label("Предметы").select_option(str(subject.id))
    page.get_by_label("5–9 классы").check()
    page.get_by_label("Файлы").set_input_files(str(source))
    page.get_by_role("button", name="Отправить на экспертизу").click()
    assert page.locator("#material-status").inner_text() == "На экспертизе"
    material_url = page.url
    page.get_by_role("button", name="Автор А.И.").click()
    page.get_by_role("button", name="Выйти").click()

    sign_in(page, reviewer.email, PASSWORD)
    page.goto("/materials/review")
    page.get_by_role("link", name="Осенние мотивы в лирике").click()
    page.get_by_label("Действие").select_option("publish")
    page.get_by_role("button", name="Применить").click()
    assert page.locator("#material-status").inner_text() == "Опубликован"
    page.get_by_role("button", name="Эксперт О.П.").click()
    page.get_by_role("button", name="Выйти").click()

    sign_in(page, teacher.email, PASSWORD)
    page.goto("/materials")
    page.get_by_label("Предмет").select_option(str(subject.id))
    page.get_by_role("button", name="Показать").click()
    assert page.locator("#catalog-total").inner_text() == "Найдено материалов: 1"
    page.get_by_role("link", name="Осенние мотивы в лирике").click()
    assert page.url == material_url
    with page.expect_download() as info:
        page.get_by_role("link", name="Скачать").click()
    download = info.value
    assert download.suggested_filename == source.name
    saved = Path(download.path())
    assert saved.read_bytes() == source.read_bytes()
    page.reload()
    assert page.locator("#download-count").inner_text() == "Скачиваний: 1"


def test_teacher_finds_by_inflected_word_narrows_and_opens(page):
    get_index().clear()
    math, physics = make_subject("Математика"), make_subject("Физика")
    methodist = make_user(Role.METHODIST, email="m@school.ru")
    make_material(
        methodist,
        title="Сборник задач",
        subject_ids=[math.id],
        content=docx_bytes("Методических рекомендаций для учителей математики немало."),
    )
    make_material(
        methodist,
        title="Опыты по оптике",
        subject_ids=[physics.id],
        content=docx_bytes("Методическими рекомендациями по физике пользуются."),
    )
    make_material(
        methodist,
        title="Черновик рекомендаций",
        subject_ids=[math.id],
        action="draft",
        content=docx_bytes("методическая рекомендация черновик"),
    )
    indexing.drain()
    teacher = make_user(Role.TEACHER, email="t@school.ru")
    sign_in(page, teacher.email, PASSWORD)
    page.get_by_label("Поиск по материалам").fill("методическая рекомендация")
    page.get_by_label("Поиск по материалам").press("Enter")
    assert page.locator("#search-total").inner_text() == "Найдено: 2"
    assert page.get_by_text("Черновик рекомендаций").count() == 0
    page.locator('[data-facet="subject"]').get_by_role("link", name="Математика").click()
    assert page.locator("#search-total").inner_text() == "Найдено: 1"
    hit = page.locator(".search-hit").first
    assert hit.locator("mark").count() >= 1
    assert "рекомендаций" in hit.locator(".snippet").inner_text()
    hit.get_by_role("link", name="Сборник задач").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Сборник задач"
    get_index().clear()
