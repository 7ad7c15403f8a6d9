"""The index: writing, rebuilding, concurrency, facets, snippets, paging."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from search_index import (
    IndexBusy,
    IndexDocument,
    SearchIndex,
    SearchRequest,
)

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2024, 1, 1, tzinfo=UTC)


def material(number: int, title: str, body: str = "", **filters: list[str]) -> IndexDocument:
    return IndexDocument(
        id=f"material:{number}",
        kind="material",
        title=title,
        body=body,
        filters=dict(filters),
        created=START + timedelta(days=number),
        downloads=number * 10 % 70,
    )


def all_ids(index: SearchIndex, **request: object) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        results = index.search(SearchRequest(page=page, per_page=100, **request))  # type: ignore[arg-type]
        ids.extend(hit.id for hit in results.hits)
        if len(results.hits) < 100:
            return ids
        page += 1


# -- writing -------------------------------------------------------------------


def test_missing_index_searches_empty_and_reports_unhealthy(index: SearchIndex) -> None:
    assert not index.exists()
    assert index.check().ok is False
    results = index.search(SearchRequest(q="урок"))
    assert results.total == 0 and results.hits == []
    index.create()
    assert index.exists()
    status = index.check()
    assert status.ok and status.doc_count == 0 and status.generation


def test_upsert_replaces_and_delete_removes(index: SearchIndex) -> None:
    index.apply([material(1, "Урок физики"), material(2, "Урок химии")], [])
    index.apply([material(1, "Урок астрономии")], [])
    index.apply([material(1, "Урок астрономии"), material(1, "Урок геометрии")], [])
    assert index.doc_count() == 2
    assert all_ids(index, q="геометрия") == ["material:1"]
    assert all_ids(index, q="физика") == []
    index.apply([material(3, "Урок биологии")], ["material:2", "material:3"])
    assert sorted(all_ids(index)) == ["material:1"]
    index.apply([], ["material:404"])
    assert index.doc_count() == 1


def test_invalid_documents_are_rejected_before_writing(index: SearchIndex) -> None:
    with pytest.raises(ValueError):
        index.apply([IndexDocument("", "material", "Без id")], [])
    with pytest.raises(ValueError):
        index.apply([IndexDocument("m:1", "material", "x", filters={"owner": ["1"]})], [])
    assert index.doc_count() == 0


def test_second_instance_sees_commits(tmp_path: Path) -> None:
    with SearchIndex(str(tmp_path / "ix")) as writer, SearchIndex(str(tmp_path / "ix")) as reader:
        writer.apply([material(1, "Первый урок")], [])
        assert reader.search(SearchRequest(q="урок")).total == 1
        writer.apply([material(2, "Второй урок")], [])
        assert reader.search(SearchRequest(q="урок")).total == 2


def test_locked_index_raises_index_busy_and_stays_intact(tmp_path: Path) -> None:
    with SearchIndex(str(tmp_path / "ix"), lock_timeout=0.5) as index:
        index.apply([material(1, "Урок")], [])
        generation = index.current_generation()
        assert generation is not None
        lock = whoosh_index.open_dir(str(tmp_path / "ix" / generation)).lock("WRITELOCK")
        assert lock.acquire()
        try:
            started = time.monotonic()
            with pytest.raises(IndexBusy):
                index.apply([material(2, "Урок")], [])
            assert 0.4 < time.monotonic() - started < 3
            assert index.search(SearchRequest(q="урок")).total == 1
        finally:
            lock.release()
        index.apply([material(2, "Урок")], [])
        assert index.doc_count() == 2
        assert index.check().ok


def test_two_writers_in_threads_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "ix")
    SearchIndex(path).create()
    errors: list[BaseException] = []

    def write(offset: int) -> None:
        try:
            with SearchIndex(path, lock_timeout=30) as index:
                for batch in range(10):
                    docs = [material(offset + batch * 5 + i, f"Урок {i}") for i in range(5)]
                    index.apply(docs, [])
                    # Re-sending a batch (a retried queue item) must not duplicate.
                    index.apply(docs[:1], [])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(offset,)) for offset in (0, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with SearchIndex(path) as index:
        ids = all_ids(index)
        assert len(ids) == len(set(ids)) == 100
        assert index.doc_count() == 100


WRITER_SCRIPT = textwrap.dedent(
    """
    import sys
    from search_index import IndexDocument, SearchIndex
    path, offset = sys.argv[1], int(sys.argv[2])
    with SearchIndex(path, lock_timeout=60) as index:
        for batch in range(8):
            docs = [
                IndexDocument(f"material:{offset + batch * 5 + i}", "material", f"Урок {i}")
                for i in range(5)
            ]
            index.apply(docs, [])
    """
)


@pytest.mark.slow
def test_two_writer_processes_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "ix")
    SearchIndex(path).create()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, path, str(offset)], env=env)
        for offset in (0, 1000, 2000)
    ]
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0, 0]
    with SearchIndex(path) as index:
        ids = all_ids(index)
        assert len(ids) == len(set(ids)) == 120


def test_rebuild_swaps_atomically_while_searching(tmp_path: Path) -> None:
    path = str(tmp_path / "ix")
    docs = [material(i, f"Урок номер {i}", "методические рекомендации") for i in range(300)]
    with SearchIndex(path) as index:
        index.rebuild(docs)
        stop = threading.Event()
        seen: list[int] = []
        errors: list[BaseException] = []

        def search_forever() -> None:
            with SearchIndex(path) as searcher:
                while not stop.is_set():
                    try:
                        seen.append(searcher.search(SearchRequest(q="рекомендация")).total)
                    except BaseException as exc:
                        errors.append(exc)
                        return

        thread = threading.Thread(target=search_forever)
        thread.start()
        try:
            for round_ in range(3):
                index.rebuild(docs[: 300 - round_ * 50])
        finally:
            stop.set()
            thread.join()
        assert errors == []
        assert len(seen) > 3
        assert min(seen) > 0
        assert index.doc_count() == 200
        # Only the live generation and the one before it remain on disk.
        generations = [name for name in os.listdir(path) if name.startswith("g-")]
        assert len(generations) == 2


def test_apply_waiting_on_a_rebuild_lands_in_the_new_generation(tmp_path: Path) -> None:
    path = str(tmp_path / "ix")
    with SearchIndex(path, lock_timeout=30) as index:
        index.apply([material(1, "Старый урок")], [])
        started = threading.Event()

        def slow_docs():  # type: ignore[no-untyped-def]
            started.set()
            for i in range(2, 40):
                time.sleep(0.01)
                yield material(i, "Урок из базы")

        rebuild = threading.Thread(target=index.rebuild, args=(slow_docs(),))
        rebuild.start()
        started.wait()
        with SearchIndex(path, lock_timeout=30) as other:
            other.apply([material(999, "Урок после переиндексации")], [])
        rebuild.join()
        assert "material:999" in all_ids(index)
        assert index.doc_count() == 39


@pytest.mark.slow
def test_parallel_rebuild(index: SearchIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    from search_index import build

    # Small chunks so both workers get several segments' worth.
    monkeypatch.setattr(build, "CHUNK_DOCUMENTS", 300)
    monkeypatch.setattr(build, "FIRST_CHUNK", 100)
    docs = [material(i, f"Урок {i}", "работа с детьми") for i in range(1000)]
    assert index.rebuild(docs, procs=2) == 1000
    assert index.doc_count() == 1000
    assert index.search(SearchRequest(q="ребёнок")).total == 1000
    ids = all_ids(index, q="урок")
    assert len(ids) == len(set(ids)) == 1000


@pytest.mark.slow
def test_failed_parallel_rebuild_keeps_the_live_generation(index: SearchIndex) -> None:
    index.rebuild([material(i, "Урок") for i in range(10)])
    live = index.current_generation()
    broken = [material(i, "Урок") for i in range(10)]
    # Whoosh rejects the value inside a worker process.
    broken[5].downloads = 2**70
    with pytest.raises(ValueError):
        index.rebuild(broken, procs=2)
    assert index.current_generation() == live
    assert index.doc_count() == 10
    assert sorted(os.listdir(index.index_dir)) == sorted(["CURRENT", "SWAP.lock", live])
    with pytest.raises(ValueError, match="duplicate"):
        index.rebuild([material(1, "Урок"), material(1, "Урок")])
    assert index.current_generation() == live


def test_clear(index: SearchIndex) -> None:
    index.apply([material(1, "Урок")], [])
    index.clear()
    assert index.doc_count() == 0
    assert index.check().ok


# -- searching -------------------------------------------------------------------


@pytest.fixture
def catalog(index: SearchIndex) -> SearchIndex:
    docs = []
    subjects = ["Математика", "Физика", "Химия"]
    levels = ["НОО", "ООО", "СОО"]
    for i in range(1, 31):
        docs.append(
            material(
                i,
                f"Урок {i}: {'дроби' if i % 2 else 'уравнения'}",
                f"Конспект урока для {i % 11 + 1} класса. Дети работают в группах.",
                subject=[subjects[i % 3]],
                level=[levels[i % 3], levels[(i + 1) % 3]] if i % 5 == 0 else [levels[i % 3]],
                status=["published" if i <= 25 else "draft"],
                year=[str(2020 + i % 4)],
            )
        )
    docs.append(
        IndexDocument(
            "course:1",
            "course",
            "Курс: дроби для учителей",
            body="урок о дробях",
            filters={"status": ["published"]},
        )
    )
    index.apply(docs, [])
    return index


def test_facets_count_the_matched_set(catalog: SearchIndex) -> None:
    results = catalog.search(
        SearchRequest(q="дробь", restrict={"status": ["published"]}, kinds=["material"])
    )
    odd_published = [i for i in range(1, 26) if i % 2]
    assert results.total == len(odd_published)
    assert results.total_is_exact
    subjects = dict(results.facets["subject"])
    names = ["Математика", "Физика", "Химия"]
    assert subjects == {
        name: sum(1 for i in odd_published if names[i % 3] == name) for name in names
    }
    assert dict(results.facets["status"]) == {"published": results.total}
    # Sorted by count, most frequent first.
    counts = [count for _, count in results.facets["subject"]]
    assert counts == sorted(counts, reverse=True)


def test_a_fields_own_selection_does_not_narrow_its_counts(catalog: SearchIndex) -> None:
    plain = catalog.search(SearchRequest(q="урок", restrict={"status": ["published"]}))
    chosen = catalog.search(
        SearchRequest(q="урок", restrict={"status": ["published"]}, filters={"subject": ["Физика"]})
    )
    assert chosen.facets["subject"] == plain.facets["subject"]
    assert chosen.total == dict(plain.facets["subject"])["Физика"]
    # Other fields' counts do follow the selection.
    assert sum(count for _, count in chosen.facets["year"]) == chosen.total
    # OR within a field, AND across fields.
    both = catalog.search(SearchRequest(q="урок", filters={"subject": ["Физика", "Химия"]}))
    assert both.total == sum(
        dict(catalog.search(SearchRequest(q="урок")).facets["subject"])[s]
        for s in ("Физика", "Химия")
    )
    narrowed = catalog.search(
        SearchRequest(q="урок", filters={"subject": ["Физика", "Химия"], "level": ["НОО"]})
    )
    assert narrowed.total < both.total


def test_selected_value_without_matches_is_still_listed(catalog: SearchIndex) -> None:
    results = catalog.search(SearchRequest(q="урок", filters={"subject": ["Астрономия"]}))
    assert results.total == 0
    assert ("Астрономия", 0) in results.facets["subject"]


def test_browse_mode_with_filters(catalog: SearchIndex) -> None:
    results = catalog.search(SearchRequest(q="", filters={"level": ["СОО"]}, per_page=50))
    assert results.total == len(results.hits) > 0
    # Browsing lists newest first.
    assert results.hits[0].id == "material:29"


def test_kinds(catalog: SearchIndex) -> None:
    assert all_ids(catalog, q="дробь", kinds=["course"]) == ["course:1"]
    assert "course:1" not in all_ids(catalog, q="дробь", kinds=["material"])
    assert catalog.search(SearchRequest(q="дробь", kinds=[])).total == 0


def test_paging(catalog: SearchIndex) -> None:
    first = catalog.search(SearchRequest(q="урок", kinds=["material"], per_page=12))
    third = catalog.search(SearchRequest(q="урок", kinds=["material"], per_page=12, page=3))
    beyond = catalog.search(SearchRequest(q="урок", kinds=["material"], per_page=12, page=4))
    assert first.total == third.total == 30
    assert len(first.hits) == 12 and len(third.hits) == 6 and beyond.hits == []
    everything = all_ids(catalog, q="урок", kinds=["material"])
    assert len(everything) == len(set(everything)) == 30
    clamped = catalog.search(SearchRequest(q="урок", per_page=10_000, page=0))
    assert clamped.page == 1 and clamped.per_page == 100


def test_sorting(catalog: SearchIndex) -> None:
    by_date = all_ids(catalog, q="урок", kinds=["material"], sort="date")
    assert by_date == [f"material:{i}" for i in range(30, 0, -1)]
    by_downloads = catalog.search(
        SearchRequest(q="урок", kinds=["material"], sort="downloads", per_page=5)
    )
    downloads = [int(hit.id.split(":")[1]) * 10 % 70 for hit in by_downloads.hits]
    assert downloads == sorted(downloads, reverse=True) and downloads[0] == 60
    relevance = catalog.search(SearchRequest(q="дробь"))
    scores = [hit.score for hit in relevance.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    # The title field outweighs the body: the course mentions дробь in both.
    assert relevance.hits[0].id == "course:1"
    with pytest.raises(ValueError):
        catalog.search(SearchRequest(q="урок", sort="title"))  # type: ignore[arg-type]


def test_title_and_snippet_are_escaped_with_marks(index: SearchIndex) -> None:
    index.apply(
        [
            IndexDocument(
                "material:1",
                "material",
                "<b>Урок</b> & «дети»",
                annotation="Краткое описание",
                body="Начало. "
                + "Слово " * 200
                + "<script>alert('x')</script> Работа с детьми & родителями.",
            )
        ],
        [],
    )
    hit = index.search(SearchRequest(q="ребёнок урок")).hits[0]
    assert hit.title_html == "&lt;b&gt;<mark>Урок</mark>&lt;/b&gt; &amp; «<mark>дети</mark>»"
    assert "<mark>детьми</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert hit.snippet_html.startswith("…")
    assert len(hit.snippet_html) < 600
    # No match in the body: the annotation is shown, unmarked.
    other = index.search(SearchRequest(q="урок")).hits[0]
    assert other.snippet_html == "Краткое описание"


def test_phrases_exclusions_and_alternatives(index: SearchIndex) -> None:
    index.apply(
        [
            material(1, "Открытый урок", "урок для 10-11 классов"),
            material(2, "Урок открытого типа", "урок для 9 классов"),
            material(3, "Открытая лаборатория", "физика"),
        ],
        [],
    )
    assert sorted(all_ids(index, q='"открытый урок"')) == ["material:1"]
    assert sorted(all_ids(index, q="открытый урок")) == ["material:1", "material:2"]
    assert sorted(all_ids(index, q="открытый -урок")) == ["material:3"]
    assert sorted(all_ids(index, q="лаборатория ИЛИ типа")) == ["material:2", "material:3"]
    assert all_ids(index, q="10-11") == ["material:1"]
    assert all_ids(index, q="11-10") == []
    assert sorted(all_ids(index, q="-физика")) == ["material:1", "material:2"]


def test_very_common_phrases_are_approximated_and_flagged(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search_index import index as index_module

    index.apply([material(1, "Открытый урок"), material(2, "Урок открытый")], [])
    exact = index.search(SearchRequest(q='"открытый урок"'))
    assert [hit.id for hit in exact.hits] == ["material:1"] and exact.total_is_exact
    monkeypatch.setattr(index_module, "PHRASE_EXACT_LIMIT", 1)
    rough = index.search(SearchRequest(q='"открытый урок"'))
    # The count is the documents with both words; the hits shown are checked.
    assert rough.total == 2 and not rough.total_is_exact
    assert [hit.id for hit in rough.hits] == ["material:1"]
    excluded = index.search(SearchRequest(q='урок -"открытый урок"'))
    assert not excluded.total_is_exact
    assert [hit.id for hit in excluded.hits] == ["material:2"]
    alternative = index.search(SearchRequest(q='"открытый урок" ИЛИ открытый'))
    assert sorted(hit.id for hit in alternative.hits) == ["material:1", "material:2"]


def test_did_you_mean(index: SearchIndex) -> None:
    index.apply(
        [
            material(i, "Математика и физика", "Методические рекомендации по математике")
            for i in range(5)
        ],
        [],
    )
    results = index.search(SearchRequest(q="матиматика"))
    assert results.total == 0
    assert results.suggestion == "математика"
    assert index.search(SearchRequest(q="методичиская рекомендация")).suggestion == (
        "методическая рекомендация"
    )
    assert index.search(SearchRequest(q="математика")).suggestion is None
    assert "математика" in index.vocabulary_suggest("матем")


def test_suggestions_never_reveal_hidden_documents(index: SearchIndex) -> None:
    index.apply(
        [
            material(1, "Черновик: секретарский проект", status=["draft"]),
            material(2, "Открытый урок", status=["published"]),
        ],
        [],
    )
    restrict = {"status": ["published"]}
    hidden = index.search(SearchRequest(q="секретарски проект", restrict=restrict))
    assert hidden.total == 0 and hidden.suggestion is None
    visible = index.search(SearchRequest(q="секретарски проект"))
    assert visible.suggestion is not None and "секретарск" in visible.suggestion
    assert index.vocabulary_suggest("секр", restrict=restrict) == []
    assert index.vocabulary_suggest("секр") == ["секретарский"]


def test_searchers_are_reused(index: SearchIndex) -> None:
    index.apply([material(1, "Урок")], [])
    index.search(SearchRequest(q="урок"))
    pooled = list(index._pool)
    index.search(SearchRequest(q="урок"))
    assert [lease.searcher for lease in index._pool] == [lease.searcher for lease in pooled]


# -- isolation -------------------------------------------------------------------


def test_library_never_imports_flask(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        import search_index
        from search_index import SearchIndex, SearchRequest, IndexDocument, extract_text
        with SearchIndex({str(tmp_path / "ix")!r}) as index:
            index.apply([IndexDocument("m:1", "material", "Урок")], [])
            assert index.search(SearchRequest(q="урок")).total == 1
        bad = [m for m in ("flask", "app", "content_store", "werkzeug") if m in sys.modules]
        print(",".join(bad))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_index_opens_in_a_fresh_process(tmp_path: Path) -> None:
    """The schema (with the analyzer) is pickled into the index and must load
    in a process that never built it."""
    path = str(tmp_path / "ix")
    with SearchIndex(path) as index:
        index.apply([material(1, "Работа с детьми")], [])
    script = (
        "import sys\nfrom search_index import SearchIndex, SearchRequest\n"
        f"with SearchIndex({path!r}) as ix:\n"
        "    print(ix.search(SearchRequest(q='ребёнок')).total)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def test_positions_round_trip() -> None:
    from search_index.schema import LemmaPositions

    fmt = LemmaPositions(field_boost=3.0)
    for positions in ([0], [1, 5, 9], [3, 70_000, 70_001]):
        encoded = fmt.encode(positions)
        assert fmt.decode_positions(encoded) == positions
        assert fmt.decode_frequency(encoded) == len(positions)
        assert fmt.decode_weight(encoded) == 3.0 * len(positions)
