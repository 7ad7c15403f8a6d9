"""The user query language, parsed by hand.

Whoosh's QueryParser is deliberately not used: its field syntax
(``status:draft``), wildcards and ranges would let a query reach fields and
costs the caller never meant to expose. Here everything a user types is either
a word, a phrase, an exclusion or an alternative:

* words are ANDed: ``методическая рекомендация``;
* ``"quotes"`` make a phrase (an unclosed quote runs to the end);
* ``-word`` or ``-"a phrase"`` excludes;
* ``ИЛИ`` or ``OR`` between two items offers alternatives. Only the uppercase
  spellings are operators (the search-engine convention); lowercase "или"/"or"
  are ordinary stop words. ``OR`` binds tighter than the implicit AND:
  ``a b ИЛИ c d`` means a AND (b OR c) AND d;
* parentheses and every other punctuation mark are plain separators.

A chunk that analysis splits into several terms (``10-11``,
``научно-методический``, ``status:draft``) is searched as a phrase of those
terms, which is how the index sees the same text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from search_index.analysis import iter_words, lemmas
from search_index.models import QueryError

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 32
MAX_PHRASE_VARIANTS = 8

#: Anything longer than this is rejected before normalisation touches it, so
#: a megabyte pasted into the box costs nothing.
_RAW_LIMIT = MAX_QUERY_CHARS * 8

_OR_WORDS = frozenset({"ИЛИ", "OR"})
_QUOTES = str.maketrans(dict.fromkeys("«»“”„‟″＂", '"'))
_MINUSES = str.maketrans(dict.fromkeys("−‒–", "-"))
_SPACE_RE = re.compile(r"\s+")
# A lexer token: a (possibly negated) quoted phrase, or a run of non-space
# characters other than quotes and parentheses.
_LEX_RE = re.compile(r'(-?)"([^"]*)"?|[^\s"()]+')

TOO_LONG = f"Запрос слишком длинный: не более {MAX_QUERY_CHARS} символов."
TOO_MANY_TERMS = f"Слишком много слов в запросе: не более {MAX_QUERY_TERMS}."
NOTHING_TO_SEARCH = "В запросе нет слов для поиска: только служебные слова и знаки."


@dataclass(frozen=True, slots=True)
class Word:
    """One query word: the form typed (normalised) and the lemmas it may be."""

    text: str
    lemmas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Phrase:
    """Consecutive words, matched at adjacent positions; ``terms`` holds each
    word's possible lemmas."""

    words: tuple[str, ...]
    terms: tuple[tuple[str, ...], ...]

    def variants(self) -> list[tuple[str, ...]]:
        """Term sequences to look for: every combination of readings while
        there are few, else the most probable reading of each word."""
        combos: list[tuple[str, ...]] = [()]
        for options in self.terms:
            combos = [(*combo, term) for combo in combos for term in options]
            if len(combos) > MAX_PHRASE_VARIANTS:
                return [tuple(options[0] for options in self.terms)]
        return combos


Unit = Word | Phrase


@dataclass(slots=True)
class ParsedQuery:
    """AND of ``groups`` (each an OR of units), minus anything in ``excluded``."""

    groups: list[list[Unit]] = field(default_factory=list)
    excluded: list[Unit] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.excluded

    @property
    def has_positive(self) -> bool:
        return bool(self.groups)

    def positive_units(self) -> list[Unit]:
        return [unit for group in self.groups for unit in group]

    def highlight_terms(self) -> frozenset[str]:
        """Index terms worth marking in titles and snippets."""
        terms: set[str] = set()
        for unit in self.positive_units():
            if isinstance(unit, Word):
                terms.update(unit.lemmas)
            else:
                for options in unit.terms:
                    terms.update(options)
        return frozenset(terms)


def normalize_query(raw: str) -> str:
    """NFKC, no NUL/control characters/lone surrogates, single spaces."""
    if len(raw) > _RAW_LIMIT:
        raise QueryError(TOO_LONG)
    # Control and line-separator characters separate words; invisible format
    # characters (soft hyphens, zero-width joiners, direction marks) and lone
    # surrogates are dropped so they cannot split or disguise a word.
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in raw
        if unicodedata.category(ch) not in ("Cs", "Cf") and ch != "\x00"
    )
    text = unicodedata.normalize("NFKC", cleaned)
    text = text.translate(_QUOTES).translate(_MINUSES)
    return _SPACE_RE.sub(" ", text).strip()


def _unit_for(text: str) -> Unit | None:
    words = [word for word, _, _ in iter_words(text)]
    if not words:
        return None
    if len(words) == 1:
        return Word(words[0], lemmas(words[0]))
    return Phrase(tuple(words), tuple(lemmas(word) for word in words))


def parse_query(raw: str) -> ParsedQuery:
    """Parse what the user typed; raise :class:`QueryError` with a message."""
    text = normalize_query(raw)
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(TOO_LONG)
    parsed = ParsedQuery()
    if not text:
        return parsed

    pending_or = False
    last_group: list[Unit] | None = None
    term_count = 0
    saw_input = False
    for match in _LEX_RE.finditer(text):
        token = match.group(0)
        if token in _OR_WORDS:
            saw_input = True
            pending_or = last_group is not None
            continue
        negated = False
        if match.group(2) is not None:
            negated = match.group(1) == "-"
            content = match.group(2)
        else:
            negated = token.startswith("-") and len(token) > 1
            content = token[1:] if negated else token
        if content.strip():
            saw_input = True
        unit = _unit_for(content)
        if unit is None:
            continue
        term_count += len(unit.terms) if isinstance(unit, Phrase) else 1
        if term_count > MAX_QUERY_TERMS:
            raise QueryError(TOO_MANY_TERMS)
        if negated:
            parsed.excluded.append(unit)
            pending_or = False
            continue
        if pending_or and last_group is not None:
            if unit not in last_group:
                last_group.append(unit)
        else:
            last_group = [unit]
            parsed.groups.append(last_group)
        pending_or = False

    if parsed.is_empty and saw_input:
        raise QueryError(NOTHING_TO_SEARCH)
    return parsed
