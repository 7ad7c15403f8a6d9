"""Titles and snippets with query matches in <mark>, everything else escaped.

Matching reuses the index's own word → term mapping, so "детей" is marked for
the query "ребёнок". Only the hits of the page being shown are highlighted.
A word is analysed only when its form belongs to the paradigm of a query
term (a set lookup), and a scan stops after a few matches per term, so a
snippet costs a regex pass over the text rather than a morphological
analysis of every word.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from search_index.analysis import STEM_MARK, WORD_RE, is_stem, surface_forms, surface_terms

SNIPPET_CHARS = 240
#: Stop looking for matches after this many characters of one text.
SCAN_CHARS = 60_000


def _candidates(terms: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Word forms that may carry the terms, and prefixes for stemmed words
    (English, and Russian words outside the dictionary)."""
    forms: set[str] = set()
    prefixes: list[str] = []
    for term in terms:
        if is_stem(term):
            prefixes.append(term.removeprefix(STEM_MARK))
            continue
        forms.update(surface_forms(term))
        if term.isascii() and term.isalpha():
            prefixes.append(term)
    return frozenset(forms), tuple(prefixes)


def _matches(text: str, terms: frozenset[str], limit: int) -> list[tuple[int, int, str]]:
    forms, prefixes = _candidates(terms)
    found: list[tuple[int, int, str]] = []
    # Enough matches to choose a window from; the rest of the text is skipped.
    enough = 3 * len(terms)
    for match in WORD_RE.finditer(text, 0, min(len(text), limit)):
        word = match.group().lower()
        if word not in forms:
            folded = word.replace("ё", "е")
            if folded not in forms and not (prefixes and folded.startswith(prefixes)):
                continue
        # Only candidates are analysed: the form may belong to another lemma.
        hit = terms.intersection(surface_terms(match.group()))
        if hit:
            found.append((match.start(), match.end(), min(hit)))
            if len(found) >= enough:
                break
    return found


def _render(text: str, start: int, end: int, spans: Iterable[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    pos = start
    for span_start, span_end, _ in spans:
        if span_start < pos or span_end > end:
            continue
        parts.append(escape(text[pos:span_start]))
        parts.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        pos = span_end
    parts.append(escape(text[pos:end]))
    return "".join(parts)


def highlight_text(text: str, terms: frozenset[str]) -> str:
    """The whole of a short text (a title), escaped, with matches marked."""
    if not terms:
        return escape(text)
    return _render(text, 0, len(text), _matches(text, terms, len(text)))


def _best_window(
    matches: list[tuple[int, int, str]], width: int
) -> tuple[int, list[tuple[int, int, str]]]:
    """Start of the window with the most distinct terms (then most matches)."""
    best_start, best_key, best_spans = matches[0][0], (-1, -1), matches[:1]
    for i, (start, _, _) in enumerate(matches):
        spans = [m for m in matches[i:] if m[1] <= start + width]
        key = (len({m[2] for m in spans}), len(spans))
        if key > best_key:
            best_start, best_key, best_spans = start, key, spans
    return best_start, best_spans


def _cut_start(text: str, at: int) -> int:
    space = text.rfind(" ", 0, at)
    return 0 if space < 0 else space + 1


def _cut_end(text: str, at: int) -> int:
    if at >= len(text):
        return len(text)
    space = text.rfind(" ", 0, at)
    return at if space <= 0 else space


def make_snippet(
    texts: Iterable[str], terms: frozenset[str], fallback: str = "", width: int = SNIPPET_CHARS
) -> str:
    """A fragment of the first text with matches, or else the start of
    ``fallback`` (an annotation reads better than a body's first lines)."""
    fallback = " ".join(fallback[: width * 2].split())
    for raw in texts:
        if not raw or not terms:
            continue
        text = " ".join(raw[: SCAN_CHARS + width].split())
        matches = _matches(text, terms, SCAN_CHARS)
        if not matches:
            continue
        window_start, spans = _best_window(matches, width)
        # Some context before the first match, when the window allows it.
        room = max(0, width - (spans[-1][1] - window_start))
        start = _cut_start(text, max(0, window_start - min(room // 2, 60)))
        end = _cut_end(text, start + width)
        body = _render(text, start, end, spans)
        return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
    if not fallback:
        return ""
    end = _cut_end(fallback, width)
    return escape(fallback[:end]) + ("…" if end < len(fallback) else "")
