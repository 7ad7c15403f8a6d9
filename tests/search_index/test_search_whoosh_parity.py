"""Our search core against Whoosh's own public API and its BM25F.

The core reads whoosh3's codec internals for speed (docsets.USE_CODEC_INTERNALS)
and ranks with its own BM25F over cached postings. Here the same corpus is
asked three ways, and they must agree:

* through our index with the internals (the production path);
* through our index with the public matcher API only;
* through Whoosh itself: ``Searcher.search`` with ``And``/``Or``/``Term``/
  ``Phrase`` queries and ``scoring.BM25F``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from whoosh import fields, scoring
from whoosh import index as windex
from whoosh import query as wq

from search_index import IndexDocument, SearchIndex, SearchRequest, docsets
from search_index.analysis import RussianAnalyzer
from search_index.query import Phrase, Word, parse_query
from search_index.schema import TEXT_FIELDS

# (title, keywords, annotation, body): lengths differ so that BM25's length
# normalisation matters, and some words recur across fields.
CORPUS: list[tuple[str, str, str, str]] = [
    (
        "Методические рекомендации по математике",
        "математика, урок",
        "Рекомендации для учителей математики основной школы",
        "Урок математики строится из трёх частей. Методические рекомендации "
        "помогают учителю спланировать урок.",
    ),
    (
        "Урок математики в 5 классе",
        "урок, 5 класс",
        "Конспект открытого урока",
        "Открытый урок по математике: дроби, задачи на движение, самостоятельная работа.",
    ),
    (
        "Олимпиада по математике",
        "олимпиада",
        "Задания школьного этапа олимпиады",
        "Олимпиадные задачи по математике для 7–8 классов с решениями и критериями оценки.",
    ),
    (
        "Рабочая программа по физике",
        "физика, программа",
        "Программа для 7–9 классов",
        "Программа включает лабораторные работы, методические рекомендации по оцениванию "
        "и тематическое планирование уроков физики.",
    ),
    (
        "Методические рекомендации",
        "",
        "",
        "Методические рекомендации по организации проектной деятельности учащихся. "
        + "Проектная деятельность развивает самостоятельность. " * 6,
    ),
    (
        "Внеклассное мероприятие",
        "воспитание",
        "Сценарий праздника для начальной школы",
        "Праздник проводится в актовом зале; дети читают стихи, учитель ведёт викторину.",
    ),
    (
        "Развитие речи дошкольников",
        "речь, детский сад",
        "Игры для развития речи",
        "Дидактические игры на развитие речи детей дошкольного возраста.",
    ),
    (
        "Математика для дошкольников",
        "математика, детский сад",
        "",
        "Счёт, формы и величины: математика в игре. Урок-игра для старшей группы.",
    ),
    (
        "Урок физики: давление",
        "физика, урок",
        "Технологическая карта урока",
        "Урок физики о давлении твёрдых тел; методические рекомендации к опытам.",
    ),
    (
        "Сборник задач",
        "задачи",
        "Задачи по математике и физике",
        "Задачи на движение, работу и проценты. Математика и физика в одном сборнике. "
        "Математика помогает физике.",
    ),
]

QUERIES = [
    "математика",
    "урок",
    "методические рекомендации",
    "урок математика",
    "физика урок",
    "задача",
    "речь ребёнок",
    "игра",
    "математика -олимпиада",
    '"методические рекомендации"',
]


def _doc_id(number: int) -> str:
    return f"material:{number}"


def _documents() -> Iterator[IndexDocument]:
    for number, (title, keywords, annotation, body) in enumerate(CORPUS):
        yield IndexDocument(
            _doc_id(number),
            "material",
            title=title,
            keywords=keywords,
            annotation=annotation,
            body=body,
        )


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    index = SearchIndex(str(tmp_path_factory.mktemp("ours") / "ix"))
    index.rebuild(_documents())
    yield index
    index.close()


@pytest.fixture(scope="module")
def plain_whoosh(tmp_path_factory: pytest.TempPathFactory) -> windex.FileIndex:
    """The same documents in a stock Whoosh index: stock TEXT fields (stock
    positions format, no field boost in the stored weights), same analyzer."""
    path = tmp_path_factory.mktemp("plain")
    schema = fields.Schema(id=fields.ID(stored=True, unique=True))
    for name in TEXT_FIELDS:
        schema.add(name, fields.TEXT(analyzer=RussianAnalyzer(), phrase=True))
    ix = windex.create_in(str(path), schema)
    writer = ix.writer()
    for doc in _documents():
        writer.add_document(
            id=doc.id,
            title=doc.title,
            keywords=doc.keywords,
            annotation=doc.annotation,
            body=doc.body,
        )
    writer.commit()
    return ix


def _public_api_query(q: str, boosted: bool = False) -> wq.Query:
    """The user's query in Whoosh's own query objects, as our core means it:
    every word or phrase in any text field (each field's match weighted by its
    boost when ``boosted``), words ANDed, ``-`` excluded."""

    def unit_query(unit: Word | Phrase) -> wq.Query:
        alternatives: list[wq.Query] = []
        for fieldname, boost in TEXT_FIELDS.items():
            weight = boost if boosted else 1.0
            if isinstance(unit, Word):
                alternatives += [wq.Term(fieldname, t, boost=weight) for t in unit.lemmas]
            else:
                alternatives += [
                    wq.Phrase(fieldname, list(seq), boost=weight) for seq in unit.variants()
                ]
        return wq.Or(alternatives)

    parsed = parse_query(q)
    positive = [wq.Or([unit_query(u) for u in group]) for group in parsed.groups]
    query: wq.Query = wq.And(positive)
    for unit in parsed.excluded:
        query = wq.AndNot(query, unit_query(unit))
    return query


def _our_hits(index: SearchIndex, q: str) -> list[tuple[str, float]]:
    hits = index.search(SearchRequest(q=q, per_page=100)).hits
    return [(hit.id, hit.score) for hit in hits]


@pytest.mark.parametrize("q", QUERIES)
def test_public_searcher_finds_the_same_documents(
    ours: SearchIndex, q: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    generation = ours.current_generation()
    assert generation is not None
    ix = windex.open_dir(os.path.join(ours.index_dir, generation))
    with ix.searcher() as searcher:
        expected = {hit["id"] for hit in searcher.search(_public_api_query(q), limit=None)}
    assert expected, f"the corpus should match {q!r}"
    assert {doc_id for doc_id, _ in _our_hits(ours, q)} == expected

    # The same answers, scores included, without the codec internals.
    fast = _our_hits(ours, q)
    monkeypatch.setattr(docsets, "USE_CODEC_INTERNALS", False)
    with SearchIndex(ours.index_dir) as public_only:
        assert _our_hits(public_only, q) == fast


def test_the_expected_sets_are_not_trivial(ours: SearchIndex) -> None:
    """The parity above means something only if queries select differently."""
    assert [doc_id for doc_id, _ in _our_hits(ours, "олимпиада")] == ["material:2"]
    assert {doc_id for doc_id, _ in _our_hits(ours, "математика -олимпиада")} == {
        "material:0",
        "material:1",
        "material:7",
        "material:9",
    }
    assert {doc_id for doc_id, _ in _our_hits(ours, "речь ребёнок")} == {"material:6"}


#: Relative difference allowed between our scores and Whoosh's. Both apply
#: one formula, in 64-bit floats, to the same statistics: integer term
#: frequencies (exact even in our float32 weight arrays), document
#: frequencies, per-document lengths and the segments' exact length totals.
#: Only the order of the additions differs, about 1e-16 relative. 1e-9 leaves
#: room for that and still catches any change of B, K1, the idf or the
#: average length: averaging the byte-rounded per-document lengths instead of
#: the exact totals, for one, moved scores here by 0.1-0.2%.
SCORE_TOLERANCE = 1e-9


# Phrases are left out: we rank a phrase's documents by its words' BM25F,
# Whoosh scores phrase matches by their own frequency.
@pytest.mark.parametrize("q", [q for q in QUERIES if '"' not in q])
def test_ranking_matches_whoosh_bm25f(
    ours: SearchIndex, plain_whoosh: windex.FileIndex, q: str
) -> None:
    """Our BM25F: per field, BM25 on the field's own term frequency, times the
    field's boost, summed over fields and terms. In Whoosh that is
    ``scoring.BM25F`` over unboosted stored weights with each field's
    ``Term`` boosted, the field clauses ORed (Whoosh adds their scores)."""
    weighting = scoring.BM25F(B=docsets.BM25_B, K1=docsets.BM25_K1)
    with plain_whoosh.searcher(weighting=weighting) as searcher:
        results = searcher.search(_public_api_query(q, boosted=True), limit=None)
        theirs = [(hit["id"], hit.score) for hit in results]
    mine = _our_hits(ours, q)
    assert [doc_id for doc_id, _ in mine[:5]] == [doc_id for doc_id, _ in theirs[:5]]
    assert [doc_id for doc_id, _ in mine] == [doc_id for doc_id, _ in theirs]
    for (doc_id, my_score), (_, their_score) in zip(mine, theirs, strict=True):
        assert my_score == pytest.approx(their_score, rel=SCORE_TOLERANCE), doc_id


def test_ranking_puts_title_matches_first(ours: SearchIndex) -> None:
    """A sanity anchor written out by hand: "методические рекомендации" in the
    title and the body beats the same words in the body only."""
    ranked = [doc_id for doc_id, _ in _our_hits(ours, "методические рекомендации")]
    assert ranked.index("material:0") < ranked.index("material:3")
    assert ranked.index("material:4") < ranked.index("material:8")


def test_parity_fixture_is_a_stock_whoosh_index(plain_whoosh: windex.FileIndex) -> None:
    fieldobj = plain_whoosh.schema["title"]
    assert type(fieldobj.format).__module__ == "whoosh.formats"
    assert fieldobj.format.field_boost == 1.0
