"""Russian and English text analysis shared by indexing, querying and snippets.

Whoosh pickles the schema, and with it the analyzer, into the index, so the
analyzer class must live in an importable module and carry no unpicklable
state: the pymorphy3 analyzer is created lazily, once per process.

Every path that turns text into terms (the index, the query parser, snippet
highlighting) goes through :func:`normalize_word` and :func:`lemmas`, so a word
is always reduced the same way.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import snowballstemmer
from whoosh.analysis import Analyzer, Token
from whoosh.lang.porter2 import stem as porter_stem

#: Letters and digits; everything else (hyphens, dots, apostrophes) separates
#: tokens, so "10-11" and "научно-методический" become adjacent terms that a
#: phrase query finds again.
WORD_RE = re.compile(r"[^\W_]+")

_CYRILLIC_RE = re.compile(r"[а-яё]")
_LATIN_RE = re.compile(r"[a-z]")
_DIGIT_ONLY_RE = re.compile(r"\d+")

# Latin letters that look like Cyrillic ones. Mixed-script words are almost
# always typing or OCR accidents ("урoк" with a Latin "o"); folding them makes
# such words findable.
_HOMOGLYPHS = str.maketrans("aceopxykmthb", "асеорхукмтнв")

# Words too frequent to help ranking. Kept short on purpose: numbers, "лучше",
# "хорошо" and the like carry meaning in teaching materials. Forms are
# lowercased with ё folded to е, matching normalize_word().
RUSSIAN_STOP_WORDS = frozenset(
    """
    а без бы был была были было быть в вам вас ведь во вот все всё всего всех вы
    да для до его ее её ей ему если есть еще ещё ж же за и из или им их к как
    какая какой когда кто ли либо мне мной мы на над нас не него нее неё ней
    нибудь ним них но ну о об однако он она они оно от по под при про с
    сам себе себя со так также такой там то тогда того тоже той том тот ту
    тут у уж уже чем что чтоб чтобы чье чья эта эти это этого этой этом этот
    эту я
    """.replace("ё", "е").split()
)

ENGLISH_STOP_WORDS = frozenset(
    """
    a an and are as at be been but by for from had has have if in into is it its not
    of on or such that the their then there these they this to was were will with
    """.strip().split()
)

STOP_WORDS = RUSSIAN_STOP_WORDS | ENGLISH_STOP_WORDS

#: How many distinct surface words keep their lemma cached per process.
LEMMA_CACHE_SIZE = 100_000

#: Marks a Snowball stem among the index terms. A stem is a truncated word
#: ("медиатек"); the mark keeps it from ever equalling a real lemma, and from
#: surfacing in prefix completion or "did you mean", which read plain words.
STEM_MARK = "~"

_morph: Any = None
_morph_lock = threading.Lock()
_stemmers = threading.local()


def _morph_analyzer() -> Any:
    """The process-wide pymorphy3 analyzer, created on first use."""
    global _morph
    if _morph is None:
        with _morph_lock:
            if _morph is None:
                import pymorphy3

                _morph = pymorphy3.MorphAnalyzer()
    return _morph


def _russian_stem(word: str) -> str:
    # Snowball stemmers keep state between calls: one per thread.
    stemmer = getattr(_stemmers, "russian", None)
    if stemmer is None:
        stemmer = _stemmers.russian = snowballstemmer.stemmer("russian")
    return STEM_MARK + stemmer.stemWord(word)


def is_stem(term: str) -> bool:
    return term.startswith(STEM_MARK)


def normalize_word(raw: str) -> str | None:
    """Lowercase, fold ё to е and fix Latin look-alikes; None for stop words."""
    word = raw.lower().replace("ё", "е")
    if _CYRILLIC_RE.search(word) and _LATIN_RE.search(word):
        word = word.translate(_HOMOGLYPHS)
    if word in STOP_WORDS:
        return None
    return word


#: A reading other than the most probable one is indexed too when pymorphy3
#: gives it at least this probability (see :func:`lemmas`).
ALTERNATIVE_LEMMA_SCORE = 0.3
MAX_LEMMAS = 3


@lru_cache(maxsize=LEMMA_CACHE_SIZE)
def lemmas(word: str) -> tuple[str, ...]:
    """The index terms for a normalised word, the most probable first.

    Russian words take the normal form of pymorphy3's most probable parse
    (дети → ребенок, шла → идти, лет → год). Where a second reading is nearly
    as likely it is kept as well: "математика" parses first as the genitive
    of "математик" (0.54) and only then as "математика" (0.39), and indexing
    the first alone would hide the word from the query "математикой". Both
    index and query use this set, so two forms match when they share a reading;
    marginal readings ("стали" as сталь, 0.01) stay out to keep false matches
    rare. English words take the Porter2 stem; numbers stay as they are.

    A word outside pymorphy3's dictionary gets predicted lemmas, and the
    prediction differs between forms of one word: "медиатек" is guessed as
    "медиатечь", "медиатека" as itself. Such a word also gets its Snowball
    stem (marked with STEM_MARK), the same for all its forms; dictionary
    words do not, so their matching stays exact.
    """
    if _CYRILLIC_RE.search(word):
        if _LATIN_RE.search(word) or not word.isalpha():
            return (word,)
        found: list[str] = []
        known = False
        for rank, parse in enumerate(_morph_analyzer().parse(word)):
            known = known or parse.is_known
            if rank and parse.score < ALTERNATIVE_LEMMA_SCORE:
                continue
            normal = parse.normal_form.replace("ё", "е")
            if normal not in found:
                found.append(normal)
        terms = found[:MAX_LEMMAS] or [word]
        if not known:
            terms.append(_russian_stem(word))
        return tuple(terms)
    if _DIGIT_ONLY_RE.fullmatch(word) or not word.isascii():
        return (word,)
    return (porter_stem(word),)


@lru_cache(maxsize=LEMMA_CACHE_SIZE)
def surface_terms(raw: str) -> tuple[str, ...]:
    """The index terms for a word exactly as it appears in text (empty for
    stop words): one cache lookup per word on the hot indexing and snippet
    paths."""
    word = normalize_word(raw)
    return () if word is None else lemmas(word)


@lru_cache(maxsize=LEMMA_CACHE_SIZE // 10)
def surface_forms(term: str) -> frozenset[str]:
    """Lowercase word forms (ё folded) that may carry ``term``: the paradigm of
    every reading whose lemma it is. A cheap pre-filter for highlighting;
    :func:`surface_terms` confirms each candidate."""
    forms = {term}
    if _CYRILLIC_RE.search(term) and term.isalpha():
        for parse in _morph_analyzer().parse(term):
            if parse.normal_form.replace("ё", "е") == term:
                forms.update(form.word.replace("ё", "е") for form in parse.lexeme)
    return frozenset(forms)


_CASES_NUMBERS = frozenset({"sing", "plur", "nomn", "gent", "datv", "accs", "ablt", "loct"})
_GENDERS = frozenset({"masc", "femn", "neut"})


def inflect_like(term: str, typed: str) -> str:
    """``term`` (a lemma) in the grammatical form ``typed`` seems to have, so
    a "did you mean" for "методичиская" reads "методическая"; the lemma itself
    when that form cannot be built."""
    if not _CYRILLIC_RE.search(term) or not _CYRILLIC_RE.search(typed):
        return term
    morph = _morph_analyzer()
    shape = morph.parse(typed)[0].tag
    wanted = set(shape.grammemes) & _CASES_NUMBERS
    target = morph.parse(term)[0]
    if target.tag.POS in ("ADJF", "PRTF") and "sing" in wanted:
        wanted |= set(shape.grammemes) & _GENDERS
    inflected = target.inflect(wanted) if wanted else None
    return inflected.word.replace("ё", "е") if inflected is not None else term


def iter_words(text: str) -> Iterator[tuple[str, int, int]]:
    """(normalised word, start, end) for every non-stop word in ``text``."""
    for match in WORD_RE.finditer(text):
        word = normalize_word(match.group())
        if word is not None:
            yield word, match.start(), match.end()


def term_positions(text: str, start_pos: int = 0) -> dict[str, list[int]]:
    """Term → positions, the fast path used when indexing large bodies."""
    positions: dict[str, list[int]] = {}
    pos = start_pos
    for raw in WORD_RE.findall(text):
        terms = surface_terms(raw)
        if not terms:
            continue
        for term in terms:
            found = positions.get(term)
            if found is None:
                positions[term] = [pos]
            else:
                found.append(pos)
        pos += 1
    return positions


class RussianAnalyzer(Analyzer):
    """Whoosh analyzer: words → lowercase, ё→е, stop words out, lemmas."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RussianAnalyzer)

    def __hash__(self) -> int:
        return hash(RussianAnalyzer)

    def __call__(
        self,
        value: Any,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.stopped = False
        token.boost = 1.0
        pos = start_pos
        for match in WORD_RE.finditer(value):
            terms = surface_terms(match.group())
            if not terms:
                continue
            # Alternative readings share the word's position.
            for term in terms:
                token.text = term
                if keeporiginal:
                    token.original = match.group()
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + match.start()
                    token.endchar = start_char + match.end()
                yield token
            pos += 1
