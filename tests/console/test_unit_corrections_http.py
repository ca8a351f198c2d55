"""A unit's correction record beside its score (issue 11, item 5), over HTTP: the
corrections that the period's approved visits made, by state, within or past their
deadline, for the unit and the units under it, as the reader may see them."""

from __future__ import annotations

import re

import pytest

from tests.api.review_support import Flow
from tests.api.test_corrections import approved_with_failures, by_code, corrections, officer, shift_deadlines, upload
from tests.conftest import DEMO_PASSWORD, new_id
from tests.console.support import sign_in

Q4 = {"from": "01/10/2026", "to": "31/12/2026"}
Q3 = {"from": "01/07/2026", "to": "30/09/2026"}
API = "/api/v1"


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def text_of(html: str) -> str:
    return re.sub(r"\s+([.;,)])", r"\1", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def record_rows(html: str) -> dict[str, tuple[str, str, str]]:
    """The record's table: state -> (count, within the deadline, past it)."""
    section = html[html.index('id="unit-corrections"'):]
    section = section[:section.index("</section>")]
    return {label.strip(): (total, on_time, late) for label, total, on_time, late in re.findall(
        r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>\s*'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td>', section)}


def report(client, unit_headers, correction: dict) -> None:
    photo = upload(client, unit_headers, correction["id"])
    r = client.post(f"{API}/corrections/{correction['id']}/reports", headers=unit_headers,
                    json={"id": new_id(), "note": "Đã khắc phục", "photo_ids": [photo]})
    assert r.status_code == 200, r.get_json()


def accept(client, login, correction: dict) -> None:
    r = client.post(f"{API}/corrections/{correction['id']}/verification", headers=login("reviewer1"),
                    json={"id": new_id(), "outcome": "accept", "note": "Đạt"})
    assert r.status_code == 200, r.get_json()


def test_the_record_counts_each_state_within_and_past_the_deadline(app, client, flow, login, demo):
    approved_with_failures(flow, "TQ-TANTRAO")          # SEAT-02, SEAT-01, FAC-01, CON-01
    approved_with_failures(flow, "TQ-HAGIANG1")         # another unit: not in Tân Trào's record
    unit = officer(flow, "TQ-TANTRAO")
    mine = by_code(corrections(client, unit))
    assert set(mine) == {"SEAT-02", "SEAT-01", "FAC-01", "CON-01"}
    # SEAT-02 fixed in time; SEAT-01 fixed, but its deadline had passed 40 days ago;
    # FAC-01 reported, awaiting a check; CON-01 never reported, now past its deadline.
    for code in ("SEAT-02", "SEAT-01", "FAC-01"):
        report(client, unit, mine[code])
    for code in ("SEAT-02", "SEAT-01"):
        accept(client, login, mine[code])
    shift_deadlines(app, [mine["SEAT-01"]["id"], mine["CON-01"]["id"]], 40)

    console = app.test_client()
    sign_in(console, "leader1")
    page = console.get(f"/console/scores/units/{demo.units['TQ-TANTRAO']}", query_string=Q4)
    assert page.status_code == 200, page.text[:500]
    text = text_of(page.text)
    assert "Khắc phục sau kiểm tra" in text
    assert "4 yêu cầu khắc phục từ các buổi kiểm tra trong kỳ; 1 đang quá hạn." in text
    assert record_rows(page.text) == {
        "Đang khắc phục, chưa báo cáo": ("1", "0", "1"),
        "Đã báo cáo, chờ kiểm tra": ("1", "1", "0"),
        "Kiểm tra lại: chưa khắc phục": ("0", "0", "0"),
        "Đã khắc phục (được xác nhận)": ("2", "1", "1"),
    }

    # The province sums the units under it: Hà Giang 1's four are open and within time.
    province = console.get(f"/console/scores/units/{demo.units['TQ']}", query_string=Q4).text
    assert record_rows(province)["Đang khắc phục, chưa báo cáo"] == ("5", "4", "1")
    assert "8 yêu cầu khắc phục" in text_of(province)

    # Another period: the visits of Q4 made them, so Q3 has none.
    earlier = console.get(f"/console/scores/units/{demo.units['TQ-TANTRAO']}", query_string=Q3).text
    assert "Không có yêu cầu khắc phục nào từ các buổi kiểm tra trong kỳ này." in text_of(earlier)


def test_a_withdrawn_correction_is_not_counted_and_scope_holds(app, client, flow, login, demo):
    made = flow.approved("TQ-TANTRAO", "2026-11-10", {"SEAT-02": "fail", "FAC-01": "fail"},
                         notes=[])
    # A later review voids FAC-01: its correction is withdrawn, out of the record.
    visit = client.get(f"{API}/visits/{made.id}", headers=login("reviewer1")).get_json()
    r = client.post(f"{API}/visits/{made.id}/review", headers=login("reviewer1"), json={
        "decision": "approve", "version": visit["version"],
        "findings": [{"finding_id": made.findings["FAC-01"], "void": True, "void_reason": "Nhầm tiêu chí"}]})
    assert r.status_code == 200, r.get_json()
    console = app.test_client()
    sign_in(console, "leader1")
    page = console.get(f"/console/scores/units/{demo.units['TQ-TANTRAO']}", query_string=Q4).text
    assert record_rows(page)["Đang khắc phục, chưa báo cáo"] == ("1", "1", "0")
    assert "1 yêu cầu khắc phục từ các buổi kiểm tra trong kỳ; không có yêu cầu nào quá hạn." in text_of(page)
    # A leader of another ward cannot open Tân Trào's page at all.
    flow.create_user("leader.mylam", "leader", "TQ-MYLAM")
    ward = app.test_client()
    sign_in(ward, "leader.mylam", DEMO_PASSWORD + "-leader.mylam")
    assert ward.get(f"/console/scores/units/{demo.units['TQ-TANTRAO']}", query_string=Q4).status_code == 404
    own = ward.get(f"/console/scores/units/{demo.units['TQ-MYLAM']}", query_string=Q4).text
    assert "Không có yêu cầu khắc phục nào" in text_of(own)
