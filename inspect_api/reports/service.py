"""Reports: scores, computed lists, and freezing a list under a document number."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from ..audit.service import Origin, normalise, record
from ..scoping import in_subtree
from ..auth.models import User
from ..db import db, utcnow
from ..errors import NotFound
from .lists import ListSettings, compute_list, period_label
from ..org.models import OrgUnit
from .models import FrozenList, FrozenListEntry
from .scores import resolve_scope, score_tables

ENTRY_FIELDS = ("entry_type", "org_unit_id", "staff_id", "name", "position_title", "org_name",
                "commune", "head_name", "form_code", "form_name", "form_legal_basis", "score",
                "critical", "major", "minor", "reasons", "explanation_status", "note", "award_authority")
DEFAULT_SIGNER_TITLE = "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
# Nơi nhận of the Tờ trình when the leader gives none: the addressee ("Như trên"), the
# director informed, and only the units the list names: a proposal naming people is never
# sent to every commune (shared/domain/LISTS.md).
DEFAULT_RECIPIENTS = ("Như trên;", "Giám đốc Sở (để b/c);", "Các cơ quan, đơn vị có tên trong danh sách;")
LIST_SUBJECTS = {
    "criticism": "Tập thể, cá nhân đề nghị phê bình, xem xét xử lý kỷ luật qua kiểm tra Bộ phận Một cửa",
    "commendation": "Tập thể, cá nhân đề nghị biểu dương, khen thưởng qua kiểm tra Bộ phận Một cửa",
}


def scores(actor: User, args: dict[str, Any]) -> dict[str, Any]:
    scope = resolve_scope(actor, args["date_from"], args["date_to"], args.get("org_unit_id"))
    return {"date_from": scope.date_from, "date_to": scope.date_to, "org_unit_id": scope.org_unit.id,
            "period": period_label(scope.date_from, scope.date_to),
            **dict(zip(("units", "desks"), score_tables(scope), strict=True))}


def computed_list(actor: User, args: dict[str, Any], settings: ListSettings) -> dict[str, Any]:
    scope = resolve_scope(actor, args["date_from"], args["date_to"], args.get("org_unit_id"))
    entries = compute_list(args["kind"], scope, settings)
    return {"kind": args["kind"], "date_from": scope.date_from, "date_to": scope.date_to,
            "org_unit_id": scope.org_unit.id, "period": period_label(scope.date_from, scope.date_to),
            "rules": settings.as_settings(), "entries": entries,
            "unit_count": sum(1 for e in entries if e.entry_type == "unit"),
            "staff_count": sum(1 for e in entries if e.entry_type == "staff")}


def freeze_list(actor: User, data: dict[str, Any], settings: ListSettings, *,
                origin: Origin | None = None) -> FrozenList:
    """Copy the list as it stands now; later reviews never change it."""
    scope = resolve_scope(actor, data["date_from"], data["date_to"], data.get("org_unit_id"))
    entries = compute_list(data["kind"], scope, settings)
    title = data.get("title") or f"{LIST_SUBJECTS[data['kind']]} {period_label(scope.date_from, scope.date_to)}"
    frozen = FrozenList(
        kind=data["kind"], period_from=scope.date_from, period_to=scope.date_to,
        org_unit_id=scope.org_unit.id, document_number=data["document_number"].strip(),
        document_date=data["document_date"], title=title, rules=settings.as_settings(),
        signer_name=data["signer_name"].strip(), signer_title=data.get("signer_title") or DEFAULT_SIGNER_TITLE,
        addressee=data.get("addressee") or default_addressee(scope.org_unit),
        recipients=data.get("recipients") or list(DEFAULT_RECIPIENTS),
        attachment_signed=data.get("attachment_signed", False),
        unit_count=sum(1 for e in entries if e.entry_type == "unit"),
        staff_count=sum(1 for e in entries if e.entry_type == "staff"),
        created_by_id=actor.id, created_at=utcnow())
    frozen.entries = [
        FrozenListEntry(position=index + 1, findings=normalise([f.as_dict() for f in entry.findings]),
                        **{name: getattr(entry, name) for name in ENTRY_FIELDS})
        for index, entry in enumerate(entries)]
    db.session.add(frozen)
    db.session.flush()
    record("freeze", "list", frozen.id, actor=actor, after={
        "kind": frozen.kind, "from": frozen.period_from, "to": frozen.period_to,
        "org_unit_id": frozen.org_unit_id, "document_number": frozen.document_number,
        "document_date": frozen.document_date, "signer_name": frozen.signer_name,
        "signer_title": frozen.signer_title, "addressee": frozen.addressee, "recipients": frozen.recipients,
        "attachment_signed": frozen.attachment_signed, "units": frozen.unit_count, "staff": frozen.staff_count,
        "entries": [{"type": e.entry_type, "id": e.staff_id or e.org_unit_id, "form": e.form_code}
                    for e in frozen.entries]}, origin=origin)
    db.session.commit()
    return frozen


def province_of(unit: OrgUnit) -> OrgUnit:
    """The root of the unit's tree: the province."""
    root_id = int(unit.path.strip("/").split("/")[0])
    return db.session.get_one(OrgUnit, root_id)


def default_addressee(unit: OrgUnit) -> str:
    """A Sở Nội vụ proposal goes to the province's People's Committee, which decides."""
    province = province_of(unit).name  # "Tỉnh Tuyên Quang" → "... tỉnh Tuyên Quang"
    return f"Ủy ban nhân dân {province[:1].lower()}{province[1:]}"


FROZEN_LIST_ORDER = [(FrozenList.document_date, True), (FrozenList.id, True)]


def frozen_lists(actor: User, filters: dict[str, Any]) -> Select:
    """Frozen lists in the actor's subtree (page them in FROZEN_LIST_ORDER)."""
    query = select(FrozenList).where(in_subtree(FrozenList.org_unit_id, actor))
    if filters.get("kind"):
        query = query.where(FrozenList.kind == filters["kind"])
    return query


def get_frozen_list(actor: User, list_id: int) -> FrozenList:
    frozen = db.session.scalar(
        select(FrozenList).where(FrozenList.id == list_id, in_subtree(FrozenList.org_unit_id, actor)))
    if frozen is None:
        raise NotFound("Không tìm thấy danh sách.")
    return frozen

