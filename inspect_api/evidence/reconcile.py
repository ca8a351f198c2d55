"""Finding objects without rows (left by a crash between the store write and the row
write) and rows without their original (which should never happen, so it is reported
loudly). A thumbnail is made on first request: one not made yet is only counted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from ..db import db, utcnow
from ..storage import ObjectInfo, get_store
from .models import Evidence

PREFIX = "evidence/"


@dataclass
class ReconcileReport:
    objects_checked: int = 0
    rows_checked: int = 0
    orphans: list[ObjectInfo] = field(default_factory=list)
    young_orphans: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)  # (evidence id, key)
    thumbnails_to_make: int = 0
    removed: int = 0


def reconcile(*, remove: bool = False, older_than: dt.timedelta = dt.timedelta(hours=1)) -> ReconcileReport:
    """Compare the store's evidence objects with the rows. With remove=True, delete the
    orphans older than `older_than` (younger ones may belong to an upload in flight)."""
    report = ReconcileReport()
    store = get_store()
    stored: dict[str, ObjectInfo] = {}
    for info in store.list(PREFIX):
        stored[info.key] = info
    report.objects_checked = len(stored)

    referenced: set[str] = set()
    rows = db.session.execute(
        select(Evidence.id, Evidence.object_key, Evidence.thumbnail_key)
    ).yield_per(5000)
    for evidence_id, object_key, thumbnail_key in rows:
        report.rows_checked += 1
        referenced.update((object_key, thumbnail_key))
        if object_key not in stored:
            report.missing.append((str(evidence_id), object_key))
        if thumbnail_key not in stored:
            report.thumbnails_to_make += 1
    db.session.rollback()

    cutoff = utcnow() - older_than
    for key, info in sorted(stored.items()):
        if key in referenced:
            continue
        if info.modified_at > cutoff:
            report.young_orphans += 1
            continue
        report.orphans.append(info)
        if remove:
            store.delete(key)
            report.removed += 1
    return report
