"""The list attachment (danh sách) of a Tờ trình as content, whatever the format: the PDF
(templates/list.html), the workbook (list_xlsx.py) and the .docx of the Tờ trình all
print what ``list_content(frozen)`` gives, so they cannot disagree.

Everything printed is already a display string in Vietnamese form ("98,5 %", "3.450",
dd/mm/yyyy, "Đề nghị tặng Giấy khen của Chủ tịch UBND xã Tân Trào"), so a renderer only
lays it out. The rows are streamed from the database (``ListGroup.rows`` and
``ListContent.detail_rows`` are iterables to consume once, in order: the groups, then the
detail), so a national list never sits in memory; the counts a renderer prints before or
after them are read up front.

Layout (shared/domain/LISTS.md, "What a leader signs"): the header (supervising body,
issuing body; motto), "DANH SÁCH", the subject, the italic "(Kèm theo Tờ trình số …)"
line, and NO "Số" and NO Nơi nhận of its own. One table whose columns serve both groups,
so one header repeats on every page; groups "I. TẬP THỂ" and "II. CÁ NHÂN" (an empty
group is left out); the footer "Danh sách gồm … tập thể, … cá nhân./." and remarks; the
signature block only when the list was frozen with ``attachment_signed``. The detail part
("Chi tiết, minh chứng") has a row per finding of a criticism list, or per approved visit
behind a commendation, each with its photos as file name + first 12 hex of the SHA-256
(a print cannot follow a link, and the API's links need a bearer token).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select

from ..db import db
from ..evidence.models import Evidence
from ..org.models import Desk, OrgUnit
from ..reports.lists import chunked, period_label
from ..reports.models import FrozenList, FrozenListEntry
from ..reports.scores import Scope, approved_visits
from ..reports.service import province_of
from ..visits.models import Finding, Visit, visit_staff
from ..auth.models import User
from ..timezone import VIETNAM_TZ
from ..exports._layout import column_for, text_points
from .minutes import SEVERITY_NAMES
from .render import vn_date, vn_number, vn_percent

ListKind = Literal["criticism", "commendation"]

# The file name a photo downloads under (evidence/service.py), so the print names the file.
PHOTO_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
                    "image/heic": ".heic"}
SHA256_PRINTED = 12

EXPLANATION_NOTES = {
    "requested": "Chờ giải trình (chưa đề nghị kỷ luật)",
    "not_requested": "Chưa yêu cầu giải trình (chưa đề nghị kỷ luật)",
    "received": "Đã có giải trình",
    "lapsed": "Hết hạn giải trình, không có giải trình",
}
PENDING_EXPLANATIONS = ("requested", "not_requested")
RESULT_NAMES = {"pass": "Đạt", "fail": "Không đạt", "na": "Không áp dụng"}
ENTRY_TYPE_NAMES = {"unit": "Tập thể", "staff": "Cá nhân"}
KIND_NAMES = {"criticism": "phê bình", "commendation": "biểu dương"}
DETAIL_TITLE = "Chi tiết, minh chứng"
YIELD_PER = 2000


@dataclass(frozen=True)
class Column:
    """A table column: its key, its heading, and its width in characters of 12 pt type
    (a hint each format scales to its page)."""

    key: str
    heading: str
    width: float


# The table's type, STT's numbers included: 12 pt, the same Times metrics in every format.
TABLE_SIZE = 12


def column_widths(columns: Sequence[Column], total: float, largest_number: int) -> dict[str, float]:
    """Each column's width in points, out of `total`, in proportion to its hint; STT
    widened, at the other columns' expense, when its share cannot hold `largest_number`
    (a national list numbers thousands of rows: the workbook prints a number wider than
    its column as ####, the PDF breaks it over two lines). Both formats lay out with it."""
    hints = sum(c.width for c in columns)
    widths = {c.key: total * c.width / hints for c in columns}
    needed = column_for(text_points(str(largest_number), TABLE_SIZE) + 1)  # + rounding, kerning
    if "stt" in widths and widths["stt"] < needed:
        others = total - widths["stt"]
        widths = {key: needed if key == "stt" else width * (total - needed) / others
                  for key, width in widths.items()}
    return widths


@dataclass(frozen=True)
class Photo:
    evidence_id: str
    file_name: str  # "<evidence uuid>.jpg", the name it downloads under
    sha256_prefix: str  # first 12 hex digits

    @property
    def label(self) -> str:
        return f"{self.file_name} (SHA-256: {self.sha256_prefix})"


@dataclass(frozen=True)
class ListRow:
    """One entry: ``cells`` align with ``ListContent.columns`` ("" where nothing applies)."""

    number: int  # STT, from 1 in each group
    cells: tuple[str, ...]
    pending_explanation: bool


@dataclass(frozen=True)
class ListGroup:
    numeral: str  # "I"
    label: str  # "TẬP THỂ"
    count: int
    rows: Iterable[ListRow]  # streamed: consume once

    @property
    def heading(self) -> str:
        return f"{self.numeral}. {self.label}"


@dataclass(frozen=True)
class DetailRow:
    """One finding (criticism) or approved visit (commendation) behind an entry:
    ``cells`` align with ``ListContent.detail_columns``, the photos cell included (one
    ``Photo.label`` a line); ``photos`` for a format that links them."""

    number: int
    cells: tuple[str, ...]
    photos: tuple[Photo, ...]


@dataclass(frozen=True)
class Signature:
    title_lines: tuple[str, ...]  # ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
    name: str


@dataclass(frozen=True)
class ListContent:
    """The attachment, ready to lay out. Consume ``groups`` (each group's rows) before
    ``detail_rows``: both read the same database cursor style, one after the other."""

    kind: ListKind
    supervising_body: str  # "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
    issuing_body: str  # "SỞ NỘI VỤ"
    title: str  # "DANH SÁCH"
    subject: str  # the list's subject line (bold)
    attached_line: str  # "(Kèm theo Tờ trình số 125/TTr-SNV ngày 20 tháng 12 năm 2026 của Sở Nội vụ)"
    period_label: str  # "quý IV/2026"
    document_number: str  # of the Tờ trình, for file names
    columns: tuple[Column, ...]
    groups: tuple[ListGroup, ...]  # non-empty groups only
    unit_count: int
    staff_count: int
    pending_count: int  # officials whose explanation is pending
    total_line: str  # "Danh sách gồm 2 tập thể, 3 cá nhân./."
    remarks: tuple[str, ...]  # italic lines under the total
    signature: Signature | None  # only when the attachment is signed
    detail_title: str  # "CHI TIẾT KẾT QUẢ KIỂM TRA VÀ MINH CHỨNG"
    detail_attached_line: str  # "(Kèm theo Danh sách …)"
    detail_columns: tuple[Column, ...]
    detail_rows: Iterable[DetailRow]  # streamed: consume once, after the groups
    detail_count: int  # rows of the detail part
    photo_count: int  # photos listed in the detail part
    detail_total_line: str  # "Tổng số: 12 kết quả kiểm tra, 9 ảnh minh chứng./."


# --- columns ---------------------------------------------------------------------------

def list_columns(kind: str) -> tuple[Column, ...]:
    """LISTS.md's unit and individual columns in one table (a cell that does not apply
    to the group stays empty), so one header repeats on every page."""
    commendation = kind == "commendation"
    return (
        Column("stt", "STT", 7),
        Column("name", "Tên tập thể, họ và tên cá nhân", 17),
        Column("role", "Người đứng đầu (tập thể); chức vụ, chức danh (cá nhân)", 16),
        Column("org", "Cơ quan, đơn vị (cá nhân)", 14),
        Column("score", "Điểm (tập thể)", 9),
        Column("content", "Thành tích tiêu biểu" if commendation
               else "Nội dung vi phạm (mã tiêu chí, ngày)", 27),
        Column("form", "Hình thức đề nghị", 18),
        # The legal basis and the notes run long: wide enough that a row stays short.
        Column("basis", "Căn cứ", 26),
        Column("note", "Ghi chú", 22),
    )


CRITICISM_DETAIL_COLUMNS = (
    Column("stt", "STT", 7),
    Column("entry", "Tập thể, cá nhân", 17),
    Column("date", "Ngày kiểm tra", 17),
    Column("desk", "Bộ phận Một cửa", 18),
    Column("criterion", "Tiêu chí (mã, nội dung)", 26),
    Column("result", "Kết quả, mức độ", 13),
    Column("note", "Ghi chú của đoàn kiểm tra", 20),
    Column("inspector", "Người kiểm tra", 14),
    Column("photos", "Ảnh minh chứng (tệp, SHA-256)", 26),
)
COMMENDATION_DETAIL_COLUMNS = (
    Column("stt", "STT", 7),
    Column("entry", "Tập thể, cá nhân", 20),
    Column("date", "Ngày kiểm tra", 17),
    Column("desk", "Bộ phận Một cửa", 22),
    Column("result", "Kết quả kiểm tra", 24),
    Column("note", "Ghi chú của đoàn kiểm tra", 24),
    Column("inspector", "Người kiểm tra", 16),
    Column("photos", "Ảnh minh chứng (tệp, SHA-256)", 28),
)


def detail_columns(kind: str) -> tuple[Column, ...]:
    return COMMENDATION_DETAIL_COLUMNS if kind == "commendation" else CRITICISM_DETAIL_COLUMNS


# --- the content -----------------------------------------------------------------------

def list_content(frozen: FrozenList) -> ListContent:
    """The attachment of a frozen list. Rows are read lazily, in the entries' frozen
    order (by level, then Vietnamese collation of names)."""
    kind: ListKind = "commendation" if frozen.kind == "commendation" else "criticism"
    unit = db.session.get_one(OrgUnit, frozen.org_unit_id)
    province = province_of(unit)
    columns = list_columns(kind)
    units, staff = _entry_counts(frozen.id)
    pending = _pending_count(frozen.id)
    groups: list[ListGroup] = []
    for entry_type, label, count in (("unit", "TẬP THỂ", units), ("staff", "CÁ NHÂN", staff)):
        if count:
            numeral = ("I", "II")[len(groups)]
            groups.append(ListGroup(numeral, label, count, _list_rows(frozen.id, entry_type)))
    if kind == "commendation":
        detail_count, photo_count = _visit_totals(frozen)
        detail: Iterable[DetailRow] = _visit_rows(frozen)
        unit_word = "buổi kiểm tra đã duyệt"
    else:
        detail_count, photo_count = _finding_totals(frozen.id)
        detail = _finding_rows(frozen.id)
        unit_word = "kết quả kiểm tra không đạt"
    remarks = []
    if pending:
        remarks.append(f"Có {vn_number(pending)} cá nhân đang chờ giải trình: chưa đề nghị xem xét "
                       "xử lý kỷ luật cho đến khi có giải trình hoặc hết hạn giải trình.")
    if detail_count:
        remarks.append(f"Chi tiết {vn_number(detail_count)} {unit_word} và "
                       f"{vn_number(photo_count)} ảnh minh chứng: phần “{DETAIL_TITLE}” kèm theo.")
    subject = frozen.title
    return ListContent(
        kind=kind,
        supervising_body=f"ỦY BAN NHÂN DÂN {province.name.upper()}",
        issuing_body="SỞ NỘI VỤ",
        title="DANH SÁCH",
        subject=subject,
        attached_line=attached_line(frozen.document_number, frozen.document_date),
        period_label=period_label(frozen.period_from, frozen.period_to),
        document_number=frozen.document_number,
        columns=columns,
        groups=tuple(groups),
        unit_count=units,
        staff_count=staff,
        pending_count=pending,
        total_line=total_line(units, staff),
        remarks=tuple(remarks),
        signature=_signature(frozen),
        detail_title="CHI TIẾT KẾT QUẢ KIỂM TRA VÀ MINH CHỨNG",
        detail_attached_line=f"(Kèm theo Danh sách {_decapitalise(subject)})",
        detail_columns=detail_columns(kind),
        detail_rows=detail,
        detail_count=detail_count,
        photo_count=photo_count,
        detail_total_line=(f"Tổng số: {vn_number(detail_count)} {unit_word}, "
                           f"{vn_number(photo_count)} ảnh minh chứng./."),
    )


def attached_line(number: str, date: dt.date) -> str:
    """"(Kèm theo Tờ trình số 125/TTr-SNV ngày 20 tháng 12 năm 2026 của Sở Nội vụ)"; days
    under 10 and the months 1 and 2 with a leading zero (NĐ 30/2020)."""
    month = f"{date.month:02d}" if date.month < 3 else str(date.month)
    return (f"(Kèm theo Tờ trình số {number} ngày {date.day:02d} tháng {month} năm "
            f"{date.year} của Sở Nội vụ)")


def total_line(units: int, staff: int) -> str:
    parts = [f"{vn_number(n)} {word}" for n, word in ((units, "tập thể"), (staff, "cá nhân")) if n]
    if not parts:
        return "Danh sách không có tập thể, cá nhân nào./."
    return f"Danh sách gồm {', '.join(parts)}./."


def notes(entry: FrozenListEntry) -> str:
    """The explanation status and the entry's note, each said once: the rules' note
    already says "Chờ giải trình …" for a pending explanation."""
    parts: list[str] = []
    note_parts = [p.strip() for p in (entry.note or "").split(";") if p.strip()]
    status = EXPLANATION_NOTES.get(entry.explanation_status or "")
    if status and not any(p.startswith(status.split(" (")[0]) for p in note_parts):
        parts.append(status)
    for part in note_parts:
        if part not in parts:
            parts.append(part)
    return "; ".join(parts)


def form_text(entry: FrozenListEntry) -> str:
    """The form, naming who awards it: "Đề nghị tặng Giấy khen của Chủ tịch UBND xã Tân Trào"."""
    if entry.award_authority:
        return f"{entry.form_name} của {entry.award_authority}"
    return entry.form_name


def _decapitalise(text: str) -> str:
    """"Tập thể, cá nhân ..." -> "tập thể, cá nhân ..."; "UBND xã ..." stays."""
    word = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if word[1:] == word[1:].lower() else text


def _signature(frozen: FrozenList) -> Signature | None:
    if not frozen.attachment_signed or not frozen.signer_name:
        return None
    lines = tuple(part.strip().upper() for part in (frozen.signer_title or "").split("\n") if part.strip())
    return Signature(lines, frozen.signer_name)


# --- rows ------------------------------------------------------------------------------

def _entries(list_id: int, entry_type: str | None = None) -> Iterator[FrozenListEntry]:
    query = select(FrozenListEntry).where(FrozenListEntry.list_id == list_id)
    if entry_type:
        query = query.where(FrozenListEntry.entry_type == entry_type)
    return iter(db.session.scalars(query.order_by(FrozenListEntry.position)
                                   .execution_options(yield_per=YIELD_PER)))


def _entry_counts(list_id: int) -> tuple[int, int]:
    counts = dict(db.session.execute(
        select(FrozenListEntry.entry_type, func.count()).where(FrozenListEntry.list_id == list_id)
        .group_by(FrozenListEntry.entry_type)).tuples().all())
    return counts.get("unit", 0), counts.get("staff", 0)


def _pending_count(list_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(FrozenListEntry)
        .where(FrozenListEntry.list_id == list_id, FrozenListEntry.entry_type == "staff",
               FrozenListEntry.explanation_status.in_(PENDING_EXPLANATIONS))) or 0


def _list_rows(list_id: int, entry_type: str) -> Iterator[ListRow]:
    for number, entry in enumerate(_entries(list_id, entry_type), 1):
        unit = entry_type == "unit"
        cells = {
            "stt": str(number),
            "name": entry.name,
            "role": (entry.head_name if unit else entry.position_title) or "",
            "org": "" if unit else (entry.org_name or ""),
            "score": vn_percent(entry.score) if unit else "",
            "content": "; ".join(entry.reasons),
            "form": form_text(entry),
            "basis": entry.form_legal_basis or "",
            "note": notes(entry),
        }
        yield ListRow(number, tuple(cells[c.key] for c in list_columns("criticism")),
                      entry.explanation_status in PENDING_EXPLANATIONS)


# Criticism: one detail row per finding behind an entry, with its photos.

def _photos(evidence_ids: Iterable[str]) -> dict[str, Photo]:
    ids = []
    for value in evidence_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    photos = {}
    for chunk in chunked(ids):
        for evidence_id, sha256, content_type in db.session.execute(
                select(Evidence.id, Evidence.sha256, Evidence.content_type).where(Evidence.id.in_(chunk))):
            photos[str(evidence_id)] = Photo(str(evidence_id),
                                             f"{evidence_id}{PHOTO_EXTENSIONS.get(content_type, '')}",
                                             sha256[:SHA256_PRINTED])
    return photos


def _photo_of(evidence_id: str, photos: dict[str, Photo]) -> Photo:
    # A photo deleted since the list was frozen is still named by its id.
    return photos.get(str(evidence_id)) or Photo(str(evidence_id), str(evidence_id), "không còn")


def _finding_totals(list_id: int) -> tuple[int, int]:
    findings = photos = 0
    for (entry_findings,) in db.session.execute(
            select(FrozenListEntry.findings).where(FrozenListEntry.list_id == list_id)
            .execution_options(yield_per=YIELD_PER)):
        findings += len(entry_findings)
        photos += sum(len(f.get("evidence") or ()) for f in entry_findings)
    return findings, photos


def _finding_rows(list_id: int) -> Iterator[DetailRow]:
    number = 0
    for entries in _batches(_entries(list_id), 500):
        photos = _photos(e for entry in entries for f in entry.findings for e in f.get("evidence") or ())
        for entry in entries:
            for finding in entry.findings:
                number += 1
                shown = tuple(_photo_of(e, photos) for e in finding.get("evidence") or ())
                severity = SEVERITY_NAMES.get(finding.get("severity") or "", finding.get("severity") or "")
                result = RESULT_NAMES.get(finding.get("result") or "fail", finding.get("result") or "")
                cells = (
                    str(number), entry.name, _date_text(finding.get("visit_date")), finding.get("desk") or "",
                    f"{finding.get('criterion_code') or ''}: {finding.get('criterion_text') or ''}",
                    f"{result} ({severity.lower()})" if severity else result,
                    finding.get("note") or "", finding.get("inspector") or "",
                    "\n".join(p.label for p in shown))
                yield DetailRow(number, cells, shown)


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _date_text(value: Any) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return vn_date(value) if value else ""


# Commendation: one detail row per approved visit of the period behind an entry (the
# unit's desks, or the desks where the official was on duty), with that visit's photos.

@dataclass(frozen=True)
class _Visit:
    visit_id: uuid.UUID
    day: dt.date
    desk: str
    inspector: str
    notes: str


def _entry_visits(frozen: FrozenList, entry: FrozenListEntry) -> list[_Visit]:
    scope = Scope(frozen.period_from, frozen.period_to, db.session.get_one(OrgUnit, frozen.org_unit_id))
    approved = approved_visits(scope)
    query = (select(Visit.id, Visit.started_at, Desk.name, User.full_name, Visit.notes)
             .join(approved, approved.c.visit_id == Visit.id)
             .join(Desk, Desk.id == Visit.desk_id)
             .join(User, User.id == Visit.created_by_id))
    if entry.entry_type == "unit":
        query = query.where(approved.c.org_unit_id == entry.org_unit_id)
    else:
        query = query.join(visit_staff, visit_staff.c.visit_id == Visit.id).where(
            visit_staff.c.staff_id == entry.staff_id)
    return [_Visit(visit_id, started.astimezone(VIETNAM_TZ).date(), desk, inspector or "", notes or "")
            for visit_id, started, desk, inspector, notes in
            db.session.execute(query.order_by(Visit.started_at, Visit.id))]


def _visit_photos(visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Photo]]:
    found: dict[uuid.UUID, list[Photo]] = {}
    for chunk in chunked(visit_ids):
        for visit_id, evidence_id, sha256, content_type in db.session.execute(
                select(Evidence.visit_id, Evidence.id, Evidence.sha256, Evidence.content_type)
                .where(Evidence.visit_id.in_(chunk)).order_by(Evidence.uploaded_at, Evidence.id)):
            found.setdefault(visit_id, []).append(Photo(
                str(evidence_id), f"{evidence_id}{PHOTO_EXTENSIONS.get(content_type, '')}",
                sha256[:SHA256_PRINTED]))
    return found


def _visit_results(visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    found: dict[uuid.UUID, dict[str, int]] = {}
    for chunk in chunked(visit_ids):
        for visit_id, result, count in db.session.execute(
                select(Finding.visit_id, Finding.result, func.count()).where(Finding.visit_id.in_(chunk))
                .group_by(Finding.visit_id, Finding.result)):
            found.setdefault(visit_id, {})[result] = count
    return found


def _visit_totals(frozen: FrozenList) -> tuple[int, int]:
    visits = photos = 0
    for entry in _entries(frozen.id):
        found = _entry_visits(frozen, entry)
        visits += len(found)
        photos += sum(len(p) for p in _visit_photos([v.visit_id for v in found]).values())
    return visits, photos


def _visit_rows(frozen: FrozenList) -> Iterator[DetailRow]:
    number = 0
    for entry in _entries(frozen.id):
        found = _entry_visits(frozen, entry)
        ids = [v.visit_id for v in found]
        photos, results = _visit_photos(ids), _visit_results(ids)
        for visit in found:
            number += 1
            counts = results.get(visit.visit_id, {})
            applicable = counts.get("pass", 0) + counts.get("fail", 0)
            result = f"Đạt {vn_number(counts.get('pass', 0))}/{vn_number(applicable)} tiêu chí áp dụng"
            shown = tuple(photos.get(visit.visit_id, ()))
            cells = (str(number), entry.name, vn_date(visit.day), visit.desk, result, visit.notes,
                     visit.inspector, "\n".join(p.label for p in shown))
            yield DetailRow(number, cells, shown)


__all__ = ["Column", "DetailRow", "ListContent", "ListGroup", "ListKind", "ListRow", "Photo",
           "Signature", "attached_line", "detail_columns", "list_columns", "list_content",
           "total_line"]
