"""Checking the store against the database: the database is the source of truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from app.core import file_references
from app.core.models import utcnow
from app.core.storage import get_store

ORPHAN_GRACE = timedelta(hours=1)


@dataclass
class StorageReport:
    objects: int = 0
    rows: int = 0
    orphans: list[str] = field(default_factory=list)
    young_orphans: list[str] = field(default_factory=list)
    missing: list[tuple[int, str]] = field(default_factory=list)
    corrupted: list[tuple[int, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.orphans or self.young_orphans or self.missing or self.corrupted)


def check_storage(*, fix: bool = False, verify: bool = True) -> StorageReport:
    """Objects without rows, rows without objects, checksum mismatches; ``fix`` removes
    orphans older than an hour (younger ones may belong to an upload still committing)."""
    store = get_store()
    report = StorageReport()
    referenced: dict[str, list[int]] = {}
    for file_id, key in file_references.references():
        referenced.setdefault(key, []).append(file_id)
        report.rows += 1
    cutoff = utcnow() - ORPHAN_GRACE
    present: set[str] = set()
    for obj in store.iter_objects():
        report.objects += 1
        present.add(obj.key)
        if obj.key in referenced:
            continue
        if obj.modified is not None and obj.modified > cutoff:
            report.young_orphans.append(obj.key)
        else:
            report.orphans.append(obj.key)
    for key, file_ids in referenced.items():
        if key not in present:
            report.missing.extend((file_id, key) for file_id in file_ids)
        elif verify and not store.verify(key):
            report.corrupted.extend((file_id, key) for file_id in file_ids)
    if fix:
        for key in report.orphans:
            # Re-read every kind of reference: an upload, a module file or a training
            # scan may have deduplicated onto these bytes since the scan.
            if not file_references.is_referenced(key):
                store.delete(key)
                report.removed.append(key)
        store.purge_temp(ORPHAN_GRACE)
    return report
