"""What a review changed, shown as current on the visit page and in the queue (issue 10,
item 9), over HTTP: a changed severity replaces the checklist's (the original noted), a
voided finding is marked and no longer counted, and the queue's critical flag follows the
latest review as the scores do."""

from __future__ import annotations

import re

import pytest

from tests.api.review_support import Flow
from tests.console.support import sign_in


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" )", ")")


def finding_block(page: str, finding_id: str) -> str:
    found = re.search(rf'<article class="finding[^"]*" aria-labelledby="f-{finding_id}">(.*?)</article>', page, re.S)
    assert found, f"no finding {finding_id}"
    return found.group(0)


def test_a_changed_severity_and_a_void_are_shown_as_they_stand(client, flow):
    # SEAT-02 is critical in the checklist, CON-01 (a staff criterion) major.
    made = flow.visit("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail", "CON-01": "fail"})
    seat, conduct = made.findings["SEAT-02"], made.findings["CON-01"]
    sign_in(client, "reviewer1")
    before = client.get(f"/console/visits/{made.id}").text
    assert "2 không đạt" in text_of(before)
    assert "ban đầu" not in before and "Đã hủy" not in before

    flow.review(made.id, findings=[{"finding_id": seat, "severity": "minor"},
                                   {"finding_id": conduct, "void": True, "void_reason": "Cán bộ nghỉ phép hôm đó"}])
    page = client.get(f"/console/visits/{made.id}").text
    seat_block = text_of(finding_block(page, seat))
    assert "Mức độ Nhỏ ban đầu: nghiêm trọng" in seat_block
    assert "Đã hủy" not in seat_block
    conduct_block = finding_block(page, conduct)
    assert "finding-voided" in conduct_block and "finding-fail" not in conduct_block
    assert "Đã hủy: Cán bộ nghỉ phép hôm đó" in text_of(conduct_block)
    # One failure counts; the voided one is named apart.
    facts = text_of(page[page.index('id="facts-h"'):page.index("Kết quả kiểm tra</h2>")])
    assert "1 không đạt: SEAT-02 (không tính 1 kết quả đã hủy khi thẩm định: CON-01)" in facts


def test_the_queue_critical_flag_follows_the_latest_review(client, flow):
    lowered = flow.visit("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    voided = flow.visit("TQ-MYLAM", "2026-11-11", {"SEAT-02": "fail"})
    kept = flow.visit("TQ-TANTRAO", "2026-11-12", {"SEAT-02": "fail"})
    raised = flow.visit("TQ-HAGIANG1", "2026-11-13", {"CON-01": "fail"})
    advised = flow.visit("TQ-HAGIANG2", "2026-11-14", {"SEAT-02": "fail"})
    flow.review(lowered.id, findings=[{"finding_id": lowered.findings["SEAT-02"], "severity": "major"}])
    flow.review(voided.id, findings=[{"finding_id": voided.findings["SEAT-02"], "void": True,
                                      "void_reason": "Ghế có nhưng bị che khi chụp"}])
    flow.review(kept.id)
    flow.review(raised.id, findings=[{"finding_id": raised.findings["CON-01"], "severity": "critical"}])
    # A return's lowered severity is advice: the returned visit still shows its critical failure.
    flow.review(advised.id, "return", comment="Bổ sung ảnh",
                findings=[{"finding_id": advised.findings["SEAT-02"], "severity": "minor"}])
    sign_in(client, "reviewer1")
    page = client.get("/console/queue?state=approved").text
    rows = {visit.id: re.search(rf'href="/console/visits/{visit.id}".*?</tr>', page, re.S).group(0)
            for visit in (lowered, voided, kept, raised)}
    assert "Lỗi nghiêm trọng" in rows[kept.id] and "Lỗi nghiêm trọng" in rows[raised.id]
    assert "Lỗi nghiêm trọng" not in rows[lowered.id] and "Lỗi nghiêm trọng" not in rows[voided.id]
    critical = client.get("/console/queue?state=approved&critical=true").text
    assert str(kept.id) in critical and str(raised.id) in critical
    assert str(lowered.id) not in critical and str(voided.id) not in critical
    returned = client.get("/console/queue?state=returned").text
    assert "Lỗi nghiêm trọng" in re.search(rf'href="/console/visits/{advised.id}".*?</tr>', returned, re.S).group(0)
    assert str(advised.id) in client.get("/console/queue?state=returned&critical=true").text


def test_a_return_rounds_notes_are_advice_not_in_force(client, flow):
    """Returned with a lowered severity: the next decision starts again from the
    checklist's severity (keeping it adds no note), so that is what the page shows."""
    made = flow.visit("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    seat = made.findings["SEAT-02"]
    flow.review(made.id, "return", comment="Bổ sung ảnh", findings=[{"finding_id": seat, "severity": "minor"}])
    sign_in(client, "reviewer1")
    page = client.get(f"/console/visits/{made.id}").text
    block = text_of(finding_block(page, seat))
    assert "Mức độ Nghiêm trọng" in block and "ban đầu" not in block
    assert "Thẩm định lượt 1: mức độ đổi thành nhỏ" in block  # the advice, as a round's note
    assert "1 không đạt: SEAT-02" in text_of(page)
