"""A quarter of the demo province as a leader gets it on paper: a frozen criticism list and
a frozen commendation list of Q4/2026, with long Vietnamese names, one official's
explanation received and one pending, photos behind the failures, and a Giấy khen whose
authority the list must name (the unit was commended on a signed Q3 list)."""

from __future__ import annotations

from dataclasses import dataclass, field

from inspect_api.db import db
from inspect_api.org.models import OrgUnit, Staff
from tests.api.review_support import Flow

LONG_NAMES = [
    "Nguyễn Thị Hồng Nhung Phượng Khuê Tôn Nữ Diễm Thương",
    "Hoàng Trọng Nghĩa Đức Lượng Vũ Quốc Khánh",
    "Lò Thị Ngọc Ánh Xuân Hương",
    "Sùng Mí Chứ Giàng A Phềnh",
    "Trịnh Thị Ỷ Lan Ngọc Diệp",
    "Đặng Quốc Bảo Anh Tuấn Kiệt",
]
# Units that fail (criticism) and that pass every visit (commendation).
FAILING = ("TQ-TANTRAO", "TQ-SONDUONG", "TQ-HAMYEN", "TQ-CONLON", "TQ-LUNGCU", "TQ-DONGVAN")
PASSING = ("TQ-MINHXUAN", "TQ-MYLAM")
STAFF_FAILURES = ("CON-01", "CON-05", "CON-06", "CON-07", "CON-08")
LONG_NOTE = ("Người dân phải chờ hơn ba mươi phút mà không được hướng dẫn; phiếu hẹn ghi sai "
             "ngày trả kết quả; sổ theo dõi hồ sơ không cập nhật từ đầu tháng.")


@dataclass
class Quarter:
    criticism_id: int = 0
    commendation_id: int = 0
    names: list[str] = field(default_factory=list)  # officials named on the lists
    received: str = ""  # the official whose explanation was received
    pending: str = ""  # the official whose explanation is pending
    award_authority: str = ""


def freeze(flow: Flow, kind: str, date_from: str, date_to: str, number: str, signed: str,
           **extra) -> dict:
    r = flow.client.post("/api/v1/reports/lists", headers=flow.login("leader1"), json={
        "kind": kind, "from": date_from, "to": date_to, "signer_name": "Phạm Thị Hòa",
        "document_number": number, "document_date": signed, **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def make_quarter(app, flow: Flow) -> Quarter:
    quarter = Quarter()
    with app.app_context():
        for index, unit in enumerate(FAILING):
            staff = db.session.get_one(Staff, flow.staff(unit))
            staff.full_name = LONG_NAMES[index]
        db.session.commit()
    # Q3: the passing units commended on a signed list, so Q4 proposes a Giấy khen.
    for day in ("2026-08-10", "2026-08-20"):
        flow.approved("TQ-MINHXUAN", day)
    freeze(flow, "commendation", "2026-07-01", "2026-09-30", "30/TTr-SNV", "2026-10-07")
    for unit in PASSING:
        for day in ("2026-11-10", "2026-11-20"):
            flow.approved(unit, day)
    for index, unit in enumerate(FAILING):
        answers: dict = {code: {"result": "fail", "note": LONG_NOTE} for code in STAFF_FAILURES}
        staff_id = flow.staff(unit)
        for code in STAFF_FAILURES:
            answers[code]["staff_id"] = staff_id
        if index < 2:  # critical: a discipline ground whose explanation is asked for
            answers["CON-02"] = {"result": "fail", "note": LONG_NOTE, "staff_id": staff_id}
            answers["SEAT-02"] = "fail"
        made = flow.approved(unit, f"2026-11-{12 + index:02d}", answers, photos=("CON-01", "CON-02"))
        if index < 2:
            flow.explanation(made.findings["CON-02"], "request")
        if index == 0:
            flow.explanation(made.findings["CON-02"], "receive", content="Đã giải trình, xin rút kinh nghiệm")
            quarter.received = LONG_NAMES[0]
        if index == 1:
            quarter.pending = LONG_NAMES[1]
    quarter.names = LONG_NAMES[:len(FAILING)]
    criticism = freeze(flow, "criticism", "2026-10-01", "2026-12-31", "125/TTr-SNV", "2027-01-05")
    commendation = freeze(flow, "commendation", "2026-10-01", "2026-12-31", "126/TTr-SNV", "2027-01-05",
                          attachment_signed=True)
    quarter.criticism_id, quarter.commendation_id = criticism["id"], commendation["id"]
    award = next(e for e in commendation["entries"] if e["award_authority"])
    quarter.award_authority = award["award_authority"]
    with app.app_context():
        assert db.session.get(OrgUnit, flow.demo.units["TQ-MINHXUAN"]) is not None
    return quarter
