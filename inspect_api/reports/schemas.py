import datetime as dt

import marshmallow as ma
from flask import g, url_for
from marshmallow import validate

from ..fields import AwareDateTime, Date, DumpedList, id_field
from ..messages import Schema
from ..pagination import PageArgsSchema
from .list_rules import FailingFinding
from .lists import Entry
from .models import LIST_KINDS
from .service import DEFAULT_SIGNER_TITLE


# Reports look back one period for "two periods in a row"; dates far outside the
# system's life are refused rather than overflowing the calendar.
REPORT_DATES = validate.Range(min=dt.date(2000, 1, 1), max=dt.date(2099, 12, 31))


def _at_most_lines(count: int):
    def check(value: str) -> None:
        if len(value.splitlines()) > count:
            raise ma.ValidationError(f"Tối đa {count} dòng.")
    return check


class PeriodArgsSchema(Schema):
    date_from = Date(required=True, data_key="from", validate=REPORT_DATES,
                               metadata={"description": "First day (Vietnam time)."})
    date_to = Date(required=True, data_key="to", validate=REPORT_DATES,
                             metadata={"description": "Last day (Vietnam time)."})
    org_unit_id = id_field(metadata={"description": "Root of the scope (default: your unit)."})


class ScoresArgsSchema(PeriodArgsSchema):
    format = ma.fields.String(load_default="json", validate=validate.OneOf(("json", "xlsx", "pdf")))


class ScoresExportArgsSchema(PeriodArgsSchema):
    format = ma.fields.String(load_default="xlsx", validate=validate.OneOf(("xlsx", "pdf")),
                              metadata={"description": "xlsx: the workbook; pdf: the document "
                                                       "with the chart, ready to print."})


class ListArgsSchema(PeriodArgsSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(LIST_KINDS))


class UnitScoreSchema(Schema):
    rank = ma.fields.Integer()
    org_unit_id = ma.fields.Integer(attribute="id")
    code = ma.fields.String()
    name = ma.fields.String()
    head_name = ma.fields.String(allow_none=True)
    visits = ma.fields.Integer(metadata={"description": "Approved visits in the period."})
    mean_score = ma.fields.Float(allow_none=True, metadata={"description": "Mean visit score, %."})
    critical = ma.fields.Integer()
    major = ma.fields.Integer()
    minor = ma.fields.Integer()


class DeskScoreSchema(UnitScoreSchema):
    desk_id = ma.fields.Integer(attribute="id")
    org_unit_id = ma.fields.Integer()
    unit_name = ma.fields.String()


class ScoresSchema(Schema):
    date_from = Date(data_key="from")
    date_to = Date(data_key="to")
    org_unit_id = ma.fields.Integer()
    period = ma.fields.String()
    units = ma.fields.List(ma.fields.Nested(UnitScoreSchema))
    desks = ma.fields.List(ma.fields.Nested(DeskScoreSchema))


class IsoDate(Date):
    """A date, also when a frozen list has kept it as its ISO string."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class FindingRefSchema(Schema):
    finding_id = ma.fields.String()
    visit_id = ma.fields.String()
    visit_date = IsoDate()
    desk = ma.fields.String()
    criterion_code = ma.fields.String()
    criterion_text = ma.fields.String()
    severity = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    inspector = ma.fields.String(allow_none=True)
    evidence = ma.fields.List(ma.fields.String(), metadata={"description": "Evidence ids."})
    evidence_urls = ma.fields.Method("_urls", metadata={
        "type": "array", "items": {"type": "string", "format": "uri-reference"}})

    def _urls(self, finding) -> list[str]:
        # A frozen list's dict or a computed list's record, read as the fields read them.
        return evidence_urls(ma.utils.get_value(finding, "evidence"))


_ANY_PHOTO = "00000000-0000-0000-0000-000000000000"


def evidence_url_parts() -> tuple[str, str]:
    """What url_for writes before and after a photo's id, asked once per request: a
    national criticism list names tens of thousands of photos, and url_for cost as much
    as the rest of their references."""
    parts = g.get("evidence_url_parts")
    if parts is None:
        before, _, after = url_for("evidence.evidence_content", evidence_id=_ANY_PHOTO).partition(_ANY_PHOTO)
        parts = g.evidence_url_parts = (before, after)
    return parts


def evidence_urls(evidence_ids, url_parts: tuple[str, str] | None = None) -> list[str]:
    """The photos' addresses, as url_for writes them (`url_parts`: evidence_url_parts(),
    for a caller that writes many)."""
    before, after = url_parts or evidence_url_parts()
    return [f"{before}{evidence_id}{after}" for evidence_id in evidence_ids]


def _written_ref(ref: FailingFinding, url_parts: tuple[str, str]) -> dict:
    """A computed Entry's finding (the record itself) as FindingRefSchema writes it: the
    day as isoformat(), the photos' addresses as evidence_urls writes them (`url_parts`:
    evidence_url_parts()). A national criticism list has 24,000 of them.
    tests/api/test_lists.py holds it to the schema."""
    return {"finding_id": ref.finding_id, "visit_id": ref.visit_id, "visit_date": ref.visit_date.isoformat(),
            "desk": ref.desk, "criterion_code": ref.criterion_code, "criterion_text": ref.criterion_text,
            "severity": ref.severity, "note": ref.note, "inspector": ref.inspector,
            "evidence": list(ref.evidence),
            "evidence_urls": evidence_urls(ref.evidence, url_parts)}


class EntrySchema(Schema):
    entry_type = ma.fields.String(metadata={"description": "unit or staff"})
    name = ma.fields.String()
    org_unit_id = ma.fields.Integer(allow_none=True)
    staff_id = ma.fields.Integer(allow_none=True)
    position_title = ma.fields.String(allow_none=True)
    org_name = ma.fields.String(allow_none=True)
    commune = ma.fields.String(allow_none=True)
    head_name = ma.fields.String(allow_none=True)
    form_code = ma.fields.String()
    form_name = ma.fields.String(metadata={"description": "The proposed form (a proposal only)."})
    form_legal_basis = ma.fields.String(allow_none=True, metadata={
        "description": "The legal basis of the proposed form, from the forms catalogue."})
    award_authority = ma.fields.String(allow_none=True, metadata={
        "description": "Who awards the proposed award (Giấy khen: Chủ tịch UBND of the commune, or "
                       "the head of the department); null for a form that is not an award."})
    score = ma.fields.Float(allow_none=True)
    critical = ma.fields.Integer()
    major = ma.fields.Integer()
    minor = ma.fields.Integer()
    reasons = ma.fields.List(ma.fields.String())
    explanation_status = ma.fields.String(
        allow_none=True, metadata={"description": "For discipline grounds: not_requested, requested, "
                                                  "received or lapsed."})
    pending_explanation = ma.fields.Boolean(
        metadata={"description": "Discipline grounds exist but the explanation is not settled: "
                                 "the entry is NOT proposed for discipline."})
    note = ma.fields.String(allow_none=True)
    visit_dates = ma.fields.List(Date())
    findings = DumpedList(FindingRefSchema)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _written_entry(entry: Entry, schema: EntrySchema) -> dict:
    """A computed list's Entry (~9,000 in a national list) as EntrySchema writes it: texts
    with str(), counts with int(), the score with float(), as its fields do; the days as
    isoformat(); the Boolean through its own field; its findings as _written_ref writes
    them. A frozen list's rows go through the fields. tests/api/test_lists.py holds it to
    the schema."""
    url_parts = evidence_url_parts()
    return {
        "entry_type": _text(entry.entry_type), "name": _text(entry.name),
        "org_unit_id": None if entry.org_unit_id is None else int(entry.org_unit_id),
        "staff_id": None if entry.staff_id is None else int(entry.staff_id),
        "position_title": _text(entry.position_title), "org_name": _text(entry.org_name),
        "commune": _text(entry.commune), "head_name": _text(entry.head_name),
        "form_code": _text(entry.form_code), "form_name": _text(entry.form_name),
        "form_legal_basis": _text(entry.form_legal_basis), "award_authority": _text(entry.award_authority),
        "score": None if entry.score is None else float(entry.score),
        "critical": int(entry.critical), "major": int(entry.major), "minor": int(entry.minor),
        "reasons": [str(reason) for reason in entry.reasons],
        "explanation_status": _text(entry.explanation_status),
        "pending_explanation": schema.fields["pending_explanation"].serialize("pending_explanation", entry),
        "note": _text(entry.note),
        "visit_dates": [day.isoformat() for day in entry.visit_dates],
        "findings": [_written_ref(ref, url_parts) for ref in entry.findings],
    }


class ComputedListSchema(Schema):
    kind = ma.fields.String()
    date_from = Date(data_key="from")
    date_to = Date(data_key="to")
    org_unit_id = ma.fields.Integer()
    period = ma.fields.String()
    rules = ma.fields.Dict()
    unit_count = ma.fields.Integer()
    staff_count = ma.fields.Integer()
    entries = DumpedList(EntrySchema, written={Entry: _written_entry})


class FreezeListSchema(Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(LIST_KINDS))
    date_from = Date(required=True, data_key="from", validate=REPORT_DATES)
    date_to = Date(required=True, data_key="to", validate=REPORT_DATES)
    org_unit_id = id_field()
    document_number = ma.fields.String(required=True, validate=validate.Length(min=1, max=60),
                                       metadata={"description": "e.g. 125/TTr-SNV"})
    document_date = Date(required=True, validate=REPORT_DATES)
    title = ma.fields.String(validate=validate.Length(max=500),
                             metadata={"description": "Subject line; generated from kind and period if omitted."})
    signer_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                                   metadata={"description": "Who signs the Tờ trình, e.g. Nguyễn Văn An"})
    signer_title = ma.fields.String(
        validate=[validate.Length(min=1, max=200), _at_most_lines(3)],
        metadata={"description": "Lines above the name, split by a line break "
                                 f"(default {DEFAULT_SIGNER_TITLE!r})"})
    addressee = ma.fields.String(validate=validate.Length(min=1, max=300),
                                 metadata={"description": "Kính gửi (default: the province's People's Committee)"})
    recipients = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=300)),
                                validate=validate.Length(min=1, max=20),
                                metadata={"description": "Nơi nhận, one line each (a default is proposed)"})
    attachment_signed = ma.fields.Boolean(
        load_default=False, metadata={"description": "Also print the signature block on the list itself"})


class FrozenListSchema(Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    date_from = Date(attribute="period_from", data_key="from")
    date_to = Date(attribute="period_to", data_key="to")
    org_unit_id = ma.fields.Integer()
    document_number = ma.fields.String()
    document_date = Date()
    title = ma.fields.String()
    signer_name = ma.fields.String()
    signer_title = ma.fields.String()
    addressee = ma.fields.String()
    recipients = ma.fields.List(ma.fields.String())
    attachment_signed = ma.fields.Boolean()
    rules = ma.fields.Dict()
    unit_count = ma.fields.Integer()
    staff_count = ma.fields.Integer()
    created_by_id = ma.fields.Integer()
    created_at = AwareDateTime()


class FrozenListDetailSchema(FrozenListSchema):
    entries = DumpedList(EntrySchema)


class FrozenListQueryArgsSchema(PageArgsSchema):
    kind = ma.fields.String(validate=validate.OneOf(LIST_KINDS))
