"""Filling a fresh generation with documents, on several cores when asked.

Whoosh's own ``MpWriter`` is not used: a sub-process that dies is silently
left out of the commit (its documents are lost) or leaves the parent blocked
on a full queue forever. Here each chunk of documents is indexed into its own
segment by a ``ProcessPoolExecutor`` worker; a dead worker raises
``BrokenProcessPool`` in the parent, and the segments are committed together
only when every chunk has come back. The document count is checked after the
commit either way.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from whoosh import index as windex
from whoosh.writing import IndexWriter, SegmentWriter

#: Documents per worker segment: big enough that a 100,000-document rebuild
#: leaves a few dozen segments, small enough to bound each worker's memory.
#: Chunks start at FIRST_CHUNK and double up to it, so that a small rebuild
#: still keeps every worker busy.
CHUNK_DOCUMENTS = 4_000
FIRST_CHUNK = 500
WRITER_MEMORY_MB = 256


class RebuildError(RuntimeError):
    """The new generation did not come out whole; the live one is untouched."""


def _chunks(items: Iterable[dict[str, Any]], largest: int) -> Iterator[list[dict[str, Any]]]:
    size = min(FIRST_CHUNK, largest)
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
            size = min(size * 2, largest)
    if chunk:
        yield chunk


def _index_chunk(path: str, documents: list[dict[str, Any]]) -> Any:
    """Worker: write one segment into the generation at ``path``, uncommitted.

    The parent holds no lock on a generation that is not live yet, and commits
    the returned segment together with the others.
    """
    ix = windex.open_dir(path)
    writer = SegmentWriter(ix, _lk=False, limitmb=WRITER_MEMORY_MB)
    try:
        for fields in documents:
            writer.add_document(**fields)
        return writer._finalize_segment()
    except BaseException:
        with contextlib.suppress(Exception):
            writer._close_segment()
        raise


def fill(ix: windex.FileIndex, path: str, documents: Iterable[dict[str, Any]], procs: int) -> int:
    """Add ``documents`` (Whoosh field dicts) to the empty index ``ix``."""
    count = 0
    if procs <= 1:
        writer: IndexWriter = ix.writer(limitmb=WRITER_MEMORY_MB)
        try:
            for fields in documents:
                writer.add_document(**fields)
                count += 1
            writer.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.cancel()
            raise
    else:
        segments = []
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=procs, mp_context=context) as pool:
            pending: set[Future[Any]] = set()
            try:
                for chunk in _chunks(documents, CHUNK_DOCUMENTS):
                    # A bounded number of chunks in flight bounds memory.
                    while len(pending) >= procs * 2:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        segments.extend(future.result() for future in done)
                    pending.add(pool.submit(_index_chunk, path, chunk))
                    count += len(chunk)
                segments.extend(future.result() for future in pending)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        if segments:
            writer = ix.writer()
            try:
                writer.commit(mergetype=lambda _writer, existing: [*existing, *segments])
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.cancel()
                raise
    found = ix.doc_count_all()
    if found != count:
        raise RebuildError(f"rebuild wrote {found} documents instead of {count}")
    return count
