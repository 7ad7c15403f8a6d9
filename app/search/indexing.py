"""Index work that is never lost.

Every change to a material is recorded as an ``IndexTask`` in the very
transaction that makes it (a SQLAlchemy flush hook, so no service can forget).
One writer, holding a lease in the database, applies the tasks in order:
a thread under ``make run``, ``flask index-worker`` in production. A crash, a
locked index or a second worker only delays search.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, event, inspect, select, update
from sqlalchemy.orm import Session, selectinload

from app.core.models import utcnow
from app.core.storage import get_store
from app.extensions import db
from app.materials.models import Material, StoredFile
from app.search.models import FileText, IndexState, IndexTask, TextStatus, WorkerLease
from search_index import ExtractionLimits, IndexDocument, SearchIndex, extract_text

log = logging.getLogger(__name__)

LEASE_NAME = "search-index"
LEASE_SECONDS = 120
MAX_BACKOFF_SECONDS = 600
EXTRACTABLE = {"pdf", "docx", "doc", "odt", "rtf", "txt", "pptx", "odp", "xlsx", "ods"}
# Bookkeeping columns: changing only these must not queue the material again.
QUIET_ATTRIBUTES = {"index_state", "index_error", "indexed_at", "download_count", "updated_at"}
QUIET_FILE_ATTRIBUTES = {"text_status", "text_reason", "download_count"}
MAX_BODY_CHARS = 2_000_000


# --- recording changes in the same transaction --------------------------------------


def _changed(obj: Material | StoredFile, quiet: set[str]) -> bool:
    return any(attr.history.has_changes() for attr in inspect(obj).attrs if attr.key not in quiet)


def _after_flush(session: Session, _context: Any) -> None:
    # material id -> the object to mark pending (None when it is being deleted)
    pending: dict[int, Material | None] = session.info.setdefault("index_pending", {})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Material) and obj.id is not None:
            if obj in session.deleted:
                pending[obj.id] = None
            elif obj in session.new or _changed(obj, QUIET_ATTRIBUTES):
                pending.setdefault(obj.id, obj)
        elif (
            isinstance(obj, StoredFile)
            and obj.material_id is not None
            and (
                obj in session.new or obj in session.deleted or _changed(obj, QUIET_FILE_ATTRIBUTES)
            )
        ):
            pending.setdefault(obj.material_id, obj.material)


def _after_flush_postexec(session: Session, _context: Any) -> None:
    pending: dict[int, Material | None] = session.info.pop("index_pending", {})
    # One task per material per transaction, however many flushes it takes.
    queued: set[int] = session.info.setdefault("index_queued", set())
    for material_id, material in sorted(pending.items(), key=lambda item: item[0]):
        if material_id not in queued:
            queued.add(material_id)
            session.add(IndexTask(doc_id=f"material:{material_id}"))
        if material is not None and material.index_state != IndexState.PENDING:
            material.index_state = IndexState.PENDING


def _forget_queued(session: Session, *_args: Any) -> None:
    session.info.pop("index_queued", None)
    session.info.pop("index_pending", None)


def install_hooks() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_flush_postexec", _after_flush_postexec)
        event.listen(Session, "after_commit", _forget_queued)
        event.listen(Session, "after_soft_rollback", _forget_queued)


# --- the index -------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    install_hooks()
    app.extensions["search_index"] = SearchIndex(app.config["SEARCH_INDEX_DIR"])


def get_index() -> SearchIndex:
    """The search index; created empty on first use on a fresh install."""
    index: SearchIndex = current_app.extensions["search_index"]
    if index.current_generation() is None:
        _create_if_nothing_is_lost(index)
    return index


def _create_if_nothing_is_lost(index: SearchIndex) -> None:
    """Create the empty index unless it once held materials.

    Until a material has been indexed, every material still has its task in
    the outbox, so an empty index plus the worker gives the whole index: a
    fresh install is healthy after ``db upgrade``. An index that held
    materials and then vanished stays missing: search answers from the
    database and /healthz says so until ``flask reindex``, rather than
    serving an index that silently lacks them.
    """
    try:
        # Its own connection: a failure must not roll back the caller's session.
        with db.engine.connect() as connection:
            indexed = connection.execute(
                select(Material.id).where(Material.indexed_at.is_not(None)).limit(1)
            ).first()
    except Exception:
        log.warning("cannot tell whether the missing search index held data", exc_info=True)
        return
    if indexed is None:
        index.create()
        log.info("created an empty search index in %s", index.index_dir)
    elif index.index_dir not in _reported_missing:
        _reported_missing.add(index.index_dir)  # once per process, not per search
        log.warning("the search index is missing: run flask --app wsgi reindex")


_reported_missing: set[str] = set()


def check() -> None:
    status = get_index().check()
    if not status.ok:
        raise RuntimeError(status.detail or "index unavailable")


# --- building documents --------------------------------------------------------------------


def _extraction_limits() -> ExtractionLimits:
    config = current_app.config
    return ExtractionLimits(
        wall_seconds=float(config["EXTRACT_TIMEOUT_SECONDS"]),
        max_file_bytes=int(config["UPLOAD_MAX_BYTES"]),
    )


def extract_file_text(file: StoredFile) -> None:
    """Extract once and keep the text in the database; the index is rebuilt from it."""
    if file.kind not in EXTRACTABLE:
        file.text_status, file.text_reason = TextStatus.NONE, ""
        return
    store = get_store()
    path = store.local_path(file.storage_key)
    temp: str | None = None
    try:
        if path is None:
            fd, temp = tempfile.mkstemp(prefix="extract-", suffix=f".{file.kind}")
            with os.fdopen(fd, "wb") as out, store.open(file.storage_key) as source:
                while chunk := source.read(1024 * 1024):
                    out.write(chunk)
            path = temp
        result = extract_text(path, file.kind, _extraction_limits())
    finally:
        if temp is not None:
            os.unlink(temp)
    text_row = db.session.get(FileText, file.id) or FileText(file_id=file.id)
    text_row.text = result.text
    db.session.add(text_row)
    file.text_status = result.status
    file.text_reason = (result.reason or "")[:300]


def _texts(material: Material) -> str:
    ids = [f.id for f in material.current_files]
    if not ids:
        return ""
    rows = db.session.execute(
        select(FileText.file_id, FileText.text).where(FileText.file_id.in_(ids))
    ).all()
    by_id = dict(rows)
    return "\n\n".join(by_id.get(i, "") for i in ids)[:MAX_BODY_CHARS]


def material_document(material: Material) -> IndexDocument:
    return IndexDocument(
        id=material.doc_id,
        kind="material",
        title=material.title,
        annotation=material.annotation,
        keywords=material.keywords,
        authors=material.authors,
        body=_texts(material),
        filters={
            "subject": [str(s.id) for s in material.subjects],
            "type": [material.material_type],
            "level": list(material.levels),
            "organization": [str(material.organization_id)] if material.organization_id else [],
            "collection": [str(c.id) for c in material.collections],
            "year": [str(material.year)] if material.year else [],
            "status": [material.status],
        },
        created=material.published_at or material.created_at,
        downloads=material.download_count,
    )


def _load_material(material_id: int) -> Material | None:
    return db.session.execute(
        select(Material)
        .where(Material.id == material_id)
        .options(
            selectinload(Material.files),
            selectinload(Material.subjects),
            selectinload(Material.collections),
            selectinload(Material.level_rows),
        )
    ).scalar_one_or_none()


def _prepare(material: Material) -> IndexDocument:
    for file in material.current_files:
        if file.text_status == TextStatus.PENDING:
            extract_file_text(file)
    return material_document(material)


# --- the single writer -----------------------------------------------------------------------


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:6]}"


def acquire_lease(holder: str, seconds: int = LEASE_SECONDS) -> bool:
    """Take or renew the writer's lease; a conditional UPDATE, so two cannot both win."""
    now = utcnow()
    if db.session.get(WorkerLease, LEASE_NAME) is None:
        db.session.add(
            WorkerLease(name=LEASE_NAME, holder="", expires_at=now - timedelta(seconds=1))
        )
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
    result = db.session.execute(
        update(WorkerLease)
        .where(
            WorkerLease.name == LEASE_NAME,
            (WorkerLease.holder == holder) | (WorkerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
    )
    db.session.commit()
    return bool(result.rowcount)


def release_lease(holder: str) -> None:
    db.session.execute(
        update(WorkerLease)
        .where(WorkerLease.name == LEASE_NAME, WorkerLease.holder == holder)
        .values(holder="", expires_at=utcnow())
    )
    db.session.commit()


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** min(attempts, 10)))


def process_batch(holder: str, limit: int = 100) -> int:
    """Apply up to ``limit`` due tasks in order; returns how many tasks were settled."""
    if not acquire_lease(holder):
        return 0
    now = utcnow()
    tasks = list(
        db.session.execute(
            select(IndexTask)
            .where(IndexTask.available_at <= now)
            .order_by(IndexTask.id)
            .limit(limit)
        ).scalars()
    )
    if not tasks:
        release_lease(holder)  # idle: let `flask reindex` or another worker in
        return 0
    try:
        return _settle(tasks, holder)
    finally:
        # Holding the lease between batches would lock out `flask reindex`.
        release_lease(holder)


def _settle(tasks: list[IndexTask], holder: str) -> int:
    by_doc: dict[str, list[IndexTask]] = {}
    for task in tasks:
        by_doc.setdefault(task.doc_id, []).append(task)

    upserts: list[IndexDocument] = []
    deletes: list[str] = []
    ready: list[str] = []
    for doc_id, doc_tasks in by_doc.items():
        material_id = int(doc_id.split(":", 1)[1])
        material = _load_material(material_id)
        try:
            if material is None:
                deletes.append(doc_id)
            else:
                upserts.append(_prepare(material))
                db.session.commit()  # keep extracted text even if the index write fails
            ready.append(doc_id)
            acquire_lease(holder)  # extraction can be slow: keep the lease fresh
        except Exception as exc:
            db.session.rollback()
            log.exception("could not prepare %s for the index", doc_id)
            _retry(doc_tasks, f"{type(exc).__name__}: {exc}")

    if not ready or not acquire_lease(holder):
        # Nothing to write, or extraction outlasted the lease and another writer took over.
        return 0
    try:
        index = get_index()
        if not index.exists():
            # Writing now would create an index holding only this batch; search
            # stays in its simple mode until `flask reindex` builds it whole.
            raise RuntimeError("поисковый индекс не создан: выполните flask --app wsgi reindex")
        index.apply(upserts, deletes)
    except Exception as exc:  # a locked or broken index: keep the work, try later
        db.session.rollback()
        log.warning("index write failed: %s", exc)
        for doc_id in ready:
            _retry(by_doc[doc_id], f"{type(exc).__name__}: {exc}")
        return 0

    settled_ids = [t.id for doc_id in ready for t in by_doc[doc_id]]
    db.session.execute(delete(IndexTask).where(IndexTask.id.in_(settled_ids)))
    material_ids = [int(d.split(":", 1)[1]) for d in ready if d not in deletes]
    if material_ids:
        # Only materials with no newer task waiting are "in search" now.
        waiting = select(IndexTask.doc_id).where(IndexTask.id.not_in(settled_ids))
        for material_id in material_ids:
            db.session.execute(
                update(Material)
                .where(Material.id == material_id, Material.doc_id_expr().not_in(waiting))
                .values(index_state=IndexState.INDEXED, index_error="", indexed_at=utcnow())
            )
    db.session.commit()
    return len(settled_ids)


def _retry(tasks: Iterable[IndexTask], error: str) -> None:
    ids = [t.id for t in tasks]
    doc_id = next(iter(tasks)).doc_id if ids else ""
    for task_id in ids:
        task = db.session.get(IndexTask, task_id)
        if task is None:
            continue
        task.attempts += 1
        task.available_at = utcnow() + _backoff(task.attempts)
        task.last_error = error[:2000]
    if doc_id.startswith("material:"):
        db.session.execute(
            update(Material)
            .where(Material.id == int(doc_id.split(":", 1)[1]))
            .values(index_state=IndexState.ERROR, index_error=error[:2000])
        )
    db.session.commit()


def drain(holder: str | None = None, max_batches: int = 1000) -> int:
    """Apply every due task now (tests, the CLI's --once)."""
    holder = holder or worker_id()
    total = 0
    for _ in range(max_batches):
        done = process_batch(holder)
        if not done:
            break
        total += done
    return total


def pending_count() -> int:
    from sqlalchemy import func

    return int(db.session.execute(select(func.count()).select_from(IndexTask)).scalar_one())


# --- rebuilding ----------------------------------------------------------------------------


def _all_documents(material_ids: list[int]) -> Iterator[IndexDocument]:
    for material_id in material_ids:
        material = _load_material(material_id)
        if material is None:
            continue
        material.refresh_search_text()
        doc = _prepare(material)
        db.session.commit()
        yield doc


def reindex(holder: str | None = None) -> int:
    """Rebuild the whole index from the database and swap it in; searches go on meanwhile."""
    holder = holder or worker_id()
    deadline = time.monotonic() + 60
    while not acquire_lease(holder, seconds=3600):
        if time.monotonic() > deadline:
            raise RuntimeError("another index worker holds the lease; stop it or wait")
        time.sleep(1)
    try:
        last_task = db.session.execute(select(IndexTask.id).order_by(IndexTask.id.desc())).scalar()
        ids = list(db.session.execute(select(Material.id).order_by(Material.id)).scalars())
        count = get_index().rebuild(_all_documents(ids))
        if last_task is not None:
            db.session.execute(delete(IndexTask).where(IndexTask.id <= last_task))
        db.session.execute(
            update(Material).values(
                index_state=IndexState.INDEXED, index_error="", indexed_at=utcnow()
            )
        )
        db.session.commit()
        return count
    finally:
        release_lease(holder)


# --- the worker loop -------------------------------------------------------------------------


def run_worker(app: Flask, stop: threading.Event, idle_seconds: float = 1.0) -> None:
    holder = worker_id()
    with app.app_context():
        try:
            get_index()  # a fresh install gets its empty index before the first task
        except Exception:
            log.exception("could not open the search index")
    while not stop.is_set():
        done = 0
        try:
            with app.app_context():
                done = process_batch(holder)
        except Exception:  # the loop must survive a database hiccup
            log.exception("index worker cycle failed")
        if not done:
            stop.wait(idle_seconds)
    with app.app_context():
        try:
            release_lease(holder)
        except Exception:
            log.exception("could not release the index lease")


def start_worker_thread(app: Flask) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(app, stop), name="index-worker", daemon=True)
    thread.start()
    return stop
