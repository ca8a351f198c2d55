"""A list is computed, dumped and encoded with the cyclic collector paused
(serving.answered_without_cycle_collection), and the collector runs again afterwards,
whether the answer was a list, a frozen list, a console page or a refusal."""

from __future__ import annotations

import gc

import pytest

from inspect_api.reports import schemas, service
from inspect_api.serving import cycle_collection_paused
from tests.api.review_support import Flow
from tests.console.support import sign_in

PERIOD = {"from": "2026-07-01", "to": "2026-09-30"}


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


@pytest.fixture
def collector_seen(monkeypatch):
    """Whether the collector was on, each time a list was computed or dumped (the real
    functions run; this only looks)."""
    seen: list[tuple[str, bool]] = []

    def looking(name, real):
        def call(*args, **kwargs):
            seen.append((name, gc.isenabled()))
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(service, "compute_list", looking("compute", service.compute_list))
    for schema in (schemas.ComputedListSchema, schemas.FrozenListDetailSchema):
        monkeypatch.setattr(schema, "dump", looking("dump", schema.dump))
    assert gc.isenabled()
    return seen


def test_a_list_is_computed_and_dumped_without_cycle_collection(flow, collector_seen):
    flow.approved("TQ-MINHXUAN", "2026-08-10", {"SEAT-02": "fail"})
    r = flow.client.get("/api/v1/reports/lists", query_string={"kind": "criticism", **PERIOD},
                        headers=flow.login("leader1"))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["entries"]
    assert collector_seen == [("compute", False), ("dump", False)]
    assert gc.isenabled()


def test_freezing_a_list_too(flow, collector_seen):
    r = flow.client.post("/api/v1/reports/lists", headers=flow.login("leader1"), json={
        "kind": "commendation", **PERIOD, "signer_name": "Phạm Thị Hòa", "document_number": "12/TTr-SNV",
        "document_date": "2026-10-05"})
    assert r.status_code == 201, r.get_json()
    assert collector_seen == [("compute", False), ("dump", False)]
    assert gc.isenabled()


def test_the_console_list_page_too(flow, client, collector_seen):
    sign_in(client, "leader1")
    page = client.get("/console/lists", query_string={"kind": "criticism", **PERIOD})
    assert page.status_code == 200
    assert collector_seen == [("compute", False)]
    assert gc.isenabled()


def test_the_collector_runs_again_after_a_refusal(flow, collector_seen):
    r = flow.client.get("/api/v1/reports/lists", query_string={"kind": "praise", **PERIOD},
                        headers=flow.login("leader1"))
    assert r.status_code == 422
    assert gc.isenabled()
    r = flow.client.get("/api/v1/reports/lists", query_string={"kind": "criticism", **PERIOD,
                                                                "org_unit_id": 999_999},
                        headers=flow.login("leader1"))
    assert r.status_code == 404
    assert gc.isenabled()


def test_a_pause_nests_and_ends_with_an_error():
    with cycle_collection_paused():
        assert not gc.isenabled()
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the inner block ended the outer one's pause"
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), cycle_collection_paused():
        1 / 0  # noqa: B018 - an error inside the block
    assert gc.isenabled()
