"""The draft Tờ trình (.docx) of a frozen list, with the list attached (issue 9 item 2).

A Sở Nội vụ proposal to the province's People's Committee, laid out as a "văn bản có tên
loại" of NĐ 30/2020 Phụ lục III: the header (issuing body | national motto), number,
place and date, "TỜ TRÌNH" and its subject, Kính gửi, the Căn cứ, what was inspected and
found, what is proposed on which legal basis, Nơi nhận and the signature; then, after a
page break, the list as its attachment (list_content.py, as the PDF and the workbook
print it), in a landscape section numbered on its own. The clerk edits the wording in
Word before signing, so the document is plain paragraphs, tables and named styles: no
text boxes, no fixed positions.

The numbers are counted as the scores report counts them (reports/scores.py: approved
visits of the list's period and scope, voided findings left out, severity as the
reviewer left it), so the Tờ trình and GET /reports/scores agree.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from docx import Document as new_document
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.table import Table, _Cell
from sqlalchemy import func, select

from ..auth.models import User
from ..checklists.models import Criterion
from ..db import db
from ..exports.naming import content_disposition
from ..org.models import OrgUnit
from ..plans.models import InspectionPlan
from ..reports.lists import chunked, period_label
from ..reports.models import FrozenList, FrozenListEntry
from ..reports.scores import Scope, approved_visits, desk_aggregates, effective_findings
from ..reports.service import province_of
from ..timezone import VIETNAM_TZ
from ..visits.models import Finding, Visit
from . import docx_layout as layout
from .list_content import Column, ListContent, Signature, list_content
from .render import vn_date, vn_number

# The most frequent failing criteria the body names (the attachment has every finding).
TOP_FAILURES = 5
ARCHIVE = "Lưu: VT, TTr."
SUBJECTS = {
    "criticism": "đề nghị phê bình, xem xét xử lý kỷ luật tập thể, cá nhân",
    "commendation": "đề nghị biểu dương, khen thưởng tập thể, cá nhân",
}
# NĐ 30/2020 margins (mm); the attachment's table takes a landscape page.
MARGINS = layout.OFFICIAL_MARGINS
# A table with more columns than this does not fit a portrait page at 12 pt.
PORTRAIT_COLUMNS = 5
log = logging.getLogger(__name__)


# --- what the Tờ trình states ------------------------------------------------------------

@dataclass(frozen=True)
class FailingCriterion:
    """A criterion failed in the approved visits, how often, and the rule it rests on."""

    code: str
    text: str
    legal_basis: str | None
    failures: int


@dataclass(frozen=True)
class InspectionFacts:
    """What the approved visits of the list's period and scope show."""

    visits: int
    desks: int
    units: int
    critical: int
    major: int
    minor: int
    first_day: dt.date | None
    last_day: dt.date | None
    plans: tuple[tuple[str, str], ...] = ()  # (decision number, title) of the plans
    failing: tuple[FailingCriterion, ...] = ()  # most frequent first
    # The criteria the list's entries rest on, by code, for the Căn cứ.
    cited: dict[str, FailingCriterion] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        return self.critical + self.major + self.minor


@dataclass(frozen=True)
class Issuer:
    supervising_body: str  # "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
    issuing_body: str  # "SỞ NỘI VỤ"
    place: str  # "Tuyên Quang", before the date
    scope_name: str  # what was inspected: "tỉnh Tuyên Quang", "Xã Tân Trào"
    addressee: str  # Kính gửi
    decider: str  # as the closing sentence names the addressee: "Ủy ban nhân dân tỉnh"


@dataclass(frozen=True)
class ProposedForm:
    """One form the list proposes: how many units and officials, and who awards it."""

    name: str
    legal_basis: str | None
    units: int
    staff: int
    authorities: tuple[tuple[str, int], ...] = ()  # (authority, entries), for awards


def inspection_facts(frozen: FrozenList) -> InspectionFacts:
    scope = Scope(frozen.period_from, frozen.period_to, db.session.get_one(OrgUnit, frozen.org_unit_id))
    desks = desk_aggregates(scope)
    visits = approved_visits(scope)
    first, last = db.session.execute(
        select(func.min(visits.c.started_at), func.max(visits.c.started_at))).one()
    plans = db.session.execute(
        select(InspectionPlan.decision_number, InspectionPlan.title).distinct()
        .join(Visit, Visit.plan_id == InspectionPlan.id)
        .join(visits, visits.c.visit_id == Visit.id)
        .order_by(InspectionPlan.decision_number)).tuples().all()
    found = effective_findings(scope)
    failures = func.count(found.c.finding_id)
    failing = [FailingCriterion(code, text, basis, count) for code, text, basis, count in db.session.execute(
        select(found.c.criterion_code, Criterion.text, Criterion.legal_basis, failures)
        .join(Criterion, Criterion.id == found.c.criterion_id)
        .where(found.c.result == "fail")
        .group_by(found.c.criterion_code, Criterion.text, Criterion.legal_basis)
        .order_by(failures.desc(), found.c.criterion_code))]
    return InspectionFacts(
        visits=sum(int(row["visits"]) for row in desks), desks=len(desks),
        units=len({row["org_unit_id"] for row in desks}),
        critical=sum(int(row["critical"] or 0) for row in desks),
        major=sum(int(row["major"] or 0) for row in desks),
        minor=sum(int(row["minor"] or 0) for row in desks),
        first_day=_vietnam_day(first), last_day=_vietnam_day(last),
        plans=tuple(plans), failing=tuple(failing), cited=_cited_criteria(frozen.id, failing))


def _vietnam_day(instant: dt.datetime | None) -> dt.date | None:
    return instant.astimezone(VIETNAM_TZ).date() if instant is not None else None


def _entry_findings(list_id: int) -> Iterator[list[dict]]:
    yield from db.session.scalars(
        select(FrozenListEntry.findings).where(FrozenListEntry.list_id == list_id)
        .order_by(FrozenListEntry.position).execution_options(yield_per=2000))


def _cited_criteria(list_id: int, failing: list[FailingCriterion]) -> dict[str, FailingCriterion]:
    """The criteria behind the list's entries, first cited first, with their legal basis:
    from the period's failures, or (a finding voided since the list was frozen) from the
    finding's own criterion."""
    known = {c.code: c for c in failing}
    cited: dict[str, FailingCriterion | None] = {}
    missing: list[uuid.UUID] = []
    for findings in _entry_findings(list_id):
        for finding in findings:
            code = finding["criterion_code"]
            if code not in cited:
                cited[code] = known.get(code)
            if cited[code] is None:
                missing.append(uuid.UUID(finding["finding_id"]))
    for ids in chunked(missing):
        for code, text, basis in db.session.execute(
                select(Criterion.code, Criterion.text, Criterion.legal_basis).distinct()
                .join(Finding, Finding.criterion_id == Criterion.id).where(Finding.id.in_(ids))):
            if cited.get(code) is None:
                cited[code] = FailingCriterion(code, text, basis, 0)
    return {code: c for code, c in cited.items() if c is not None}


def proposed_forms(list_id: int) -> list[ProposedForm]:
    """The forms the list proposes, in the order its entries first use them (by level,
    mildest form first), counted in SQL."""
    rows = db.session.execute(
        select(FrozenListEntry.form_code, FrozenListEntry.form_name, FrozenListEntry.form_legal_basis,
               FrozenListEntry.entry_type, FrozenListEntry.award_authority,
               func.count(), func.min(FrozenListEntry.position))
        .where(FrozenListEntry.list_id == list_id)
        .group_by(FrozenListEntry.form_code, FrozenListEntry.form_name, FrozenListEntry.form_legal_basis,
                  FrozenListEntry.entry_type, FrozenListEntry.award_authority)).tuples().all()
    first: dict[str, int] = {}
    names: dict[str, tuple[str, str | None]] = {}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"unit": 0, "staff": 0})
    authorities: dict[str, dict[str, int]] = defaultdict(dict)
    for code, name, basis, entry_type, authority, count, position in rows:
        first[code] = min(first.get(code, position), position)
        names.setdefault(code, (name, basis))
        counts[code][entry_type] += count
        if authority:
            authorities[code][authority] = authorities[code].get(authority, 0) + count
    return [ProposedForm(*names[code], counts[code]["unit"], counts[code]["staff"],
                         tuple(sorted(authorities[code].items(), key=lambda a: (-a[1], a[0]))))
            for code in sorted(first, key=first.__getitem__)]


def issuer(frozen: FrozenList) -> Issuer:
    unit = db.session.get_one(OrgUnit, frozen.org_unit_id)
    province = province_of(unit).name  # "Tỉnh Tuyên Quang"
    place = province.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    province_lower = province[:1].lower() + province[1:]
    addressee = frozen.addressee or f"Ủy ban nhân dân {province_lower}"
    # A Tờ trình to its own province's People's Committee closes "kính trình Ủy ban nhân
    # dân tỉnh xem xét"; any other addressee is named as given.
    decider = addressee.removesuffix(f" {place}") if addressee.endswith(f" {province_lower}") else addressee
    return Issuer(supervising_body=f"Ủy ban nhân dân {province}".upper(), issuing_body="SỞ NỘI VỤ",
                  place=place, scope_name=province_lower if unit.parent_id is None else unit.name,
                  addressee=addressee, decider=decider)


def long_date(day: dt.date) -> str:
    """"ngày 05 tháng 3 năm 2026": NĐ 30/2020 puts a zero before days under 10 and
    before months 1 and 2 only."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _count(units: int, staff: int) -> str:
    parts = [f"{vn_number(n)} {word}" for n, word in ((units, "tập thể"), (staff, "cá nhân")) if n]
    return ", ".join(parts) or "không có tập thể, cá nhân nào"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _ending(items: Sequence[str]) -> list[str]:
    """A list's items ended with ";" and the last with "."."""
    return [item + (";" if i < len(items) - 1 else ".") for i, item in enumerate(items)]


@dataclass(frozen=True)
class ProposalText:
    """The Tờ trình's paragraphs as plain text, before any layout."""

    subject: str
    grounds: list[str]
    inspected: list[str]
    failures: list[str]  # "Các vi phạm thường gặp nhất:" then one line each
    proposals: list[str]  # the lead-in, one line per form, the totals and notes
    closing: str


def proposal_text(frozen: FrozenList, facts: InspectionFacts, forms: list[ProposedForm],
                  issuer: Issuer, pending: int) -> ProposalText:
    """What the Tờ trình says, from the list, its forms and the facts."""
    period = period_label(frozen.period_from, frozen.period_to)
    grounds = [f"Căn cứ Quyết định số {number} về việc {_lower_first(title)};" for number, title in facts.plans]
    grounds += [f"Căn cứ cơ sở pháp lý của hình thức “{form.name}”: {form.legal_basis};"
                for form in forms if form.legal_basis]
    by_basis: dict[str, list[str]] = defaultdict(list)
    for criterion in facts.cited.values():
        if criterion.legal_basis:
            by_basis[criterion.legal_basis].append(criterion.code)
    grounds += [f"Căn cứ quy định làm cơ sở của {'tiêu chí' if len(codes) == 1 else 'các tiêu chí'} "
                f"kiểm tra {', '.join(codes)}: {basis};" for basis, codes in by_basis.items()]
    grounds.append(f"Căn cứ kết quả kiểm tra hoạt động Bộ phận Một cửa {period} đã được duyệt.")

    when = f"{period} (từ ngày {vn_date(frozen.period_from)} đến ngày {vn_date(frozen.period_to)})"
    if facts.visits:
        days = ""
        if facts.first_day and facts.last_day and facts.first_day != facts.last_day:
            days = f" (các buổi kiểm tra từ ngày {vn_date(facts.first_day)} đến ngày {vn_date(facts.last_day)})"
        elif facts.first_day:
            days = f" (buổi kiểm tra ngày {vn_date(facts.first_day)})"
        inspected = [
            f"Trong {when}, các đoàn kiểm tra đã kiểm tra {vn_number(facts.visits)} lượt tại "
            f"{vn_number(facts.desks)} Bộ phận Một cửa của {vn_number(facts.units)} cơ quan, đơn vị "
            f"thuộc {issuer.scope_name}{days}; kết quả {vn_number(facts.visits)} buổi kiểm tra đã được duyệt.",
            f"Qua kiểm tra, đã phát hiện {vn_number(facts.failures)} lỗi vi phạm, gồm: "
            f"{vn_number(facts.critical)} lỗi nghiêm trọng, {vn_number(facts.major)} lỗi chính và "
            f"{vn_number(facts.minor)} lỗi nhỏ." if facts.failures else
            "Qua kiểm tra, không phát hiện lỗi vi phạm nào."]
    else:
        inspected = [f"Trong {when}, không có buổi kiểm tra nào thuộc {issuer.scope_name} được duyệt."]
    # A criterion the Căn cứ already cite is not cited twice.
    top = facts.failing[:TOP_FAILURES]
    failures = ["Các vi phạm thường gặp nhất:"] + _ending([
        f"- {c.code}: “{c.text}” ({vn_number(c.failures)} lượt"
        + (f"; căn cứ: {c.legal_basis})" if c.legal_basis and c.code not in facts.cited else ")")
        for c in top]) if top else []

    if forms:
        proposals = [f"Trên cơ sở kết quả kiểm tra, Sở Nội vụ đề nghị {issuer.decider} xem xét:"]
        proposals += _ending([
            f"- {form.name}: {_count(form.units, form.staff)}"
            + ("; thẩm quyền tặng: " + ", ".join(f"{who} ({vn_number(n)})" for who, n in form.authorities)
               if form.authorities else "")
            + (f" (căn cứ: {form.legal_basis})" if form.legal_basis else "") for form in forms])
        proposals.append(f"Tổng cộng: {_count(frozen.unit_count, frozen.staff_count)} "
                         f"(có Danh sách kèm theo).")
    else:
        proposals = ["Trên cơ sở kết quả kiểm tra, trong kỳ không có tập thể, cá nhân nào thuộc diện đề nghị."]
    if pending:
        proposals.append(f"Có {vn_number(pending)} cá nhân đang chờ giải trình: Sở Nội vụ chưa đề nghị "
                         f"xem xét xử lý kỷ luật cho đến khi có giải trình hoặc hết hạn giải trình.")
    return ProposalText(
        subject=f"Về việc {SUBJECTS[frozen.kind]} qua kiểm tra hoạt động Bộ phận Một cửa {period}",
        grounds=grounds, inspected=inspected, failures=failures, proposals=proposals,
        closing=f"Sở Nội vụ kính trình {issuer.decider} xem xét, quyết định./.")


# --- the document ------------------------------------------------------------------------

def proposal_docx(actor: User, frozen: FrozenList) -> tuple[bytes, str]:
    """The draft Tờ trình of a frozen list (which the caller has checked the actor may
    read), with the list attached, as .docx bytes and the Content-Disposition to send
    them under."""
    content = list_content(frozen)
    facts = inspection_facts(frozen)
    who = issuer(frozen)
    text = proposal_text(frozen, facts, proposed_forms(frozen.id), who, content.pending_count)

    document = new_document()
    layout.set_up_styles(document)
    section = document.sections[0]
    layout.page_setup(section, MARGINS)
    layout.number_pages(section, restart=False)
    _write_proposal(document, frozen, who, text)
    _write_attachment(document, content)
    layout.put_in_schema_order(document)
    buffer = io.BytesIO()
    document.save(buffer)
    log.info("Tờ trình of list %s for %s", frozen.id, actor.username)
    filename = f"Tờ trình {frozen.document_number} {content.period_label}.docx"
    return buffer.getvalue(), content_disposition(filename)


def _write_proposal(document: Document, frozen: FrozenList, who: Issuer, text: ProposalText) -> None:
    left, right = layout.masthead(document, who.supervising_body, who.issuing_body)
    number = layout.add_cell_paragraph(left, f"Số: {frozen.document_number}", layout.HEADER_BLOCK)
    number.paragraph_format.space_before = Pt(6)
    dated = layout.add_cell_paragraph(right, f"{who.place}, {long_date(frozen.document_date)}",
                                      layout.HEADER_BLOCK, italic=True, size=14)
    dated.paragraph_format.space_before = Pt(6)
    layout.title_block(document, "TỜ TRÌNH", text.subject)
    kinh_gui = document.add_paragraph(style=layout.SIGNATURE)
    kinh_gui.paragraph_format.space_after = Pt(12)
    layout.write(kinh_gui, f"Kính gửi: {who.addressee}.")

    for line in text.grounds:
        layout.body(document, line)
    layout.body(document, "I. KẾT QUẢ KIỂM TRA", bold=True).paragraph_format.keep_with_next = True
    for line in text.inspected + text.failures:
        layout.body(document, line)
    layout.body(document, "II. NỘI DUNG ĐỀ NGHỊ", bold=True).paragraph_format.keep_with_next = True
    for line in text.proposals:
        layout.body(document, line)
    # The closing sentence goes with the signature: never a page with the signature alone.
    layout.body(document, text.closing).paragraph_format.keep_with_next = True
    lines = [line.strip() for line in frozen.recipients or [] if line.strip()]
    if not any(line.startswith("Lưu") for line in lines):
        lines.append(ARCHIVE)
    title = tuple(line.strip().upper() for line in (frozen.signer_title or "").split("\n") if line.strip())
    layout.closing_block(document, Signature(title, frozen.signer_name or ""), lines)


def _write_attachment(document: Document, content: ListContent) -> None:
    """The list, after a page break, in a section of its own numbered from 1 (the number
    hidden on its first page); its detail part on a new page of the same section."""
    section = layout.new_section(document, MARGINS, landscape=len(content.columns) > PORTRAIT_COLUMNS)
    layout.number_pages(section, restart=True)
    layout.masthead(document, content.supervising_body, content.issuing_body)
    layout.title_block(document, content.title, content.subject, content.attached_line)
    table = _grid(document, content.columns)
    rows = _Rows(table)
    for group in content.groups:
        _group_row(table, group.heading)
        for row in group.rows:
            rows.add(row.cells)
    _after_table(document, content.total_line)
    for remark in content.remarks:
        layout.body(document, remark, italic=True)
    if content.signature is not None:
        layout.closing_block(document, content.signature, None)
    if content.detail_count:
        heading = document.add_paragraph(style=layout.TITLE)
        heading.paragraph_format.page_break_before = True
        layout.write(heading, content.detail_title)
        layout.write(document.add_paragraph(style=layout.SIGNATURE), content.detail_attached_line,
                     italic=True).paragraph_format.space_after = Pt(12)
        detail = _Rows(_grid(document, content.detail_columns))
        for detail_row in content.detail_rows:
            detail.add(detail_row.cells)
        _after_table(document, content.detail_total_line)


def _grid(document: Document, columns: Sequence[Column]) -> Table:
    """A bordered table over the text width, columns in proportion to their width hints,
    with its heading row and the (1)…(n) row repeated on every page."""
    widths = _column_widths(columns, layout.text_width(document.sections[-1]))
    table = document.add_table(rows=2, cols=len(columns))
    layout.bordered(table)
    layout.fixed_widths(table, widths)
    for index, column in enumerate(columns):
        layout.cell_text(table.rows[0].cells[index], column.heading, layout.TABLE_HEAD)
        layout.cell_text(table.rows[1].cells[index], f"({index + 1})", layout.TABLE_HEAD,
                         italic=True).runs[0].bold = False
    for row in table.rows:
        layout.repeat_as_header(row)
        layout.keep_row_whole(row)
    return table


# Cells that must not break inside: a date, a score (12 pt digits are 6 pt wide).
UNBROKEN = {"date": "00/00/0000", "score": "100,0 %"}


def _column_widths(columns: Sequence[Column], width: int) -> list[int]:
    """Each column at least as wide as the longest word of its heading in 12 pt bold
    (and a date or score column as wide as a date or score), with the cell's padding;
    the rest of the width shared by the width hints: a narrow column such as STT or a
    date never breaks inside a word."""
    floor = [int(Pt(max(7.5 * max(len(word) for word in c.heading.split()),
                        6.5 * len(UNBROKEN.get(c.key, ""))) + 11)) for c in columns]
    spare = max(width - sum(floor), 0)
    total = sum(c.width for c in columns)
    return [low + int(spare * c.width / total) for low, c in zip(floor, columns, strict=True)]


def _group_row(table: Table, heading: str) -> None:
    row = table.add_row()
    layout.keep_row_whole(row)
    first, last = _Cell(row._tr.tc_lst[0], table), _Cell(row._tr.tc_lst[-1], table)
    merged = first.merge(last)
    paragraph = layout.cell_text(merged, heading, layout.TABLE_TEXT, bold=True)
    paragraph.paragraph_format.keep_with_next = True


class _Rows:
    """Data rows appended to a table from one prepared row (widths, cantSplit, styles),
    copied and filled cell by cell: python-docx's `row.cells` walks the whole table, so
    going through it for each row of a long list would take time growing with its square."""

    def __init__(self, table: Table):
        self.table = table
        row = table.add_row()
        layout.keep_row_whole(row)
        for index, cell in enumerate(row.cells):
            paragraph = cell.paragraphs[0]
            paragraph.style = layout.TABLE_TEXT
            if index == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.template = row._tr
        table._tbl.remove(self.template)

    def add(self, cells: Iterable[str]) -> None:
        tr = copy.deepcopy(self.template)
        self.table._tbl.append(tr)
        for tc, value in zip(tr.tc_lst, cells, strict=False):
            layout.write(_Cell(tc, self.table).paragraphs[0], value)


def _after_table(document: Document, line: str) -> None:
    paragraph = layout.body(document, line)
    paragraph.paragraph_format.space_before = Pt(6)
