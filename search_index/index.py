"""The full-text index: writing, atomic rebuilds and searching.

Layout of ``index_dir``::

    CURRENT            name of the live generation folder, replaced atomically
    g-<time>-<rand>/   one complete Whoosh index per generation
    SWAP.lock          taken while a generation is created or swapped in

``rebuild`` writes a new generation beside the live one and swaps ``CURRENT``
with ``os.replace``; searchers notice the new name on their next lease and
reopen, so searching never stops and never sees a half-built index. The
previous generation is kept (a process that has not searched since the swap
may still hold it open) and removed by the rebuild after next.

Searchers are pooled rather than opened per search (opening costs hundreds of
milliseconds on a large index, refreshing an unchanged one almost nothing) and
leased to one thread at a time, because Whoosh readers seek shared files.
"""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from whoosh import index as windex
from whoosh import query as wq
from whoosh.index import LockError
from whoosh.reading import EmptyReader, IndexReader, MultiReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from search_index.analysis import WORD_RE, inflect_like, normalize_word
from search_index.build import fill
from search_index.docsets import (
    IndexView,
    SegmentData,
    docnums_from_bits,
    leaf_readers,
    view_key,
)
from search_index.highlight import highlight_text, make_snippet
from search_index.models import (
    Hit,
    IndexBusy,
    IndexDocument,
    IndexStatus,
    SearchRequest,
    SearchResults,
)
from search_index.query import ParsedQuery, Phrase, Unit, Word, normalize_query, parse_query
from search_index.schema import (
    FACET_FIELDS,
    SCHEMA_VERSION,
    STORED_BODY_CHARS,
    TEXT_FIELDS,
    VALUE_FIELDS,
    VALUE_SEPARATOR,
    build_schema,
)

CURRENT_FILE = "CURRENT"
SWAP_LOCK_FILE = "SWAP.lock"
META_FILE = "search_index.json"
GENERATION_PREFIX = "g-"

MAX_PER_PAGE = 100
#: Deepest result a page may reach; deeper pages come back empty.
MAX_RESULT_WINDOW = 10_000
#: A phrase whose words meet in more documents than this (in one field) is
#: not checked word by word: its documents are taken as those containing all
#: its words, and the total is reported as not exact. Below it, checking
#: positions costs well under a second even on a loaded machine.
PHRASE_EXACT_LIMIT = 20_000
#: Words looked up for "did you mean" per query, and candidates per word.
MAX_SUGGEST_WORDS = 4
MAX_SUGGEST_CANDIDATES = 50
_WRITE_LOCK = "WRITELOCK"


class _Lease:
    """A pooled searcher with the generation it reads and its cached view."""

    __slots__ = ("generation", "searcher", "view")

    def __init__(self, generation: str, searcher: Searcher, view: IndexView) -> None:
        self.generation = generation
        self.searcher = searcher
        self.view = view


@dataclass(slots=True)
class _Evaluation:
    """Document sets for one request; see SearchIndex._evaluate."""

    scope: int
    query: int
    selected: dict[str, int]
    final: int
    unknown_words: list[Word]
    #: False when a phrase too common to check everywhere was matched by its
    #: words alone. The hits shown are still checked against the phrases
    #: below (see SearchIndex._hits): required ones must occur in a hit,
    #: excluded ones must not.
    exact: bool = True
    required_phrases: list[Phrase] = field(default_factory=list)
    excluded_phrases: list[Phrase] = field(default_factory=list)


class SearchIndex:
    """A Whoosh index in ``index_dir`` (created on first write).

    Thread-safe; several processes may search the same folder. Writes are
    serialised by Whoosh's file lock: a writer waits up to ``lock_timeout``
    seconds with backoff and then raises :class:`IndexBusy`.
    """

    def __init__(self, index_dir: str, lock_timeout: float = 10.0) -> None:
        self.index_dir = os.path.abspath(index_dir)
        self.lock_timeout = lock_timeout
        self._lock = threading.Lock()
        self._pool: list[_Lease] = []
        self._indexes: dict[str, windex.FileIndex] = {}
        self._views: dict[tuple[str, tuple[Any, ...]], IndexView] = {}
        self._segments: dict[str, SegmentData] = {}
        self._closed = False

    # -- generations ------------------------------------------------------

    def _path(self, name: str) -> str:
        return os.path.join(self.index_dir, name)

    def current_generation(self) -> str | None:
        """The live generation's folder name, or None before the first write."""
        try:
            with open(self._path(CURRENT_FILE), encoding="utf-8") as handle:
                name = handle.read().strip()
        except FileNotFoundError:
            return None
        if not name.startswith(GENERATION_PREFIX) or os.sep in name or "/" in name:
            return None
        return name

    def _open_generation(self, name: str) -> windex.FileIndex:
        with self._lock:
            ix = self._indexes.get(name)
            if ix is None:
                ix = windex.open_dir(self._path(name))
                self._indexes[name] = ix
            return ix

    @contextlib.contextmanager
    def _swap_lock(self) -> Iterator[None]:
        os.makedirs(self.index_dir, exist_ok=True)
        fd = os.open(self._path(SWAP_LOCK_FILE), os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _new_generation(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        name = f"{GENERATION_PREFIX}{stamp}-{secrets.token_hex(4)}"
        path = self._path(name)
        os.makedirs(path)
        windex.create_in(path, build_schema())
        with open(os.path.join(path, META_FILE), "w", encoding="utf-8") as handle:
            json.dump({"schema_version": SCHEMA_VERSION}, handle)
        return name

    def _point_to(self, name: str) -> None:
        tmp = self._path(f"{CURRENT_FILE}.{secrets.token_hex(4)}.tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path(CURRENT_FILE))
        dir_fd = os.open(self.index_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def create(self) -> None:
        """Create an empty index unless one exists (safe to call concurrently)."""
        if self.current_generation() is not None:
            return
        with self._swap_lock():
            if self.current_generation() is None:
                self._point_to(self._new_generation())

    def exists(self) -> bool:
        name = self.current_generation()
        return name is not None and windex.exists_in(self._path(name))

    def _remove_old_generations(self, keep: set[str]) -> None:
        for entry in os.listdir(self.index_dir):
            if entry.startswith(GENERATION_PREFIX) and entry not in keep:
                with self._lock:
                    self._indexes.pop(entry, None)
                shutil.rmtree(self._path(entry), ignore_errors=True)

    # -- writing ----------------------------------------------------------

    def _acquire(self, attempt: Any) -> Any:
        """Call ``attempt`` until it stops raising LockError, within the bound."""
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.01
        while True:
            try:
                return attempt()
            except LockError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(
                        f"index {self.index_dir} stayed locked for {self.lock_timeout:.1f} s"
                    ) from None
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 0.25)

    def _writer(self) -> tuple[str, IndexWriter]:
        """A writer on the live generation, which may change while we wait."""
        self.create()

        def attempt() -> tuple[str, IndexWriter]:
            name = self.current_generation()
            assert name is not None
            writer = self._open_generation(name).writer()
            if self.current_generation() != name:
                # A rebuild swapped generations while we waited for the lock:
                # writing to the old one would be lost.
                writer.cancel()
                raise LockError
            return name, writer

        return self._acquire(attempt)

    def apply(self, upserts: Sequence[IndexDocument], deletes: Sequence[str]) -> None:
        """Insert or replace ``upserts`` and remove ``deletes`` in one commit.

        An id in both lists ends up deleted; of several upserts with one id
        the last wins. Raises :class:`IndexBusy` when the lock stays taken.
        """
        latest: dict[str, dict[str, Any]] = {}
        for doc in upserts:
            latest[doc.id] = document_fields(doc)
        removed = {str(doc_id) for doc_id in deletes}
        if not latest and not removed:
            return
        _, writer = self._writer()
        try:
            for doc_id in sorted(removed | latest.keys()):
                writer.delete_by_term("id", doc_id)
            for doc_id, fields in latest.items():
                if doc_id not in removed:
                    writer.add_document(**fields)
            writer.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.cancel()
            raise

    def rebuild(self, docs: Iterable[IndexDocument], procs: int = 1) -> int:
        """Index ``docs`` into a fresh generation and swap it in; returns the count.

        Holds the live generation's write lock throughout, so an ``apply`` that
        arrives meanwhile waits (or raises :class:`IndexBusy`) and then lands
        in the new generation. ``procs > 1`` indexes chunks of documents in
        that many processes (spawned: the caller's main module must be
        import-safe, as Flask's CLI and pytest are).
        """
        os.makedirs(self.index_dir, exist_ok=True)
        old = self.current_generation()
        old_lock = None
        if old is not None and os.path.isdir(self._path(old)):
            old_lock = self._open_generation(old).lock(_WRITE_LOCK)

            def take() -> None:
                if not old_lock.acquire(False):
                    raise LockError

            self._acquire(take)
        name = None
        try:
            name = self._new_generation()
            count = self._fill(name, docs, procs)
            with self._swap_lock():
                self._point_to(name)
            self._remove_old_generations(keep={name} | ({old} if old else set()))
            return count
        except BaseException:
            if name is not None:
                with self._lock:
                    self._indexes.pop(name, None)
                shutil.rmtree(self._path(name), ignore_errors=True)
            raise
        finally:
            if old_lock is not None:
                old_lock.release()

    def _fill(self, name: str, docs: Iterable[IndexDocument], procs: int) -> int:
        seen: set[str] = set()

        def fields() -> Iterator[dict[str, Any]]:
            for doc in docs:
                if doc.id in seen:
                    raise ValueError(f"duplicate document id in rebuild: {doc.id}")
                seen.add(doc.id)
                yield document_fields(doc)

        return fill(self._open_generation(name), self._path(name), fields(), procs)

    def clear(self) -> None:
        """Remove every document (by swapping in an empty generation)."""
        self.rebuild([])

    # -- reading ----------------------------------------------------------

    def _view(self, generation: str, searcher: Searcher) -> IndexView:
        key = (generation, view_key(searcher))
        with self._lock:
            view = self._views.get(key)
        if view is not None:
            return view
        view = IndexView(searcher, self._segments)
        with self._lock:
            self._views[key] = view
            # Views of superseded versions are dropped (a search still using
            # one holds its own reference); segments no view uses any more are
            # forgotten with them.
            while len(self._views) > 2:
                self._views.pop(next(iter(self._views)))
            live_segments = {seg for _, k in self._views for seg, *_ in k}
            for segid in [s for s in self._segments if s not in live_segments]:
                del self._segments[segid]
        return view

    @contextlib.contextmanager
    def _lease(self) -> Iterator[_Lease | None]:
        generation = self.current_generation()
        if generation is None:
            yield None
            return
        with self._lock:
            if self._closed:
                raise RuntimeError("search index is closed")
            lease = self._pool.pop() if self._pool else None
        try:
            if lease is not None and lease.generation != generation:
                lease.searcher.close()
                lease = None
            ix = self._open_generation(generation)
            previous = lease.searcher if lease is not None else None
            searcher = _fresh_searcher(ix, previous)
            lease = _Lease(generation, searcher, self._view(generation, searcher))
        except BaseException:
            if lease is not None:
                with contextlib.suppress(Exception):
                    lease.searcher.close()
            raise
        try:
            yield lease
        except BaseException:
            # A failed search may have left the reader mid-seek; do not reuse it.
            with contextlib.suppress(Exception):
                lease.searcher.close()
            raise
        with self._lock:
            if not self._closed and lease.generation == self.current_generation():
                self._pool.append(lease)
                return
        lease.searcher.close()

    def close(self) -> None:
        """Close pooled searchers; searches still running close theirs on return."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, []
            self._views.clear()
            self._segments.clear()
        for lease in pool:
            with contextlib.suppress(Exception):
                lease.searcher.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def doc_count(self) -> int:
        with self._lease() as lease:
            return 0 if lease is None else lease.view.doc_count

    def check(self) -> IndexStatus:
        """Whether the index opens and answers; never raises."""
        generation = self.current_generation()
        if generation is None:
            return IndexStatus(False, 0, None, "index has not been created")
        try:
            with open(os.path.join(self._path(generation), META_FILE), encoding="utf-8") as f:
                meta = json.load(f)
            if meta.get("schema_version") != SCHEMA_VERSION:
                return IndexStatus(False, 0, generation, "index schema is outdated: reindex")
            with self._lease() as lease:
                if lease is None:
                    return IndexStatus(False, 0, None, "index has not been created")
                lease.searcher.search(wq.Every(), limit=1)
                return IndexStatus(True, lease.view.doc_count, generation)
        except Exception as exc:  # health checks report, they do not raise
            return IndexStatus(False, 0, generation, f"{type(exc).__name__}: {exc}")

    def vocabulary_suggest(
        self, prefix: str, limit: int = 10, restrict: dict[str, list[str]] | None = None
    ) -> list[str]:
        """Indexed title/keyword terms (lemmas) starting like the last word of
        ``prefix``, most frequent first, counted only in documents that pass
        ``restrict`` (the same permission restriction a search would get)."""
        word = normalize_word(prefix.split()[-1]) if prefix.split() else None
        if not word or not WORD_RE.fullmatch(word):
            return []
        counts: dict[str, int] = {}
        with self._lease() as lease:
            if lease is None:
                return []
            searcher, view = lease.searcher, lease.view
            scope = view.live
            for fieldname, values in (restrict or {}).items():
                if fieldname not in VALUE_FIELDS:
                    raise ValueError(f"cannot restrict on unknown field {fieldname!r}")
                scope &= view.values_any(searcher, fieldname, _clean_values(values))
            candidates: set[str] = set()
            for fieldname in ("title", "keywords"):
                for i, term in enumerate(searcher.reader().expand_prefix(fieldname, word)):
                    if i >= MAX_SUGGEST_CANDIDATES * 4:
                        break
                    candidates.add(term.decode("utf-8") if isinstance(term, bytes) else term)
            for text in candidates:
                bits = view.term_bits(searcher, "title", text)
                bits |= view.term_bits(searcher, "keywords", text)
                count = (bits & scope).bit_count()
                if count:
                    counts[text] = count
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [text for text, _ in ranked[:limit]]

    # -- searching --------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        """Run a search; raises :class:`~search_index.QueryError` for bad queries
        and ValueError for a malformed request (unknown restriction field)."""
        parsed = parse_query(request.q)
        page = max(1, int(request.page))
        per_page = min(MAX_PER_PAGE, max(1, int(request.per_page)))
        if request.sort not in ("relevance", "date", "downloads"):
            raise ValueError(f"unknown sort order: {request.sort!r}")
        for fieldname in request.restrict:
            if fieldname not in VALUE_FIELDS:
                # A restriction that silently did nothing would leak documents.
                raise ValueError(f"cannot restrict on unknown field {fieldname!r}")
        facet_names = [name for name in request.facets if name in FACET_FIELDS]

        with self._lease() as lease:
            if lease is None:
                return SearchResults(
                    [], 0, True, {name: [] for name in facet_names}, None, page, per_page
                )
            evaluation = self._evaluate(lease, parsed, request)
            facets = self._facets(lease, evaluation, request, facet_names)
            hits = self._hits(lease, parsed, evaluation, request, page, per_page)
            total = evaluation.final.bit_count()
            suggestion = None
            if evaluation.unknown_words or (total == 0 and parsed.has_positive):
                suggestion = self._suggest(lease, request.q, parsed, evaluation)
        return SearchResults(hits, total, evaluation.exact, facets, suggestion, page, per_page)

    def _unit_bits(self, lease: _Lease, unit: Unit, scope: int) -> tuple[int, bool]:
        """Documents matching one word or phrase, and whether that is exact.

        Phrases are only checked inside ``scope``, the documents the answer
        can still contain, so other words of the query narrow the work first.
        """
        searcher, view = lease.searcher, lease.view
        bits = 0
        if isinstance(unit, Word):
            for fieldname in TEXT_FIELDS:
                for term in unit.lemmas:
                    bits |= view.term_bits(searcher, fieldname, term)
            return bits, True
        exact = True
        for fieldname in TEXT_FIELDS:
            for sequence in unit.variants():
                candidates = scope & ~bits
                for term in sequence:
                    candidates &= view.term_bits(searcher, fieldname, term)
                    if not candidates:
                        break
                if not candidates:
                    continue
                if candidates.bit_count() > PHRASE_EXACT_LIMIT:
                    bits |= candidates
                    exact = False
                else:
                    bits |= view.phrase_bits(searcher, fieldname, sequence, candidates)
        return bits, exact

    def _containing(self, lease: _Lease, phrase: Phrase, docnums: set[int]) -> set[int]:
        """Those of a few ``docnums`` that contain ``phrase`` in any text field."""
        found: set[int] = set()
        for fieldname in TEXT_FIELDS:
            for sequence in phrase.variants():
                pending = docnums - found
                if pending:
                    found |= lease.view.phrase_docs(lease.searcher, fieldname, sequence, pending)
        return found

    def _checked(self, lease: _Lease, evaluation: _Evaluation, docnums: list[int]) -> set[int]:
        accepted = set(docnums)
        for phrase in evaluation.required_phrases:
            accepted &= self._containing(lease, phrase, accepted)
        for phrase in evaluation.excluded_phrases:
            accepted -= self._containing(lease, phrase, accepted)
        return accepted

    def _evaluate(self, lease: _Lease, parsed: ParsedQuery, request: SearchRequest) -> _Evaluation:
        searcher, view = lease.searcher, lease.view
        scope = view.live
        for fieldname, values in request.restrict.items():
            scope &= view.values_any(searcher, fieldname, _clean_values(values))
        if request.kinds is not None:
            scope &= view.values_any(searcher, "kind", _clean_values(request.kinds))

        unknown: list[Word] = []
        evaluation = _Evaluation(scope, 0, {}, 0, unknown)
        matched = scope
        # Groups of plain words first: they are cheap and narrow the documents
        # in which phrases need their positions checked.
        groups = sorted(parsed.groups, key=lambda g: any(isinstance(u, Phrase) for u in g))
        for group in groups:
            group_bits = 0
            for unit in group:
                unit_bits, unit_exact = self._unit_bits(lease, unit, matched)
                if not unit_exact and isinstance(unit, Phrase):
                    evaluation.exact = False
                    # An alternative of an OR group cannot be required.
                    if len(group) == 1:
                        evaluation.required_phrases.append(unit)
                # Judged within the caller's scope: words of hidden documents
                # are as unknown as words of none.
                if not (unit_bits & scope) and isinstance(unit, Word):
                    unknown.append(unit)
                group_bits |= unit_bits
            matched &= group_bits
        for unit in parsed.excluded:
            unit_bits, unit_exact = self._unit_bits(lease, unit, matched)
            if unit_exact:
                matched &= ~unit_bits
            elif isinstance(unit, Phrase):
                # Too common to check everywhere: excluding every document
                # with its words would hide too much; the hits are checked.
                evaluation.exact = False
                evaluation.excluded_phrases.append(unit)
        query_bits = scope & matched

        selected: dict[str, int] = {}
        for fieldname, values in request.filters.items():
            cleaned = _clean_values(values)
            if fieldname in FACET_FIELDS and cleaned:
                selected[fieldname] = view.values_any(searcher, fieldname, cleaned)
        final = query_bits
        for bits in selected.values():
            final &= bits
        evaluation.query, evaluation.selected, evaluation.final = query_bits, selected, final
        return evaluation

    def _facets(
        self,
        lease: _Lease,
        evaluation: _Evaluation,
        request: SearchRequest,
        names: list[str],
    ) -> dict[str, list[tuple[str, int]]]:
        """Counts per value over the matched set.

        A field's own selection is left out of its counts (the other fields'
        selections apply), so choosing "Математика" still shows how many
        documents "Физика" would add: the usual OR-within-a-field facet UX.
        """
        facets: dict[str, list[tuple[str, int]]] = {}
        for name in names:
            base = evaluation.query
            for other, bits in evaluation.selected.items():
                if other != name:
                    base &= bits
            chosen = set(_clean_values(request.filters.get(name, [])))
            counts: list[tuple[str, int]] = []
            if base or chosen:
                for value, bits in lease.view.value_bits(lease.searcher, name).items():
                    count = (base & bits).bit_count() if base else 0
                    if count or value in chosen:
                        counts.append((value, count))
                known = {value for value, _ in counts}
                counts.extend((value, 0) for value in sorted(chosen - known))
            counts.sort(key=lambda item: (-item[1], item[0]))
            facets[name] = counts
        return facets

    def _hits(
        self,
        lease: _Lease,
        parsed: ParsedQuery,
        evaluation: _Evaluation,
        request: SearchRequest,
        page: int,
        per_page: int,
    ) -> list[Hit]:
        searcher, view = lease.searcher, lease.view
        start = (page - 1) * per_page
        window = start + per_page
        if window > MAX_RESULT_WINDOW or not evaluation.final:
            return []
        unchecked = evaluation.required_phrases or evaluation.excluded_phrases
        # Loosely matched phrases are checked on the hits only: take more
        # candidates than the page needs so that rejected ones can be skipped.
        depth = min(MAX_RESULT_WINDOW, window * 4 + 40) if unchecked else window
        ranked: list[tuple[int, float]]
        if request.sort == "relevance" and parsed.has_positive:
            terms = parsed.highlight_terms()
            ranked = view.rank(searcher, sorted(terms), evaluation.final, depth)
        else:
            # Browsing, or sorting by a column: newest / most downloaded first.
            column = view.sort_values(
                searcher, "downloads" if request.sort == "downloads" else "created"
            )
            docnums = heapq.nlargest(
                depth, docnums_from_bits(evaluation.final, view.size), key=column.__getitem__
            )
            ranked = [(docnum, 0.0) for docnum in docnums]
        if unchecked:
            accepted = self._checked(lease, evaluation, [docnum for docnum, _ in ranked])
            ranked = [item for item in ranked if item[0] in accepted]

        terms = parsed.highlight_terms()
        hits: list[Hit] = []
        for docnum, score in ranked[start:window]:
            stored = searcher.stored_fields(docnum)
            kinds = stored.get("kind") or [""]
            hits.append(
                Hit(
                    id=stored["id"],
                    kind=kinds[0] if isinstance(kinds, list) else str(kinds),
                    score=float(score),
                    title_html=highlight_text(stored.get("title", ""), terms),
                    snippet_html=make_snippet(
                        (stored.get("body", ""), stored.get("annotation", "")),
                        terms,
                        fallback=stored.get("annotation") or stored.get("body", ""),
                    ),
                )
            )
        return hits

    def _suggest(
        self, lease: _Lease, raw_query: str, parsed: ParsedQuery, evaluation: _Evaluation
    ) -> str | None:
        """Replace unknown (or, with no results, rare) words by close indexed terms."""
        words = evaluation.unknown_words or [
            unit for unit in parsed.positive_units() if isinstance(unit, Word)
        ]
        replacements: dict[str, str] = {}
        for word in words[:MAX_SUGGEST_WORDS]:
            best = _closest_term(lease, word, evaluation.scope)
            if best is not None:
                replacements[word.text] = inflect_like(best, word.text)
        if not replacements:
            return None
        text = normalize_query(raw_query)

        def swap(match: Any) -> str:
            normal = normalize_word(match.group())
            return replacements.get(normal, match.group()) if normal else match.group()

        corrected = WORD_RE.sub(swap, text)
        return corrected if corrected != text else None


def _fresh_searcher(ix: windex.FileIndex, previous: Searcher | None) -> Searcher:
    """A searcher on the latest commit, reusing the previous one's segment readers.

    Whoosh's own ``Searcher.refresh()`` cannot be used: it reuses a segment
    reader even when the segment gained deletions (deleted documents stay
    visible), re-adds segments that a merge removed, and fails on an index
    that was empty. Here a reader is reused only for a segment with the same
    id and the same number of live documents (deletions only ever grow).
    """
    if previous is not None and previous.up_to_date():
        return previous
    for attempt in range(10):
        try:
            toc = windex.TOC.read(ix.storage, ix.indexname)
            break
        except OSError:
            # A writer removed a file between listing and reading; try again.
            if attempt == 9:
                raise
            time.sleep(0.01)
    reusable: dict[tuple[str, int], IndexReader] = {}
    if previous is not None:
        for leaf, _ in leaf_readers(previous):
            segment = leaf.segment()
            if segment is not None:
                reusable[(segment.segment_id(), segment.doc_count())] = leaf
    readers: list[IndexReader] = []
    try:
        for segment in toc.segments:
            reader = reusable.pop((segment.segment_id(), segment.doc_count()), None)
            if reader is None:
                reader = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
            readers.append(reader)
    except BaseException:
        for reader in readers:
            if reader not in reusable.values():
                with contextlib.suppress(Exception):
                    reader.close()
        raise
    for leftover in reusable.values():
        with contextlib.suppress(Exception):
            leftover.close()
    combined: IndexReader
    if not readers:
        combined = EmptyReader(toc.schema)
    elif len(readers) == 1:
        combined = readers[0]
    else:
        combined = MultiReader(readers, generation=toc.generation)
    if isinstance(combined, SegmentReader):
        combined._gen = toc.generation
    return Searcher(combined, fromindex=ix)


def _closest_term(lease: _Lease, word: Word, scope: int) -> str | None:
    """The most frequent indexed term within two edits of the word's lemma.

    Candidates come from the whole index's vocabulary but are counted only
    in documents the caller may see, so a suggestion never reveals a word
    that occurs only in hidden ones.
    """
    target = word.lemmas[0]
    if len(target) < 4 or not target.isalpha():
        return None
    searcher, view = lease.searcher, lease.view
    reader = searcher.reader()

    def visible(term: str) -> int:
        bits = view.term_bits(searcher, "title", term) | view.term_bits(searcher, "body", term)
        return (bits & scope).bit_count()

    own_frequency = visible(target)
    best: tuple[int, int, str] | None = None
    for maxdist in (1, 2):
        candidates: set[str] = set()
        for fieldname in ("title", "body"):
            for candidate in reader.terms_within(fieldname, target, maxdist, prefix=1):
                text = candidate.decode("utf-8") if isinstance(candidate, bytes) else candidate
                candidates.add(text)
        for text in sorted(candidates - {target})[:MAX_SUGGEST_CANDIDATES]:
            frequency = visible(text)
            # A known word is only replaced by a much more common one.
            if frequency and frequency > own_frequency * 10:
                key = (maxdist, -frequency, text)
                if best is None or key < best:
                    best = key
        if best is not None:
            break
    return best[2] if best else None


def _clean_values(values: Iterable[Any]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    cleaned: list[str] = []
    for value in values:
        text = str(value).replace(VALUE_SEPARATOR, " ").strip()
        if text and text not in cleaned:
            cleaned.append(text)
    return cleaned


def _timestamp(value: datetime | None) -> int:
    if value is None:
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def document_fields(doc: IndexDocument) -> dict[str, Any]:
    """The Whoosh field values for a document (validated)."""
    if not isinstance(doc.id, str) or not doc.id.strip():
        raise ValueError("document id must be a non-empty string")
    if not isinstance(doc.kind, str) or not doc.kind.strip():
        raise ValueError(f"document {doc.id}: kind must be a non-empty string")
    body = doc.body or ""
    fields: dict[str, Any] = {
        "id": doc.id,
        "kind": [doc.kind.strip()],
        "title": doc.title or "",
        "annotation": doc.annotation or "",
        "keywords": doc.keywords or "",
        "authors": doc.authors or "",
        "body": body,
        "_stored_body": body[:STORED_BODY_CHARS],
        "created": _timestamp(doc.created),
        "downloads": max(0, int(doc.downloads or 0)),
    }
    for name, values in doc.filters.items():
        if name not in FACET_FIELDS:
            raise ValueError(f"document {doc.id}: unknown filter field {name!r}")
        fields[name] = _clean_values(values)
    return fields
