"""The evidence flags where a reviewer looks (issue 10, item 4), over HTTP: a badge in words
on each thumbnail of the visit page, a count in its header, and the full account on the
photo page, with links to the other visits holding the same bytes only where the reader
may open them.

The provincial centre's desk (TQ-TTPVHCC) is seeded at 21.8225, 105.2146; the default test
photo was taken at 08:15:42 +07:00 at 21.8233, 105.2140 (about 110 m away), within a visit
started at 01:00 UTC (08:00 in Vietnam)."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.api.review_support import Flow
from tests.conftest import DEMO_PASSWORD, new_id, statements_of
from tests.console.support import sign_in
from tests.photos import phone_photo

FAR = phone_photo(320, 240, lat=21.8233 + 0.045)            # 5,1 km north of the desk
EARLY = phone_photo(320, 240, taken="2026:11:20 05:00:00")  # three hours before the start


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def upload(flow: Flow, visit_id: str, finding_id: str, data: bytes) -> str:
    evidence_id = new_id()
    headers = flow.login(flow.inspector_for(flow.desk("TQ-TTPVHCC")))
    response = flow.client.put(
        f"/api/v1/visits/{visit_id}/evidence/{evidence_id}?finding_id={finding_id}", data=data,
        headers={**headers, "Content-Type": "image/jpeg", "X-Content-SHA256": hashlib.sha256(data).hexdigest()})
    assert response.status_code == 201, response.get_json()
    return evidence_id


def submit(flow: Flow, visit_id: str, unit: str) -> None:
    headers = flow.login(flow.inspector_for(flow.desk(unit)))
    response = flow.client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers)
    assert response.status_code == 200, response.get_json()


def thumbnail_of(page: str, evidence_id: str) -> str:
    """The thumbnail link of one photo on the visit page, badges included."""
    found = re.search(rf'<a class="thumb[^"]*" href="/console/evidence/{evidence_id}">(.*?)</a>', page, re.S)
    assert found, f"no thumbnail of {evidence_id}"
    return found.group(1)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_far_and_early_photos_are_named_on_the_thumbnail_and_explained_on_the_photo_page(client, flow):
    made = flow.visit("TQ-TTPVHCC", "2026-11-20", {"SEAT-02": "fail"}, submit=False)
    finding = made.findings["SEAT-02"]
    fine = made.evidence["SEAT-02"]
    far = upload(flow, made.id, finding, FAR)
    early = upload(flow, made.id, finding, EARLY)
    submit(flow, made.id, "TQ-TTPVHCC")

    sign_in(client, "reviewer1")
    page = client.get(f"/console/visits/{made.id}")
    assert page.status_code == 200
    assert "2 ảnh minh chứng cần xem lại" in text_of(page.text)
    assert "⚠" not in thumbnail_of(page.text, fine)
    assert "Cách bàn tiếp nhận 5,1 km" in thumbnail_of(page.text, far)
    assert "Chụp ngoài giờ kiểm tra" not in thumbnail_of(page.text, far)
    assert "Chụp ngoài giờ kiểm tra" in thumbnail_of(page.text, early)
    assert "Cách bàn tiếp nhận" not in thumbnail_of(page.text, early)

    far_page = text_of(client.get(f"/console/evidence/{far}").text)
    assert "Xa bàn tiếp nhận. Chụp cách bàn tiếp nhận 5,1 km, xa hơn mức cho phép" in far_page
    assert "trong giờ kiểm tra (20/11/2026 08:00 –" in far_page
    # 05:00 in Vietnam; the window opens at 08:00 less 30 minutes' grace.
    early_page = text_of(client.get(f"/console/evidence/{early}").text)
    assert ("Ngoài giờ kiểm tra. Chụp lúc 20/11/2026 05:00, ngoài giờ kiểm tra (20/11/2026 08:00 –"
            in early_page)
    assert "2 giờ 30 phút trước khi buổi kiểm tra bắt đầu, đã tính 30 phút cho phép lệch" in early_page
    fine_page = text_of(client.get(f"/console/evidence/{fine}").text)
    assert "Không phát hiện điểm đáng ngờ." in fine_page
    assert re.search(r"Chụp cách bàn tiếp nhận 1[01]\d m, trong phạm vi 300 m\.", fine_page)


def test_a_photo_without_exif_is_not_checked_and_says_so(client, flow):
    made = flow.visit("TQ-TTPVHCC", "2026-11-20", {"SEAT-02": "fail"}, submit=False)
    bare = upload(flow, made.id, made.findings["SEAT-02"], phone_photo(320, 240, taken=None, lat=None, lon=None))
    submit(flow, made.id, "TQ-TTPVHCC")
    sign_in(client, "reviewer1")
    page = client.get(f"/console/visits/{made.id}").text
    assert "⚠" not in thumbnail_of(page, bare) and "cần xem lại" not in page
    photo = text_of(client.get(f"/console/evidence/{bare}").text)
    assert "Không kiểm tra được: ảnh không ghi thời điểm chụp." in photo
    assert "Không kiểm tra được: ảnh không ghi vị trí." in photo


def test_duplicates_link_only_the_visits_the_reader_may_open(client, flow):
    # Three visits with the same photo: two at the provincial centre, one at Tân Trào.
    first = flow.visit("TQ-TTPVHCC", "2026-11-20", {"SEAT-02": "fail"})
    second = flow.visit("TQ-TTPVHCC", "2026-11-20", {"SEAT-02": "fail"}, at="01:05:00")
    elsewhere = flow.visit("TQ-TANTRAO", "2026-11-20", {"SEAT-02": "fail"})
    photo = first.evidence["SEAT-02"]

    # The province's reviewer sees and may open both others.
    sign_in(client, "reviewer1")
    page = client.get(f"/console/visits/{first.id}").text
    assert "Ảnh trùng buổi kiểm tra khác" in thumbnail_of(page, photo)
    assert "1 ảnh minh chứng cần xem lại" in text_of(page)
    detail = client.get(f"/console/evidence/{photo}").text
    assert f'href="/console/visits/{second.id}"' in detail
    assert f'href="/console/visits/{elsewhere.id}"' in detail
    assert "ngoài phạm vi bạn được xem" not in detail

    # A reviewer of the provincial centre only: Tân Trào's visit is counted, not linked.
    flow.create_user("reviewer.ttpvhcc", "reviewer", "TQ-TTPVHCC")
    other = client.application.test_client()
    sign_in(other, "reviewer.ttpvhcc", DEMO_PASSWORD + "-reviewer.ttpvhcc")
    page = other.get(f"/console/visits/{first.id}").text
    assert "Ảnh trùng buổi kiểm tra khác" in thumbnail_of(page, photo)
    detail = other.get(f"/console/evidence/{photo}").text
    assert f'href="/console/visits/{second.id}"' in detail
    assert str(elsewhere.id) not in detail
    assert "1 buổi kiểm tra ngoài phạm vi bạn được xem" in text_of(detail)
    # And Tân Trào's visit itself stays a 404 for them.
    assert other.get(f"/console/visits/{elsewhere.id}").status_code == 404


def test_the_visit_page_costs_the_same_statements_for_one_photo_or_many(app, client, flow):
    """The flags of a visit's photos come in one go, not one query per thumbnail."""


    one = flow.visit("TQ-TTPVHCC", "2026-11-20", {"SEAT-02": "fail"})
    many = flow.visit("TQ-TTPVHCC", "2026-11-20", {"SEAT-02": "fail"}, submit=False)
    for minute in range(4):
        upload(flow, many.id, many.findings["SEAT-02"], phone_photo(320, 240, taken=f"2026:11:20 08:2{minute}:00"))
    submit(flow, many.id, "TQ-TTPVHCC")
    sign_in(client, "reviewer1")

    def statements(visit_id: str) -> int:
        count, page = statements_of(app, client.get, f"/console/visits/{visit_id}")
        assert page.status_code == 200
        return count

    assert "Ảnh trùng buổi kiểm tra khác" in client.get(f"/console/visits/{many.id}").text  # flags were computed
    assert statements(many.id) == statements(one.id)
