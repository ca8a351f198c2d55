"""Links the app writes come from PUBLIC_BASE_URL, never from the request's Host, and a
Host outside TRUSTED_HOSTS is refused with 400 problem+json (issue 7, item 6).

The workbook is read back with openpyxl, and its raw XML is searched too: a host can hide
in a hyperlink target, a cell or a relationship part."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from tests.api.evidence_support import assert_problem
from tests.api.review_support import Q4, flow_with_settings
from tests.conftest import new_id
from tests.photos import phone_photo

PUBLIC = "https://giamsat.tuyenquang.gov.vn"
EVIL = "evil.example"


def _frozen_list_with_photos(flow) -> tuple[int, list[str]]:
    """An approved visit with two critical failures and their photos, frozen by the leader."""
    made = flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    frozen = flow.client.post("/api/v1/reports/lists", headers=flow.login("leader1"), json={
        "kind": "criticism", **Q4,
        "signer_name": "Phạm Thị Hòa", "document_number": "125/TTr-SNV", "document_date": "2026-12-20"})
    assert frozen.status_code == 201, frozen.get_json()
    return frozen.get_json()["id"], list(made.evidence.values())


def _links_and_texts(data: bytes) -> tuple[set[str], list[str]]:
    book = load_workbook(io.BytesIO(data))
    links, texts = set(), []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.hyperlink is not None and cell.hyperlink.target:
                    links.add(cell.hyperlink.target)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return links, texts


def _raw_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


# Without TRUSTED_HOSTS any host is served (Werkzeug treats a malformed one as none).
@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:443", "127.0.0.1:5000", "bad host<script>"])
def test_the_list_export_carries_no_host_whatever_the_request_says(demo, host):
    """The printed list names each photo by file and SHA-256 instead of linking to the
    bearer-token API (a signed page cannot open it): no host at all in the workbook."""
    with flow_with_settings(demo, PUBLIC_BASE_URL=PUBLIC) as flow:  # no TRUSTED_HOSTS: any host
        list_id, evidence_ids = _frozen_list_with_photos(flow)
        response = flow.client.get(f"/api/v1/reports/lists/{list_id}/export",
                                   headers={**flow.login("leader1"), "Host": host})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        links, texts = _links_and_texts(response.data)
        assert links == set()
        photos = " ".join(texts)
        assert evidence_ids and all(f"{evidence_id}.jpg (SHA-256: " in photos for evidence_id in evidence_ids)
        raw = _raw_xml(response.data)
        for absent in (EVIL, "127.0.0.1", "localhost", PUBLIC, "/api/v1/evidence"):
            assert absent not in raw, absent


def test_untrusted_hosts_are_refused_with_400_problem_json(demo):
    with flow_with_settings(demo, PUBLIC_BASE_URL=PUBLIC,
                            TRUSTED_HOSTS=["giamsat.tuyenquang.gov.vn", ".noi-vu.gov.vn", "localhost"]) as flow:
        list_id, _ = _frozen_list_with_photos(flow)
        leader = flow.login("leader1")
        export = f"/api/v1/reports/lists/{list_id}/export"
        for host in ("giamsat.tuyenquang.gov.vn", "giamsat.tuyenquang.gov.vn:8443", "cong.noi-vu.gov.vn",
                     "localhost"):
            response = flow.client.get(export, headers={**leader, "Host": host})
            assert response.status_code == 200, (host, response.get_data(as_text=True)[:300])

        inspector = flow.login("inspector1")
        team = flow.team("inspector1")
        refused = [
            flow.client.get(export, headers={**leader, "Host": EVIL}),
            flow.client.get(export, headers={**leader, "Host": f"{EVIL}:443"}),
            flow.client.get(export, headers={**leader, "Host": "giamsat.tuyenquang.gov.vn.evil.example"}),
            flow.client.get(export, headers={**leader, "Host": "noi-vu.gov.vn.evil.example"}),
            flow.client.get(export, headers={**leader, "Host": "bad host<script>"}),
            flow.client.get("/healthz", headers={"Host": EVIL}),
            flow.client.get("/api/v1/no-such-thing", headers={"Host": EVIL}),
            flow.client.post("/api/v1/auth/login", headers={"Host": EVIL},
                             json={"username": "leader1", "password": "wrong"}),
            flow.client.put(f"/api/v1/visits/{new_id()}", headers={**inspector, "Host": EVIL}, json={
                "desk_id": team["desk_ids"][0], "checklist_id": team["checklist_id"], "team_id": team["id"],
                "started_at": "2026-11-20T01:00:00+00:00"}),
        ]
        for response in refused:
            assert_problem(response, 400)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert EVIL not in response.get_data(as_text=True)  # nothing of the host is echoed

        # A photo sent under an untrusted host is not stored.
        visit = flow.visit("TQ-MINHXUAN", "2026-11-12", {}, submit=False)
        photo = phone_photo(320, 240)
        response = flow.client.put(f"/api/v1/visits/{visit.id}/evidence/{new_id()}",
                                   query_string={"finding_id": visit.findings["SEAT-02"]}, data=photo,
                                   headers={**inspector, "Host": EVIL, "Content-Type": "image/jpeg"})
        assert_problem(response, 400)
        detail = flow.client.get(f"/api/v1/visits/{visit.id}", headers=inspector).get_json()
        assert all(f["evidence"] == [] for f in detail["findings"])
