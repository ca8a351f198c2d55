"""Receiving, storing, serving and removing photo evidence.

The order of an upload is what makes it safe on bad networks and failing stores:
1. the body goes on to the store while it arrives (one presigned PUT under keys of this
   attempt alone), hashed (SHA-256 for the client, MD5 for the store) and copied on the
   way, to memory if it announces at most SPOOL_IN_MEMORY bytes, else to a temporary
   file (a worker never holds more of a photo), and a cut-off body or a store error
   aborts the PUT, so the store keeps nothing (400 or 503);
2. the SHA-256 the client declared, the image (from that copy, without decoding
   its pixels: images.check_image) and the MD5 the store reports of what it kept are
   checked; if any fails, the object is removed again;
3. only then is the row written; if that fails, the object is removed.
So a row never points at a missing or unchecked original, and an object without a row is
at most a leftover of a crash in between, which `flask storage reconcile` finds. A body
of unknown length (chunked) and a retry of a stored photo are received whole first, and
only then written (if at all): `_upload_spooled`. A client that stalls mid-body keeps the
store's PUT waiting too; a store that gives up on it is a 503 the tablet retries (behind a
reverse proxy that buffers request bodies, the body arrives whole and fast anyway).

The thumbnail is made when it is first asked for (`download_target`, the minutes) and
kept in the store under the key the row names: decoding is the dearest part of an
upload, and a tablet syncing a day's photos should not wait for it. A photo whose pixels
turn out damaged then has no thumbnail (404 for it, a note in the minutes); the
original stays stored and downloadable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import secrets
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from collections.abc import Callable, Mapping
from typing import IO, Any, BinaryIO, Protocol, cast

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import joinedload

from ..audit.service import Origin, record, snapshot
from ..auth.models import User
from ..db import db, utcnow
from ..errors import (
    AppError, Conflict, Forbidden, IncompleteUpload, Invalid, NotFound, PhotoTooLarge, StoreDown, TooLarge,
    UnsupportedMediaType,
)
from ..plans.models import team_members
from ..storage import StoreUnavailable, get_store
from ..visits.models import Finding, Visit
from ..visits.service import get_visit, visible_visits
from .flags import load_new_photo_facts
from .images import (
    EXTENSIONS, FORMATS, ImageFacts, ImageRejected, ImageTooLarge, check_image, make_thumbnail, media_type_of,
)
from .models import Evidence

log = logging.getLogger(__name__)
CHUNK = 256 * 1024
# A body announcing at most this many bytes is copied to memory for its check, not to
# a temporary file: what a worker holds of a photo stays bounded by it.
SPOOL_IN_MEMORY = 4 * 1024 * 1024
RETRY_AFTER_SECONDS = "30"
# A body of this type is a photo whose type the server reads from its bytes: the one
# type every generated client can send raw bytes as.
OCTET_STREAM = "application/octet-stream"


def _store_down(detail: str = "Kho lưu trữ ảnh tạm thời không sẵn sàng; ảnh chưa được lưu. "
                              "Vui lòng gửi lại sau.") -> StoreDown:
    return StoreDown(detail, headers={"Retry-After": RETRY_AFTER_SECONDS})


@dataclass(frozen=True)
class UploadLimits:
    """What one photo may weigh (EVIDENCE_MAX_BYTES, _MAX_PIXELS, _MAX_DECODE_BYTES)."""

    max_bytes: int
    max_pixels: int
    max_decode_bytes: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> UploadLimits:
        return cls(settings["EVIDENCE_MAX_BYTES"], settings["EVIDENCE_MAX_PIXELS"],
                   settings["EVIDENCE_MAX_DECODE_BYTES"])


def evidence_snapshot(evidence: Evidence) -> dict[str, Any]:
    return snapshot(evidence, "id", "visit_id", "finding_id", "sha256", "size", "content_type", "width",
                    "height", "taken_at", "gps", "uploaded_at", uploaded_by=evidence.uploaded_by_id)


@dataclass(frozen=True)
class Received:
    """A body received and copied for its check: its hashes, its length, its checked type."""

    sha256: str
    md5: bytes
    size: int
    media_type: str


def _receive(stream: IO[bytes], target: BinaryIO, media_type: str, declared_sha256: str | None,
             max_bytes: int) -> Received:
    """Copy the body to `target`, hashing on the way; refuse one too large, empty, not the
    bytes the client hashed, or (sent as octet-stream) of no accepted type."""
    digest = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    while True:
        block = stream.read(CHUNK)
        if not block:
            break
        size += len(block)
        if size > max_bytes:
            raise TooLarge(f"Ảnh vượt quá {max_bytes // (1024 * 1024)} MiB.")
        digest.update(block)
        md5.update(block)
        target.write(block)
    target.flush()
    sha256 = digest.hexdigest()
    _check_declared_hash(declared_sha256, sha256)
    if size == 0:
        raise Invalid("Nội dung ảnh trống.", errors={"body": ["Trống."]})
    if media_type == OCTET_STREAM:
        target.seek(0)
        detected = media_type_of(target.read(16))
        if detected is None:
            raise _unsupported()
        media_type = detected
    return Received(sha256, md5.digest(), size, media_type)


def _check(body: BinaryIO, media_type: str, limits: UploadLimits) -> ImageFacts:
    body.seek(0)
    try:
        return check_image(body, media_type, limits.max_pixels, limits.max_decode_bytes)
    except ImageTooLarge as exc:
        raise PhotoTooLarge(str(exc), errors={"body": [str(exc)]}) from None
    except ImageRejected as exc:
        raise Invalid(str(exc), errors={"body": [str(exc)]}) from None


def _keys(base: str) -> dict[str, str]:
    return {"original": f"{base}/original", "thumbnail": f"{base}/thumbnail.jpg"}


def _require_team_member(actor: User, visit: Visit) -> None:
    # One row looked up, not the team and all its members loaded: it runs on every upload.
    member = db.session.scalar(select(team_members.c.user_id).where(
        team_members.c.team_id == visit.team_id, team_members.c.user_id == actor.id))
    if member is None:
        raise Forbidden("Chỉ thành viên đoàn kiểm tra được gửi hoặc xóa minh chứng.")


def _same_upload(existing: Evidence, visit_id: uuid.UUID, sha256: str) -> bool:
    if existing.visit_id != visit_id:
        raise Conflict("Mã minh chứng đã được dùng cho buổi kiểm tra khác.")
    if existing.sha256 != sha256:
        raise Conflict("Mã minh chứng đã có với nội dung khác; hãy dùng mã mới cho ảnh mới.",
                       current=existing)
    return True


def upload_evidence(actor: User, visit_id: uuid.UUID, evidence_id: uuid.UUID,
                    finding_id: uuid.UUID | None, media_type: str,
                    stream: IO[bytes], declared_sha256: str | None, *, limits: UploadLimits,
                    origin: Origin | None = None, length: int | None = None) -> tuple[Evidence, bool]:
    """Store one photo. Returns (evidence, created); the same bytes again give the same
    record (created False); other bytes under the same id give 409. `media_type`: the
    declared type without parameters, lower case; `length`: the body's Content-Length,
    if the client sent one."""
    visit = get_visit(actor, visit_id)
    _require_team_member(actor, visit)
    if media_type not in FORMATS and media_type != OCTET_STREAM:
        raise _unsupported()
    if finding_id is None:
        raise Invalid("Cần cho biết minh chứng thuộc kết quả nào (finding_id).",
                      errors={"query": {"finding_id": ["Bắt buộc."]}})
    if length is not None and length > limits.max_bytes:
        raise TooLarge(f"Ảnh vượt quá {limits.max_bytes // (1024 * 1024)} MiB.")
    if not length or db.session.get(Evidence, evidence_id) is not None:
        # A retry of a stored photo (its bytes are compared, never written again), or a
        # body of unknown length: received whole first.
        return _upload_spooled(actor, visit_id, evidence_id, finding_id, media_type, stream,
                               declared_sha256, limits, origin)
    _check_target(visit_id, finding_id)
    # No transaction stays open while the body arrives or the store is written: on SQLite
    # an open transaction holds the write lock, and a tablet on 3G is slow.
    db.session.rollback()
    keys = _attempt_keys(visit_id, evidence_id)
    with _spool(length) as body:
        received, facts = _stream_original(keys, stream, body, length, media_type, declared_sha256, limits)
    return _insert_row_or_undo(actor, visit_id, evidence_id, finding_id, keys, received.sha256, received.size,
                               facts.media_type, facts, origin)


def _upload_spooled(actor: User, visit_id: uuid.UUID, evidence_id: uuid.UUID, finding_id: uuid.UUID,
                    media_type: str, stream: IO[bytes], declared_sha256: str | None, limits: UploadLimits,
                    origin: Origin | None) -> tuple[Evidence, bool]:
    db.session.rollback()  # see upload_evidence: nothing open while the body arrives
    with tempfile.TemporaryFile() as body:
        received = _receive(stream, body, media_type, declared_sha256, limits.max_bytes)
        sha256, size = received.sha256, received.size
        existing = db.session.get(Evidence, evidence_id)
        if existing is not None and _same_upload(existing, visit_id, sha256):
            return existing, False
        _check_target(visit_id, finding_id)
        db.session.rollback()
        facts = _check(body, received.media_type, limits)
        # From here on the type is what Pillow found in the bytes (the declared one had to
        # match it): it is what the store serves and browsers are told.
        media_type = facts.media_type
        keys = _attempt_keys(visit_id, evidence_id)
        _put_original(keys, body, received, media_type)
    return _insert_row_or_undo(actor, visit_id, evidence_id, finding_id, keys, sha256, size, media_type,
                               facts, origin)


def _spool(length: int) -> BinaryIO:
    """Where the body is copied for the image check: memory for a photo of a few MiB
    (a temporary file costs its creation and the kernel's copy), a file beyond."""
    if length <= SPOOL_IN_MEMORY:
        return io.BytesIO()
    return cast(BinaryIO, tempfile.TemporaryFile())


def _check_target(visit_id: uuid.UUID, finding_id: uuid.UUID) -> None:
    """The visit still takes photos and the finding is one of its own (checked again, under
    the visit's lock, when the row is written)."""
    visit = db.session.get_one(Visit, visit_id)
    if not visit.editable:
        raise Conflict("Buổi kiểm tra đã nộp hoặc đã duyệt; không thể thêm minh chứng.")
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.visit_id != visit_id:
        raise Invalid("Kết quả (finding) không thuộc buổi kiểm tra này; hãy đồng bộ kết quả trước.",
                      errors={"query": {"finding_id": ["Không tìm thấy trong buổi kiểm tra."]}})


def _attempt_keys(visit_id: uuid.UUID, evidence_id: uuid.UUID) -> dict[str, str]:
    """Keys of this attempt's objects. Random per attempt, so an attempt never writes or
    removes another's objects (a concurrent retry, a corrupted copy of the same photo):
    the row names the winner's, and every loser removes its own."""
    return _keys(f"evidence/{visit_id}/{evidence_id}/{secrets.token_hex(8)}")


class _Tee:
    """The request body read once, as the store asks for it: counted, hashed (SHA-256
    for the client, MD5 to compare with what the store kept) and copied to `spool` for
    the image check. The client's own errors (a dropped connection, a short body) are
    kept, so that they are not taken for the store's."""

    def __init__(self, stream: IO[bytes], spool: BinaryIO, length: int, first: bytes):
        self.stream = stream
        self.spool = spool
        self.length = length
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0
        self.client_error: BaseException | None = None
        self._pending = first

    def read(self, size: int = -1) -> bytes:
        size = CHUNK if size is None or size < 0 else size
        if self._pending:
            block, self._pending = self._pending[:size], self._pending[size:]
        else:
            try:
                block = self.stream.read(size)
                if not block and self.size < self.length:
                    raise incomplete_upload()
            except BaseException as exc:
                self.client_error = exc
                raise
        if block:
            self.size += len(block)
            self.sha256.update(block)
            self.md5.update(block)
            self.spool.write(block)
        return block


def _read_head(stream: IO[bytes]) -> bytes:
    """The body's first block, at least long enough to tell its type."""
    head = b""
    while len(head) < 16:
        block = stream.read(CHUNK)
        if not block:
            break
        head += block
    return head


def _stream_original(keys: dict[str, str], stream: IO[bytes], spool: BinaryIO, length: int, media_type: str,
                     declared_sha256: str | None, limits: UploadLimits) -> tuple[Received, ImageFacts]:
    """Steps 1-3 of an upload in one pass: the body goes on to the store while it
    arrives, hashed and copied to `spool` on the way; then the hash, the image and what
    the store kept are checked, and on any failure the object is removed again."""
    head = _read_head(stream)
    if media_type == OCTET_STREAM:
        # Known before a byte goes to the store, which keeps it under this type.
        media_type = media_type_of(head[:16]) or ""
        if not media_type:
            raise _unsupported()
    tee = _Tee(stream, spool, length, head)
    try:
        stored_md5 = get_store().put_once(keys["original"], cast(BinaryIO, tee), length, media_type)
    except StoreUnavailable as exc:
        if tee.client_error is not None:
            raise tee.client_error from None
        log.warning("object store unavailable: %s", exc)
        raise _store_down() from None
    try:
        spool.flush()
        sha256 = tee.sha256.hexdigest()
        _check_declared_hash(declared_sha256, sha256)
        received = Received(sha256, tee.md5.digest(), tee.size, media_type)
        facts = _check(spool, media_type, limits)
        if stored_md5 != received.md5.hex():
            _verify_stored(keys["original"], received, stored_md5)
    except BaseException:
        _remove_objects([keys["original"]])
        raise
    return received, facts


def _verify_stored(key: str, received: Received, stored_md5: str | None) -> None:
    """The store reported no MD5, or another one: read the object back and compare."""
    digest = hashlib.sha256()
    try:
        with get_store().open(key) as stored:
            for block in iter(lambda: stored.read(CHUNK), b""):
                digest.update(block)
    except (StoreUnavailable, FileNotFoundError) as exc:
        log.warning("object %s could not be read back: %s", key, exc)
        raise _store_down() from None
    if digest.hexdigest() != received.sha256:
        log.error("object %s: the store kept other bytes (its MD5 %s, ours %s)", key, stored_md5,
                  received.md5.hex())
        raise _store_down()


def _check_declared_hash(declared_sha256: str | None, sha256: str) -> None:
    if declared_sha256 and declared_sha256.strip().lower() != sha256:
        raise Invalid("Mã băm SHA-256 không khớp nội dung nhận được; ảnh có thể bị hỏng "
                      "trên đường truyền. Hãy gửi lại.",
                      errors={"headers": {"X-Content-SHA256": ["Không khớp."]}})


@dataclass(frozen=True)
class StoredPhoto:
    """A photo checked and written to the store (its original), not yet
    recorded in any row: what `store_photo` hands to the feature that records it."""

    sha256: str
    size: int
    media_type: str
    facts: ImageFacts
    keys: dict[str, str]


def store_photo(stream: IO[bytes], media_type: str, declared_sha256: str | None, *,
                limits: UploadLimits, key_base: Callable[[str], str]) -> StoredPhoto:
    """Steps 1-3 of an upload (see the top of this module) for a photo that is not a
    finding's (a correction's): stream and hash the body, check it is a whole image of
    its type within the limits, write the original (the thumbnail's key is named, the
    thumbnail made on first request). `key_base(sha256)` names where they go; the caller
    writes its row next, and on failure calls `remove_photo(stored)`. No transaction may be
    open: the body can take minutes."""
    if media_type not in FORMATS and media_type != OCTET_STREAM:
        raise _unsupported()
    with tempfile.TemporaryFile() as body:
        received = _receive(stream, body, media_type, declared_sha256, limits.max_bytes)
        facts = _check(body, received.media_type, limits)
        keys = _keys(key_base(received.sha256))
        _put_original(keys, body, received, facts.media_type)
    return StoredPhoto(received.sha256, received.size, facts.media_type, facts, keys)


def remove_objects(keys: list[str]) -> None:
    """Remove objects whose rows were just deleted (a store failure is logged, and
    `flask storage reconcile` finds what is left)."""
    _remove_objects(keys)


def remove_photo(stored: StoredPhoto) -> None:
    """Undo `store_photo` when its row could not be written."""
    _remove_objects(stored.keys.values())


def _insert_row_or_undo(actor, visit_id, evidence_id, finding_id, keys, sha256, size, media_type,
                        facts, origin: Origin | None) -> tuple[Evidence, bool]:
    """The row for objects already stored. If it cannot be written the objects are removed
    again, unless a concurrent upload of the same photo (same keys) won."""
    try:
        return _insert_row(actor, visit_id, evidence_id, finding_id, keys, sha256, size, media_type, facts,
                           origin)
    except AppError:
        _remove_objects(keys.values())
        raise
    except IntegrityError as exc:
        db.session.rollback()
        existing = db.session.get(Evidence, evidence_id)
        _remove_objects(keys.values())  # this attempt's own (see _attempt_keys)
        if existing is not None and existing.sha256 == sha256:
            return existing, False  # a concurrent upload of the same photo won
        if existing is not None:
            _same_upload(existing, visit_id, sha256)
        # Not a duplicate id (SQLite reports trigger aborts and foreign keys this way):
        # a database failure like any other; a retry gets the real answer.
        log.error("evidence %s: database write failed after the store write: %s", evidence_id, exc)
        raise _database_failed() from None
    except DBAPIError as exc:
        db.session.rollback()
        log.error("evidence %s: database write failed after the store write: %s", evidence_id, exc)
        _remove_objects(keys.values())
        raise _database_failed() from None


def incomplete_upload() -> IncompleteUpload:
    """The body ended before its Content-Length (the connection dropped)."""
    return IncompleteUpload("Kết nối bị ngắt trước khi nhận đủ ảnh; ảnh chưa được lưu. Hãy gửi lại.")


def _unsupported() -> UnsupportedMediaType:
    return UnsupportedMediaType("Chỉ nhận ảnh JPEG, PNG hoặc WebP (Content-Type image/jpeg, "
                                "image/png, image/webp, hoặc application/octet-stream).")


def _database_failed() -> StoreDown:
    return StoreDown("Không ghi được minh chứng vào cơ sở dữ liệu; ảnh chưa được lưu. "
                     "Vui lòng gửi lại sau.", headers={"Retry-After": RETRY_AFTER_SECONDS})


def _put_original(keys: dict[str, str], body: BinaryIO, received: Received, media_type: str) -> None:
    body.seek(0)
    try:
        get_store().put(keys["original"], body, received.size, media_type, md5=received.md5)
    except StoreUnavailable as exc:
        log.warning("object store unavailable: %s", exc)
        raise _store_down() from None


def _remove_objects(keys) -> None:
    store = get_store()
    for key in keys:
        try:
            store.delete(key)
        except StoreUnavailable as exc:  # reconcile will find it
            log.error("could not remove object %s: %s", key, exc)


def _insert_row(actor, visit_id, evidence_id, finding_id, keys, sha256, size, media_type, facts,
                origin: Origin | None) -> tuple[Evidence, bool]:
    # With its desk: the answer's flags judge the photo's position against it.
    visit = db.session.scalar(select(Visit).where(Visit.id == visit_id).options(joinedload(Visit.desk))
                              .with_for_update(of=Visit))
    if visit is None or not visit.editable:
        raise Conflict("Buổi kiểm tra đã nộp hoặc đã duyệt; không thể thêm minh chứng.")
    evidence = Evidence(
        id=evidence_id, visit_id=visit_id, finding_id=finding_id,
        object_key=keys["original"], thumbnail_key=keys["thumbnail"], sha256=sha256, size=size,
        content_type=media_type, width=facts.width, height=facts.height, taken_at=facts.taken_at,
        gps_lat=facts.gps_lat, gps_lon=facts.gps_lon, uploaded_by_id=actor.id, uploaded_at=utcnow(),
    )
    # The answer is this row as written, with its flags judged on what this transaction
    # holds (the visit is locked), so that it needs no second transaction reading the row
    # back. Read before anything is written: the change clock, which serialises every
    # writer, is not held any longer for it.
    load_new_photo_facts(actor, evidence, visit)
    db.session.add(evidence)
    visit.updated_at = utcnow()
    db.session.flush()
    record("upload", "evidence", evidence.id, actor=actor, after=evidence_snapshot(evidence), origin=origin,
           scope_unit_id=visit.desk.org_unit_id)
    # Out of the session, the commit does not expire what was just written (every column
    # was set here, none by the database).
    db.session.expunge(evidence)
    db.session.commit()
    return evidence, True


def get_evidence(actor: User, evidence_id: uuid.UUID) -> Evidence:
    evidence = db.session.scalar(
        select(Evidence).where(Evidence.id == evidence_id,
                               Evidence.visit_id.in_(visible_visits(actor).with_only_columns(Visit.id)))
    )
    if evidence is None:
        raise NotFound("Không tìm thấy minh chứng.")
    return evidence


@dataclass(frozen=True)
class Download:
    """Where a photo's bytes come from: a presigned URL of the store, or a stream the API
    sends itself; with the type and file name to serve them under."""

    url: str | None
    stream: BinaryIO | None
    media_type: str
    filename: str


class StoredImage(Protocol):
    """What serving a photo reads of its row (a finding's Evidence, a correction's photo)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def object_key(self) -> str: ...
    @property
    def thumbnail_key(self) -> str: ...
    @property
    def content_type(self) -> str: ...


def download_target(evidence: StoredImage, which: str, url_expires: dt.timedelta, limits: UploadLimits, *,
                    presign: bool = True) -> Download:
    """The original ("content") or the thumbnail of a photo. The type is the one Pillow
    verified at upload (a JPEG+HTML polyglot is still served as image/jpeg), and the store
    is asked to serve a presigned URL under that type and name too. `presign=False`: always
    the stream (the web console serves photos from its own origin)."""
    if which == "content":
        key = evidence.object_key
        media_type = evidence.content_type if evidence.content_type in EXTENSIONS else "application/octet-stream"
        filename = f"{evidence.id}{EXTENSIONS.get(media_type, '')}"
    else:
        key, media_type, filename = evidence.thumbnail_key, "image/jpeg", f"{evidence.id}-thumbnail.jpg"
    store = get_store()
    try:
        if which != "content":
            ensure_thumbnail(evidence, limits)
        url = store.presigned_url(key, url_expires, filename=filename, content_type=media_type) if presign else None
        if url:
            return Download(url, None, media_type, filename)
        return Download(None, store.open(key), media_type, filename)
    except FileNotFoundError:
        log.error("evidence %s: object %s is missing from the store", evidence.id, key)
        raise NotFound("Tệp ảnh không còn trong kho lưu trữ; đã ghi nhận để kiểm tra.") from None
    except StoreUnavailable:
        raise _store_down("Kho lưu trữ ảnh tạm thời không sẵn sàng. Vui lòng thử lại sau.") from None


class NoThumbnail(NotFound):
    """The photo is stored, but its pixels cannot be decoded into a thumbnail."""


def ensure_thumbnail(photo: StoredImage, limits: UploadLimits) -> None:
    """Make the photo's thumbnail and store it under its key, unless it is there already.
    Raises NoThumbnail for a photo whose pixels are damaged (the original is kept: it is
    evidence, and another program may still read it), FileNotFoundError for a missing
    original, StoreUnavailable."""
    store = get_store()
    if store.exists(photo.thumbnail_key):
        return
    with tempfile.TemporaryFile() as original:
        # Pillow seeks: the original comes to a temporary file, not whole into memory.
        with store.open(photo.object_key) as stream:
            shutil.copyfileobj(stream, original, CHUNK)
        original.seek(0)
        try:
            if photo.content_type not in FORMATS:
                raise ImageRejected(photo.content_type)
            thumbnail = make_thumbnail(original, photo.content_type, limits.max_pixels, limits.max_decode_bytes)
        except ImageRejected as exc:
            log.warning("evidence %s: no thumbnail can be made: %s", photo.id, exc)
            raise NoThumbnail("Không tạo được ảnh thu nhỏ vì dữ liệu điểm ảnh của ảnh bị hỏng; "
                              "ảnh gốc vẫn được lưu và tải được.") from None
    # Two first requests at once both write the same bytes under the same key: harmless.
    store.put(photo.thumbnail_key, io.BytesIO(thumbnail), len(thumbnail), "image/jpeg")


def delete_evidence(actor: User, visit_id: uuid.UUID, evidence_id: uuid.UUID, *,
                    origin: Origin | None = None) -> None:
    """Remove a photo from an editable visit: the row, then its objects."""
    visit = get_visit(actor, visit_id, for_update=True)
    _require_team_member(actor, visit)
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or evidence.visit_id != visit.id:
        raise NotFound("Không tìm thấy minh chứng.")
    if not visit.editable:
        raise Conflict("Buổi kiểm tra đã nộp hoặc đã duyệt; không thể xóa minh chứng.")
    keys = [evidence.object_key, evidence.thumbnail_key]
    before = evidence_snapshot(evidence)
    db.session.delete(evidence)
    visit.updated_at = utcnow()
    record("delete", "evidence", evidence_id, actor=actor, before=before, origin=origin)
    db.session.commit()
    # After the commit: if removing an object fails now, reconcile finds the orphan; the
    # other order could leave a row whose photo is gone.
    _remove_objects(keys)
