"""The conclusion notice pages of the console over HTTP (Flask test client): the issuing
side's plans and units, the draft and issued files, the issue form's errors with the typed
values kept, scope (another subtree, another unit, an inspector) and CSRF; each checked
against the API or the database."""

from __future__ import annotations

import io

import docx
import pytest
from sqlalchemy import func, select

from inspect_api.db import db
from inspect_api.notices.models import ConclusionNotice
from tests.api.review_support import Flow
from tests.conftest import DEMO_PASSWORD
from tests.console.support import csrf_token, post_form, sign_in

UNIT = "TQ-TANTRAO"
OTHER_UNIT = "TQ-HAGIANG1"
THIRD_UNIT = "TQ-MINHXUAN"
OFFICER = "canbo.tantrao"
NUMBER = "15/TB-SNV"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


@pytest.fixture
def plan_id(flow, client, login) -> int:
    """Tân Trào and Hà Giang 1 each with an approved visit with failures."""
    staff_id = flow.staff(UNIT)
    flow.approved(UNIT, "2026-11-10", {"SEAT-02": "fail", "FAC-01": "fail", "CON-01": ("fail", staff_id)})
    flow.approved(OTHER_UNIT, "2026-11-11", {"SEAT-02": "fail"})
    return client.get("/api/v1/plans", headers=login("admin")).get_json()["items"][0]["id"]


def _count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(ConclusionNotice.id)))
        db.session.remove()
    return count


def _issue(client, plan_id: int, unit_id: int, **fields):
    data = {"document_number": NUMBER, "document_date": "05/12/2026", "signer_name": "Phạm Thị Hòa",
            "signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", **fields}
    page = f"/console/notices/plans/{plan_id}"
    return post_form(client, page, f"{page}/units/{unit_id}", data)


def _opens(response, kind: str) -> bytes:
    assert response.status_code == 200, response.text[:300]
    if kind == "pdf":
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    else:
        assert response.mimetype == DOCX
        document = docx.Document(io.BytesIO(response.data))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells).encode()
    return response.data


def test_plans_units_drafts_and_issuing(app, client, demo, plan_id, login):
    sign_in(client, "leader1")
    home = client.get("/console/notices")
    assert home.status_code == 200 and 'aria-current="page">Thông báo kết luận' in home.text
    assert f'href="/console/notices/plans/{plan_id}"' in home.text
    page = client.get(f"/console/notices/plans/{plan_id}")
    assert page.status_code == 200
    html = page.text
    assert f'id="unit-{demo.units[UNIT]}"' in html
    assert f'id="unit-{demo.units[OTHER_UNIT]}"' in html and html.count("Chưa ban hành") == 2
    # The drafts, marked DỰ THẢO and without a number.
    base = f"/console/notices/plans/{plan_id}/units/{demo.units[UNIT]}"
    _opens(client.get(f"{base}/draft.pdf"), "pdf")
    text = _opens(client.get(f"{base}/draft.docx"), "docx").decode()
    assert "DỰ THẢO" in text and NUMBER not in text
    assert client.get(f"{base}/draft.odt").status_code == 404

    response = _issue(client, plan_id, demo.units[UNIT])
    assert response.status_code == 303, response.text[:800]
    page = client.get(response.headers["Location"])
    assert f"Đã ban hành Thông báo số {NUMBER}" in page.text and page.text.count("Chưa ban hành") == 1
    # The API sees the notice the console issued, with the title typed.
    items = client.get(f"/api/v1/plans/{plan_id}/notices", headers=login("leader1")).get_json()["items"]
    assert [(n["org_unit_id"], n["document_number"], n["document_date"], n["signer_name"], n["signer_title"])
            for n in items] == [(demo.units[UNIT], NUMBER, "2026-12-05", "Phạm Thị Hòa",
                                 "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC")]
    notice_id = items[0]["id"]
    assert f"/console/notices/plans/{plan_id}/{notice_id}.pdf" in page.text
    _opens(client.get(f"/console/notices/plans/{plan_id}/{notice_id}.pdf"), "pdf")
    text = _opens(client.get(f"/console/notices/plans/{plan_id}/{notice_id}.docx"), "docx").decode()
    assert NUMBER in text and "DỰ THẢO" not in text
    # The bytes are the API's.
    api = client.get(f"/api/v1/plans/{plan_id}/notices/{notice_id}/export?format=docx", headers=login("leader1"))
    assert _opens(api, "docx").decode() == text


def test_bad_input_keeps_what_was_typed_and_writes_nothing(app, client, demo, plan_id):
    sign_in(client, "reviewer1")
    unit_id = demo.units[UNIT]
    r = _issue(client, plan_id, unit_id, signer_name="  ", document_number="99/TB-SNV", document_date="31/02/2026",
               signer_title="GIÁM ĐỐC")
    assert r.status_code == 422
    assert "Hãy nhập họ tên người ký." in r.text and "Không có ngày 31/02/2026 trên lịch." in r.text
    assert 'value="99/TB-SNV"' in r.text and 'value="31/02/2026"' in r.text and ">GIÁM ĐỐC</textarea>" in r.text
    assert f'aria-invalid="true" aria-describedby="u{unit_id}-signer_name-error"' in r.text
    assert _count(app) == 0
    # A number already used by this issuing body: 409, shown beside the number.
    assert _issue(client, plan_id, unit_id).status_code == 303
    r = _issue(client, plan_id, demo.units[OTHER_UNIT], signer_name="Lê Văn Bình")
    assert r.status_code == 409
    assert f"Số văn bản {NUMBER} đã được dùng cho một thông báo khác." in r.text
    assert 'value="Lê Văn Bình"' in r.text and f'id="u{demo.units[OTHER_UNIT]}-document_number-error"' in r.text
    # The same unit again (a second tab): 409 with the reason.
    r = _issue(client, plan_id, unit_id, document_number="16/TB-SNV")
    assert r.status_code == 409 and "Đã có Thông báo số 15/TB-SNV gửi" in r.text
    # A unit in scope without an approved visit: 409 with the reason on the page.
    r = _issue(client, plan_id, demo.units[THIRD_UNIT], document_number="17/TB-SNV")
    assert r.status_code == 409 and "chưa có buổi kiểm tra nào được duyệt" in r.text
    assert _count(app) == 1


def test_csrf_is_required(app, client, demo, plan_id):
    sign_in(client, "reviewer1")
    r = client.post(f"/console/notices/plans/{plan_id}/units/{demo.units[UNIT]}", data={
        "document_number": NUMBER, "document_date": "05/12/2026", "signer_name": "Phạm Thị Hòa"})
    assert r.status_code == 400 and "CSRF" in r.text
    assert _count(app) == 0


def test_scope_another_subtree_inspector_and_unit_officer(app, client, demo, flow, plan_id):
    sign_in(client, "reviewer1")
    assert _issue(client, plan_id, demo.units[UNIT]).status_code == 303
    assert _issue(client, plan_id, demo.units[OTHER_UNIT], document_number="16/TB-SNV").status_code == 303
    with app.app_context():
        ours, other = (db.session.scalar(select(ConclusionNotice.id).where(
            ConclusionNotice.org_unit_id == demo.units[code])) for code in (UNIT, OTHER_UNIT))
        db.session.remove()
    client.post("/console/sign-out", data={"csrf_token": csrf_token(client.get("/console/notices").text)})

    # A reviewer of Hà Giang 1: the province's plan is read only; Tân Trào is not theirs.
    flow.create_user("thamdinh.hagiang", "reviewer", OTHER_UNIT)
    sign_in(client, "thamdinh.hagiang", DEMO_PASSWORD + "-thamdinh.hagiang")
    page = client.get(f"/console/notices/plans/{plan_id}")
    assert page.status_code == 200 and f'id="unit-{demo.units[UNIT]}"' not in page.text
    assert "Ban hành thông báo" not in page.text and "16/TB-SNV" in page.text
    for path in (f"/console/notices/plans/{plan_id}/{ours}.pdf",
                 f"/console/notices/plans/{plan_id}/units/{demo.units[UNIT]}/draft.pdf"):
        r = client.get(path)
        assert r.status_code == 404 and "<html lang=\"vi\">" in r.text, path
    assert client.get("/console/notices/plans/999999").status_code == 404
    client.post("/console/sign-out", data={"csrf_token": csrf_token(page.text)})

    sign_in(client, "inspector1")
    r = client.get("/console/notices")
    assert r.status_code == 403 and "Không có quyền truy cập" in r.text
    assert client.get(f"/console/notices/plans/{plan_id}").status_code == 403
    client.post("/console/sign-out", data={"csrf_token": csrf_token(r.text)})

    # Tân Trào's officer: its own notice and its files; Hà Giang 1's is a 404.
    flow.create_user(OFFICER, "unit_officer", UNIT)
    sign_in(client, OFFICER, DEMO_PASSWORD + "-" + OFFICER)
    page = client.get("/console/notices")
    assert page.status_code == 200 and NUMBER in page.text and "16/TB-SNV" not in page.text
    _opens(client.get(f"/console/notices/plans/{plan_id}/{ours}.pdf"), "pdf")
    _opens(client.get(f"/console/notices/plans/{plan_id}/{ours}.docx"), "docx")
    assert client.get(f"/console/notices/plans/{plan_id}/{other}.pdf").status_code == 404
    assert client.get(f"/console/notices/plans/{plan_id}").status_code == 403
    assert client.get(f"/console/notices/plans/{plan_id}/units/{demo.units[UNIT]}/draft.pdf").status_code == 403
