"""Search from the user's side: inflections, visibility, bad input, durable indexing."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import Role
from app.core.models import utcnow
from app.extensions import db
from app.materials import services as materials
from app.materials.models import Material, MaterialStatus, StoredFile
from app.search import indexing
from app.search.indexing import get_index
from app.search.models import IndexState, IndexTask
from tests.factories import docx_bytes, login, make_material, make_subject, make_user


@pytest.fixture(autouse=True)
def empty_index():  # type: ignore[no-untyped-def]
    get_index().clear()
    yield
    get_index().clear()


@pytest.fixture
def people():  # type: ignore[no-untyped-def]
    return {
        "teacher": make_user(Role.TEACHER, email="t@school.ru"),
        "author": make_user(Role.TEACHER, email="author@school.ru"),
        "methodist": make_user(Role.METHODIST, email="m@school.ru"),
    }


def titles(client, q: str, **args) -> list[str]:  # type: ignore[no-untyped-def]
    import re

    html = client.get("/search", query_string={"q": q, **args}).get_data(as_text=True)
    return [
        re.sub(r"</?mark>", "", t)
        for t in re.findall(r'card-title mb-1"><a href="[^"]+">(.*?)</a>', html)
    ]


def test_inflected_and_suppletive_forms_find_the_file_text(people, client):
    make_material(
        people["methodist"],
        title="Сборник для воспитателей",
        content=docx_bytes("Методических рекомендаций много. Развитие речи детей. Наряжаем ёлку."),
    )
    indexing.drain()
    login(client, people["teacher"])
    for query in ("методическая рекомендация", "ребёнок", "ребенок", "елка", "ёлка", "речь"):
        assert titles(client, query) == ["Сборник для воспитателей"], query


def test_teacher_never_sees_unpublished_whatever_the_query(people, client):
    methodist, author = people["methodist"], people["author"]
    make_material(methodist, title="Опубликованная программа по химии")
    make_material(author, title="Черновик программы по химии", action="draft")
    returned = make_material(author, title="Возвращённая программа по химии", action="submit")
    materials.change_status(returned, methodist, "return", "исправить")
    archived = make_material(methodist, title="Архивная программа по химии")
    materials.change_status(archived, methodist, "archive")
    make_material(author, title="Программа по химии на экспертизе", action="submit")
    indexing.drain()
    login(client, people["teacher"])
    for query, extra in [
        ("программа химия", {}),
        ("программа", {"status": "draft"}),
        ("программа", {"status": ["draft", "returned", "archived", "review"]}),
        ("химия OR черновик OR архивная", {}),
    ]:
        assert titles(client, query, **extra) == ["Опубликованная программа по химии"], query
    # Field syntax is only words: it can narrow the results, never widen them.
    assert set(titles(client, "status:draft программа")) <= {"Опубликованная программа по химии"}
    reviewer = client.application.test_client()
    login(reviewer, methodist)
    assert len(titles(reviewer, "программа химия")) == 5
    assert titles(reviewer, "программа", status="draft") == ["Черновик программы по химии"]


BAD_QUERIES = [
    "",
    "   ",
    "слово " * 2000,
    "*",
    "a*",
    "[a TO z]",
    "status:draft",
    "(" * 2000 + "речь" + ")" * 2000,
    "речь\x00детей",
    '"><script>alert(1)</script>',
    '"незакрытая кавычка',
    "- - -",
    "ИЛИ ИЛИ OR",
]


@pytest.mark.parametrize("query", BAD_QUERIES, ids=range(len(BAD_QUERIES)))
def test_abusive_queries_get_results_or_a_plain_message_fast(people, client, query):
    make_material(people["methodist"], title="Развитие речи детей")
    indexing.drain()
    login(client, people["teacher"])
    started = time.perf_counter()
    response = client.get("/search?q=" + quote(query))
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed < 1.0
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "Traceback" not in html


def test_lone_surrogate_and_invalid_utf8_in_url(people, client):
    login(client, people["teacher"])
    for raw in ("%ED%A0%80", "%FF%FE", "%00"):
        assert client.get("/search?q=" + raw).status_code == 200


def test_query_is_escaped_where_echoed(people, client):
    login(client, people["teacher"])
    html = client.get("/search", query_string={"q": '"><script>x</script>'}).get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&#34;&gt;&lt;script&gt;" in html or "&quot;&gt;&lt;script&gt;" in html


def test_facets_narrow_and_snippets_are_highlighted(people, client):
    math, physics = make_subject("Математика"), make_subject("Физика")
    make_material(
        people["methodist"],
        title="Проектная деятельность: математика",
        subject_ids=[math.id],
        content=docx_bytes("Проекты обучающихся по математике"),
    )
    make_material(
        people["methodist"],
        title="Проектная деятельность: физика",
        subject_ids=[physics.id],
        content=docx_bytes("Проекты обучающихся по физике"),
    )
    indexing.drain()
    login(client, people["teacher"])
    html = client.get("/search", query_string={"q": "проект"}).get_data(as_text=True)
    assert 'data-facet="subject"' in html and 'Математика</a> <span class="text-muted">(1)' in html
    assert "<mark>" in html
    assert titles(client, "проект", subject=str(math.id)) == ["Проектная деятельность: математика"]


def test_suggestion_for_a_misspelt_word(people, client):
    make_material(people["methodist"], title="Математика в начальной школе")
    indexing.drain()
    login(client, people["teacher"])
    html = client.get("/search", query_string={"q": "матиматика"}).get_data(as_text=True)
    assert "Возможно, вы имели в виду" in html and "математика" in html


def _task_count() -> int:
    return db.session.execute(select(func.count()).select_from(IndexTask)).scalar_one()


def test_every_change_is_recorded_in_its_own_transaction(people):
    material = make_material(
        people["methodist"], title="Первое название", content=docx_bytes("текст файла")
    )
    assert _task_count() == 1
    indexing.drain()
    assert _task_count() == 0
    db.session.refresh(material)
    assert material.index_state == IndexState.INDEXED
    # A download (counters only) does not queue work; an edit does.
    db.session.execute(update(Material).values(download_count=Material.download_count + 1))
    db.session.commit()
    assert _task_count() == 0
    materials.update_material(
        material, materials.MaterialData(title="Второе название"), people["methodist"]
    )
    assert _task_count() == 1
    db.session.refresh(material)
    assert material.index_state == IndexState.PENDING
    indexing.drain()
    assert [h.id for h in get_index().search(_request("второе")).hits] == [material.doc_id]
    assert get_index().search(_request("первое")).hits == []
    materials.change_status(material, people["methodist"], "archive")
    indexing.drain()
    assert get_index().search(_request("второе", status=["published"])).hits == []


def _request(q: str, status: list[str] | None = None):  # type: ignore[no-untyped-def]
    from search_index import SearchRequest

    return SearchRequest(q=q, restrict={"status": status} if status else {})


def test_crash_before_the_index_write_loses_nothing(people):
    """The change is committed with its task; the worker that died never ran. A new one does."""
    material = make_material(people["methodist"], title="Переживший сбой материал")
    assert get_index().search(_request("переживший")).hits == []
    assert _task_count() >= 1
    indexing.drain(holder="restarted-worker")
    assert [h.id for h in get_index().search(_request("переживший")).hits] == [material.doc_id]


def test_locked_index_delays_and_reports_but_loses_nothing(people, app):
    material = make_material(people["methodist"], title="Терпеливый материал")
    index = get_index()
    old_timeout = index.lock_timeout
    index.lock_timeout = 0.2
    generation = index.current_generation()
    from whoosh import index as windex

    lock = windex.open_dir(str(Path(index.index_dir) / generation)).lock("WRITELOCK")
    assert lock.acquire(False)
    try:
        assert indexing.process_batch("worker-a") == 0
    finally:
        lock.release()
        index.lock_timeout = old_timeout
    db.session.expire_all()
    assert db.session.get(Material, material.id).index_state == IndexState.ERROR
    task = db.session.execute(select(IndexTask)).scalar_one()
    assert task.attempts == 1 and task.last_error
    # After the back-off the same work lands.
    db.session.execute(update(IndexTask).values(available_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    indexing.drain(holder="worker-a")
    assert [h.id for h in index.search(_request("терпеливый")).hits] == [material.doc_id]
    assert db.session.get(Material, material.id).index_state == IndexState.INDEXED


def test_second_worker_waits_for_the_lease(people):
    make_material(people["methodist"], title="Материал для двух обработчиков")
    assert indexing.acquire_lease("worker-a")
    assert indexing.process_batch("worker-b") == 0
    assert _task_count() >= 1
    indexing.release_lease("worker-a")
    assert indexing.process_batch("worker-b") >= 1


def test_two_workers_at_once_neither_lose_nor_duplicate(people, app):
    created = [
        make_material(
            people["methodist"], title=f"Материал номер {n}", content=docx_bytes(f"текст {n}")
        )
        for n in range(12)
    ]
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with app.app_context():
                for _ in range(50):
                    indexing.process_batch(name, limit=3)
                    if not _task_count():
                        break
                    time.sleep(0.01)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    indexing.drain()
    assert _task_count() == 0
    assert get_index().doc_count() == len(created)
    hits = get_index().search(_request("материал номер")).hits
    assert sorted(h.id for h in hits) == sorted(m.doc_id for m in created)


def test_deleting_the_index_folder_falls_back_to_simple_search_until_reindex(people, client, app):
    make_material(people["methodist"], title="Развитие речи дошкольников")
    indexing.drain()
    index = get_index()
    shutil.rmtree(index.index_dir)
    login(client, people["teacher"])
    html = client.get("/search", query_string={"q": "речи"}).get_data(as_text=True)
    assert "упрощённом режиме" in html and "Развитие речи дошкольников" in html
    assert client.get("/healthz").get_json()["failing"] == ["index"]
    # Queued work waits rather than building a partial index.
    make_material(people["methodist"], title="Ещё один материал")
    indexing.drain()
    assert not index.exists()
    assert indexing.reindex() == 2
    assert get_index().exists(), get_index().check()
    html = client.get("/search", query_string={"q": "речь"}).get_data(as_text=True)
    assert "упрощённом режиме" not in html
    assert titles(client, "речь") == ["Развитие речи дошкольников"]
    assert client.get("/healthz").status_code == 200


def test_hostile_file_keeps_its_material_with_a_reason(people):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<a>" + "A" * 60_000_000 + "</a>")
    material = make_material(
        people["methodist"],
        title="Подозрительный файл",
        content=buffer.getvalue(),
        filename="bomb.docx",
    )
    started = time.perf_counter()
    indexing.drain()
    assert time.perf_counter() - started < 30
    file = db.session.execute(select(StoredFile)).scalar_one()
    assert file.text_status == "failed" and file.text_reason
    db.session.refresh(material)
    assert material.status == MaterialStatus.PUBLISHED
    assert material.index_state == IndexState.INDEXED
    assert [h.id for h in get_index().search(_request("подозрительный")).hits] == [material.doc_id]


def test_a_fresh_install_is_healthy_without_reindex(client):
    index = get_index()
    shutil.rmtree(index.index_dir)  # as after `db upgrade`: no index folder yet
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"]["index"]["ok"] is True
    assert index.exists() and index.doc_count() == 0


def test_a_fresh_install_searches_and_indexes_without_reindex(people, client):
    index = get_index()
    shutil.rmtree(index.index_dir)
    login(client, people["teacher"])
    html = client.get("/search", query_string={"q": "речь"}).get_data(as_text=True)
    assert "упрощённом режиме" not in html
    assert index.exists()
    shutil.rmtree(index.index_dir)
    # The first material reaches the worker before anyone searched.
    make_material(people["methodist"], title="Развитие речи дошкольников")
    assert indexing.drain() == 1
    assert index.exists()
    assert titles(client, "речь") == ["Развитие речи дошкольников"]
