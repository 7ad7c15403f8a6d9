"""The hand-written query parser and hostile query input."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from search_index import IndexDocument, QueryError, SearchIndex, SearchRequest
from search_index.query import (
    MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
    Phrase,
    Word,
    normalize_query,
    parse_query,
)


def test_words_are_anded_and_lemmatised() -> None:
    parsed = parse_query("Методические рекомендации")
    assert [[unit] for unit in parsed.positive_units()] == parsed.groups
    first, second = parsed.positive_units()
    assert isinstance(first, Word) and first.lemmas[0] == "методический"
    assert isinstance(second, Word) and second.lemmas[0] == "рекомендация"


def test_quotes_make_a_phrase_and_minus_excludes() -> None:
    parsed = parse_query('"открытый урок" -физика -"начальная школа"')
    assert parsed.groups == [[Phrase(("открытый", "урок"), (("открытый",), ("урок",)))]]
    excluded = parsed.excluded[0]
    assert isinstance(excluded, Word) and excluded.lemmas[0] == "физика"
    assert isinstance(parsed.excluded[1], Phrase)


def test_or_binds_alternatives_uppercase_only() -> None:
    parsed = parse_query("урок физики ИЛИ химии план")
    assert [len(group) for group in parsed.groups] == [1, 2, 1]
    # Lowercase "или" is a stop word, not an operator.
    assert [len(group) for group in parse_query("физика или химия").groups] == [1, 1]
    assert [len(group) for group in parse_query("physics OR chemistry").groups] == [2]
    # Dangling operators are ignored.
    assert [len(group) for group in parse_query("ИЛИ урок ИЛИ").groups] == [1]


def test_multi_term_chunks_are_phrases() -> None:
    (unit,) = parse_query("10-11").positive_units()
    assert unit == Phrase(("10", "11"), (("10",), ("11",)))
    (unit,) = parse_query("научно-методический").positive_units()
    assert isinstance(unit, Phrase)


@pytest.mark.parametrize(
    "raw",
    [
        "status:draft",
        "title:урок",
        "урок*",
        "*",
        "[a TO z]",
        "{1 TO 9}",
        "урок~2",
        "урок^10",
        "урок AND физика NOT химия",
        "(((урок)))",
        "урок\x00физика",
        "урок\ud800",
        '"><script>alert(1)</script>',
        "'; DROP TABLE materials; --",
        "\u202eкоруок",
    ],
)
def test_syntax_is_never_special(raw: str) -> None:
    try:
        parsed = parse_query(raw)
    except QueryError as error:
        assert str(error)
        return
    # Whatever was typed became plain words and phrases of words.
    for unit in parsed.positive_units() + parsed.excluded:
        words = unit.words if isinstance(unit, Phrase) else (unit.text,)
        assert all(word.isalnum() for word in words), unit


def test_nul_and_surrogates_are_stripped() -> None:
    assert normalize_query("у\x00рок\ud800 \udfff") == "урок"
    assert normalize_query("мето\u00adди\u200bческий\u202e") == "методический"
    assert normalize_query("урок\tфизики\u2028химии") == "урок физики химии"


@pytest.mark.parametrize(
    "raw",
    [
        "(" * 2000 + "урок" + ")" * 2000,
        "урок " * 2000,
        "а" * 10_000,
        '"' * 5000,
        "-" * 5000,
        "ИЛИ " * 1000,
        "\x00" * 10_000,
        "\ud800" * 3000,
        "😀" * 3000,
    ],
)
def test_hostile_queries_are_fast(index: SearchIndex, raw: str) -> None:
    index.apply([IndexDocument("m:1", "material", "Урок", body="урок физики")], [])
    started = time.monotonic()
    try:
        results = index.search(SearchRequest(q=raw))
        assert results.total >= 0
    except QueryError as error:
        assert str(error)
    assert time.monotonic() - started < 0.5


def test_bounds_have_plain_russian_messages() -> None:
    with pytest.raises(QueryError, match="слишком длинный"):
        parse_query("урок " * (MAX_QUERY_CHARS // 4))
    with pytest.raises(QueryError, match="Слишком много слов"):
        parse_query(" ".join(f"слово{i}" for i in range(MAX_QUERY_TERMS + 1)))
    with pytest.raises(QueryError, match="нет слов для поиска"):
        parse_query("и или но *** ???")
    with pytest.raises(QueryError, match="нет слов для поиска"):
        parse_query("ИЛИ")


def test_empty_query_is_browse_mode() -> None:
    assert parse_query("").is_empty
    assert parse_query("   \t\n ").is_empty
    assert parse_query("(((   )))").is_empty


def test_field_syntax_does_not_reveal_restricted_documents(index: SearchIndex) -> None:
    created = datetime(2024, 1, 1, tzinfo=UTC)
    index.apply(
        [
            IndexDocument(
                "material:1",
                "material",
                "Черновик урока",
                body="секретный черновик",
                filters={"status": ["draft"]},
                created=created,
            ),
            IndexDocument(
                "material:2",
                "material",
                "Опубликованный урок",
                body="открытый материал",
                filters={"status": ["published"]},
                created=created,
            ),
        ],
        [],
    )
    restrict = {"status": ["published"]}
    for q in (
        "status:draft",
        "draft",
        "черновик",
        "секретный",
        "status:draft OR status:published",
        "id:material:1",
        "kind:material status:draft",
        "черновик*",
        "",
    ):
        results = index.search(SearchRequest(q=q, restrict=restrict))
        assert {hit.id for hit in results.hits} <= {"material:2"}, q
        assert all(value == "published" for value, _ in results.facets["status"]), q
    # The restriction cannot be widened through filters either.
    widened = index.search(SearchRequest(q="", restrict=restrict, filters={"status": ["draft"]}))
    assert widened.total == 0
    assert widened.hits == []


def test_unknown_restriction_field_is_an_error(index: SearchIndex) -> None:
    index.apply([IndexDocument("m:1", "material", "Урок")], [])
    with pytest.raises(ValueError):
        index.search(SearchRequest(q="урок", restrict={"owner": ["1"]}))
    # Unknown user filters are ignored: they come from URLs.
    assert index.search(SearchRequest(q="урок", filters={"owner": ["1"]})).total == 1
