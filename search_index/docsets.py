"""Document sets, cached postings and columns, and BM25F ranking over them.

A set of documents is an ``int`` with bit ``8 * docnum`` set for each member:
one byte per document. That layout converts to and from a ``bytearray`` with
``int.from_bytes``/``int.to_bytes`` in C, and ``&``, ``|``, ``&~`` and
``bit_count()`` on it are C loops too, so intersecting a query with filters
and counting every facet value costs microseconds per value instead of a
Python loop per matching document. Memory is one byte per document per
cached set: about 100 KB per set at 100,000 documents.

Ranking does not walk Whoosh matcher trees (an And of Ors over five fields
costs a Python call per document per node); it reads each query term's posting
blocks once, as arrays, and adds BM25F contributions for the documents already
known to match. Whoosh still owns the files, the formats and phrase checks.

Data derived from a segment (value columns, sort columns, field lengths,
postings) never changes while the segment exists, so it is cached per segment
or per index version and shared by all threads; only the Whoosh readers, which
seek shared files, are per thread.
"""

from __future__ import annotations

import heapq
import math
import threading
from array import array
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress, repeat
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher

from search_index.schema import SORT_FIELDS, TEXT_FIELDS

#: Bytes of postings (8 per posting) and document sets (1 per document) kept
#: per index version, so frequent words are read from disk once.
POSTINGS_CACHE_BYTES = 128 * 1024 * 1024
BM25_B = 0.75
BM25_K1 = 1.2
#: Read posting blocks and field lengths through whoosh3's private codec
#: objects (``reader._terms``, ``W3LeafMatcher._read_ids``, ``reader._perdoc``),
#: several times faster than stepping public matchers. False takes the public
#: API everywhere; the tests run both ways and compare them with Whoosh's own
#: searcher, so a whoosh3 upgrade that moves the internals shows up there.
USE_CODEC_INTERNALS = True


def bits_from_docnums(docnums: Iterable[int], size: int) -> int:
    buffer = bytearray(size)
    # deque(maxlen=0) drains the map in C: no Python-level loop per document.
    deque(map(buffer.__setitem__, docnums, repeat(1)), maxlen=0)
    return int.from_bytes(buffer, "little")


def docnums_from_bits(bits: int, size: int) -> Iterator[int]:
    if not bits:
        return iter(())
    return compress(range(size), bits.to_bytes(size, "little"))


def all_bits(size: int) -> int:
    return int.from_bytes(b"\x01" * size, "little") if size else 0


class TermPostings:
    """One term's postings in one field over the whole index version."""

    __slots__ = ("bits", "doc_frequency", "ids", "weights")

    def __init__(self, ids: array[int], weights: array[float], live: int, size: int) -> None:
        self.ids = ids
        self.weights = weights
        self.bits = bits_from_docnums(ids, size) & live if ids else 0
        self.doc_frequency = self.bits.bit_count()

    def __len__(self) -> int:
        return len(self.ids)

    def cost(self, size: int) -> int:
        """Approximate bytes held: the arrays and the document set."""
        return 8 * len(self.ids) + (size if self.bits else 0)


_EMPTY = TermPostings(array("I"), array("f"), 0, 0)


def _posting_blocks(
    reader: IndexReader, fieldname: str, text: str
) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(ids, weights) blocks of a term in one segment, deletions included.

    Reads whole posting blocks from the Whoosh 3 codec instead of stepping a
    matcher one document at a time: ten times faster for frequent words.
    Anything unexpected falls back to the public matcher API.
    """
    terms = getattr(reader, "_terms", None) if USE_CODEC_INTERNALS else None
    fieldobj = reader.schema[fieldname]
    try:
        if terms is None:
            raise AttributeError
        matcher = terms.matcher(fieldname, text.encode("utf-8"), fieldobj.format)
    except (TermNotFound, KeyError):
        return
    except AttributeError:
        try:
            matcher = reader.postings(fieldname, text)
        except (TermNotFound, KeyError):
            return
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights
        return
    if isinstance(matcher, W3LeafMatcher) and hasattr(matcher, "_read_weights"):
        while True:
            matcher._read_ids()
            matcher._read_weights()
            yield matcher._ids, matcher._weights
            if matcher._lastblock:
                return
            matcher._goto(matcher._nextoffset)
    else:
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights


def _value_blocks(
    reader: IndexReader, fieldname: str, text: str
) -> Iterator[tuple[Sequence[int], Sequence[bytes]]]:
    """(ids, encoded positions) blocks of a term in one segment."""
    terms = getattr(reader, "_terms", None) if USE_CODEC_INTERNALS else None
    fieldobj = reader.schema[fieldname]
    try:
        if terms is None:
            raise AttributeError
        matcher = terms.matcher(fieldname, text.encode("utf-8"), fieldobj.format)
    except (TermNotFound, KeyError):
        return
    except AttributeError:
        try:
            matcher = reader.postings(fieldname, text)
        except (TermNotFound, KeyError):
            return
    if isinstance(matcher, W3LeafMatcher) and hasattr(matcher, "_read_values"):
        while True:
            matcher._read_ids()
            matcher._read_values()
            yield matcher._ids, matcher._values
            if matcher._lastblock:
                return
            matcher._goto(matcher._nextoffset)
    else:
        ids, values = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            values.append(matcher.value())
            matcher.next()
        yield ids, values


class SegmentData:
    """Cached, immutable facts about one segment."""

    def __init__(self, segid: str, size: int) -> None:
        self.segid = segid
        self.size = size
        self._values: dict[str, dict[str, int]] = {}
        self._ints: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def value_bits(self, reader: IndexReader, fieldname: str) -> dict[str, int]:
        found = self._values.get(fieldname)
        if found is None:
            with self._lock:
                found = self._values.get(fieldname)
                if found is None:
                    found = self._values[fieldname] = self._read_values(reader, fieldname)
        return found

    def _read_values(self, reader: IndexReader, fieldname: str) -> dict[str, int]:
        buffers: dict[str, bytearray] = {}
        if reader.has_column(fieldname):
            column = reader.column_reader(fieldname, translate=False)
            for docnum, raw in enumerate(column):
                if not raw:
                    continue
                for value in raw.decode("utf-8").split("\x1f"):
                    buffer = buffers.get(value)
                    if buffer is None:
                        buffer = buffers[value] = bytearray(self.size)
                    buffer[docnum] = 1
        return {value: int.from_bytes(buf, "little") for value, buf in buffers.items()}

    def ints(self, reader: IndexReader, name: str) -> list[int]:
        """A sort column (``created``) or a field's lengths (``len:body``)."""
        found = self._ints.get(name)
        if found is None:
            with self._lock:
                found = self._ints.get(name)
                if found is None:
                    found = self._ints[name] = self._read_ints(reader, name)
        return found

    def _read_ints(self, reader: IndexReader, name: str) -> list[int]:
        if name.startswith("len:"):
            fieldname = name[4:]
            perdoc = getattr(reader, "_perdoc", None) if USE_CODEC_INTERNALS else None
            fast = getattr(perdoc, "doc_field_length_reader", None)
            if fast is not None:
                length = fast(fieldname)
                return [length(docnum) or 0 for docnum in range(self.size)]
            return [reader.doc_field_length(docnum, fieldname) or 0 for docnum in range(self.size)]
        if reader.has_column(name):
            return [int(v) for v in reader.column_reader(name, translate=True)]
        return [0] * self.size


class IndexView:
    """One version of the index (a set of segments with their deletions).

    Shared by every thread whose searcher shows this version; methods that
    read postings take that thread's own searcher.
    """

    def __init__(self, searcher: Searcher, segments: dict[str, SegmentData]) -> None:
        self.key = view_key(searcher)
        self.size = searcher.doc_count_all()
        self._leaves: list[tuple[SegmentData, int]] = []
        live = 0
        for reader, offset in leaf_readers(searcher):
            segid = _segment_id(reader)
            data = segments.get(segid)
            if data is None:
                data = segments[segid] = SegmentData(segid, reader.doc_count_all())
            self._leaves.append((data, offset))
            if reader.has_deletions():
                buffer = bytearray(b"\x01" * reader.doc_count_all())
                for docnum in reader.deleted_docs_set:
                    buffer[docnum] = 0
                seg_live = int.from_bytes(buffer, "little")
            else:
                seg_live = all_bits(reader.doc_count_all())
            live |= seg_live << (8 * offset)
        self.live = live
        self.doc_count = live.bit_count()
        self._values: dict[str, dict[str, int]] = {}
        self._ints: dict[str, list[int]] = {}
        self._norms: dict[str, list[float]] = {}
        self._postings: OrderedDict[tuple[str, str], TermPostings] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()

    def _pairs(self, searcher: Searcher) -> list[tuple[SegmentData, int, IndexReader]]:
        readers = leaf_readers(searcher)
        return [
            (data, offset, reader)
            for (data, offset), (reader, _) in zip(self._leaves, readers, strict=True)
        ]

    def value_bits(self, searcher: Searcher, fieldname: str) -> dict[str, int]:
        """value → set of live documents having it."""
        found = self._values.get(fieldname)
        if found is not None:
            return found
        combined: dict[str, int] = {}
        for data, offset, reader in self._pairs(searcher):
            for value, seg_bits in data.value_bits(reader, fieldname).items():
                combined[value] = combined.get(value, 0) | (seg_bits << (8 * offset))
        live = self.live
        result = {value: bits & live for value, bits in combined.items() if bits & live}
        with self._lock:
            self._values[fieldname] = result
        return result

    def values_any(self, searcher: Searcher, fieldname: str, values: Iterable[str]) -> int:
        table = self.value_bits(searcher, fieldname)
        bits = 0
        for value in values:
            bits |= table.get(value, 0)
        return bits

    def _global_ints(self, searcher: Searcher, name: str) -> list[int]:
        found = self._ints.get(name)
        if found is not None:
            return found
        combined: list[int] = []
        for data, _, reader in self._pairs(searcher):
            combined.extend(data.ints(reader, name))
        with self._lock:
            self._ints[name] = combined
        return combined

    def sort_values(self, searcher: Searcher, fieldname: str) -> list[int]:
        if fieldname not in SORT_FIELDS:
            raise ValueError(f"not a sort field: {fieldname}")
        return self._global_ints(searcher, fieldname)

    def norms(self, searcher: Searcher, fieldname: str) -> list[float]:
        """BM25's length normalisation K1·(1 − B + B·len/avglen) per document."""
        found = self._norms.get(fieldname)
        if found is not None:
            return found
        lengths = self._global_ints(searcher, f"len:{fieldname}")
        # Per-document lengths are stored rounded to one byte's scale; the
        # segments' totals are exact, and Whoosh's BM25F averages those too.
        average = (searcher.reader().field_length(fieldname) / len(lengths)) if lengths else 1.0
        scale = BM25_K1 * BM25_B / (average or 1.0)
        base = BM25_K1 * (1 - BM25_B)
        result = [base + scale * length for length in lengths]
        with self._lock:
            self._norms[fieldname] = result
        return result

    def postings(self, searcher: Searcher, fieldname: str, text: str) -> TermPostings:
        key = (fieldname, text)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        ids: array[int] = array("I")
        weights: array[float] = array("f")
        for _, offset, reader in self._pairs(searcher):
            for block_ids, block_weights in _posting_blocks(reader, fieldname, text):
                ids.extend(map(offset.__add__, block_ids) if offset else block_ids)
                weights.extend(block_weights)
        postings = TermPostings(ids, weights, self.live, self.size) if ids else _EMPTY
        with self._lock:
            if key not in self._postings:
                self._postings[key] = postings
                self._cached_bytes += postings.cost(self.size)
            while self._cached_bytes > POSTINGS_CACHE_BYTES and len(self._postings) > 1:
                _, dropped = self._postings.popitem(last=False)
                self._cached_bytes -= dropped.cost(self.size)
        return postings

    def term_bits(self, searcher: Searcher, fieldname: str, text: str) -> int:
        return self.postings(searcher, fieldname, text).bits

    def phrase_docs(
        self, searcher: Searcher, fieldname: str, sequence: Sequence[str], docnums: Iterable[int]
    ) -> set[int]:
        """Which of a few documents contain ``sequence`` at consecutive positions.

        Steps Whoosh matchers to each document (skipping whole blocks), so
        the cost follows the number of documents asked about, not the length
        of the words' posting lists; :meth:`phrase_bits` is the bulk version.
        """
        wanted = sorted(set(docnums))
        found: set[int] = set()
        for _, offset, reader in self._pairs(searcher):
            local = [d - offset for d in wanted if offset <= d < offset + reader.doc_count_all()]
            if not local:
                continue
            starts: dict[int, set[int]] = {d: set() for d in local}
            for index, text in enumerate(sequence):
                try:
                    matcher = reader.postings(fieldname, text)
                except (TermNotFound, KeyError):
                    starts = {}
                    break
                survivors: dict[int, set[int]] = {}
                for docnum in sorted(starts):
                    if not matcher.is_active():
                        break
                    matcher.skip_to(docnum)
                    if not matcher.is_active() or matcher.id() != docnum:
                        continue
                    positions = set(matcher.value_as("positions"))
                    if index == 0:
                        survivors[docnum] = positions
                    else:
                        kept = {p for p in starts[docnum] if p + index in positions}
                        if kept:
                            survivors[docnum] = kept
                starts = survivors
                if not starts:
                    break
            found.update(d + offset for d in starts)
        return found

    def phrase_bits(
        self, searcher: Searcher, fieldname: str, sequence: Sequence[str], candidates: int
    ) -> int:
        """Documents of ``candidates`` where ``sequence`` occurs at consecutive
        positions of the field.

        Positions are decoded only for documents still in the running: after
        each word, documents where no start position survives drop out.
        """
        decode = searcher.schema[fieldname].format.decode_positions
        starts: dict[int, set[int]] = {}
        for index, text in enumerate(sequence):
            if not candidates:
                return 0
            flags = candidates.to_bytes(self.size, "little")
            found: dict[int, set[int]] = {}
            for _, offset, reader in self._pairs(searcher):
                for ids, values in _value_blocks(reader, fieldname, text):
                    for i, local in enumerate(ids):
                        docnum = local + offset
                        if not flags[docnum]:
                            continue
                        positions = decode(values[i])
                        if index == 0:
                            found[docnum] = set(positions)
                        else:
                            present = set(positions)
                            kept = {p for p in starts[docnum] if p + index in present}
                            if kept:
                                found[docnum] = kept
            starts = found
            candidates = bits_from_docnums(starts, self.size)
        return candidates

    def rank(
        self, searcher: Searcher, terms: Iterable[str], matched: int, limit: int
    ) -> list[tuple[int, float]]:
        """The ``limit`` best documents of ``matched`` by BM25F over ``terms``.

        Each field's contribution is BM25 on the field's own term frequency,
        multiplied by the field's boost (a title match counts three times a
        body match); contributions add up over fields and terms.
        """
        flags = matched.to_bytes(self.size, "little")
        scores: dict[int, float] = {}
        get = scores.get
        documents = self.size or 1
        for text in dict.fromkeys(terms):
            for fieldname, boost in TEXT_FIELDS.items():
                postings = self.postings(searcher, fieldname, text)
                if not postings.doc_frequency or not (postings.bits & matched):
                    continue
                idf = math.log(documents / (postings.doc_frequency + 1)) + 1
                factor = boost * idf * (BM25_K1 + 1)
                norms = self.norms(searcher, fieldname)
                # Stored weights are frequency × field boost.
                unboost = 1.0 / boost
                for docnum, weight in zip(postings.ids, postings.weights, strict=True):
                    if flags[docnum]:
                        tf = weight * unboost
                        scores[docnum] = get(docnum, 0.0) + factor * tf / (tf + norms[docnum])
        best = heapq.nlargest(limit, scores.items(), key=lambda item: (item[1], -item[0]))
        return best


def leaf_readers(searcher: Searcher) -> list[tuple[IndexReader, int]]:
    reader = searcher.reader()
    if reader.is_atomic():
        return [(reader, 0)]
    return list(reader.leaf_readers())


def _segment_id(reader: IndexReader) -> str:
    segment = reader.segment()
    return segment.segment_id() if segment is not None else f"reader-{id(reader)}"


def view_key(searcher: Searcher) -> tuple[Any, ...]:
    return tuple(
        (_segment_id(reader), reader.doc_count_all(), reader.doc_count())
        for reader, _ in leaf_readers(searcher)
    )
