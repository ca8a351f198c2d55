"""A computed list is kept for the state of the data it was computed from
(reports/list_cache.py): asked again with nothing committed since, it is not computed
again; after any write (a review, an edit of a unit's name, a rebuild of the kept scores)
it is. Every transaction that writes through the ORM takes the change clock, audited or
not, as does every INSERT, UPDATE or DELETE sent through the session; one that writes
nothing does not."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update

from inspect_api.auth.models import User
from inspect_api.db import claim_change_seq, committed_change_seq, db
from inspect_api.reports.kept_scores import recompute_all
from inspect_api.reports.list_cache import KeptLists, kept_lists
from inspect_api.reports.list_rules import ListSettings
from inspect_api.reports.lists import compute_list
from inspect_api.reports.models import ProposedForm
from inspect_api.reports.scores import resolve_scope
from tests.api.review_support import Q4, Flow
from tests.conftest import database_url, statements_of


only_on_postgresql = pytest.mark.skipif(
    not database_url().startswith("postgresql"),
    reason="SQLite's BEGIN IMMEDIATE holds the database for the whole request: no commit can come between its reads")


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def criticised_units(listing: dict) -> dict[int, dict]:
    return {e["org_unit_id"]: e for e in listing["entries"] if e["entry_type"] == "unit"}


def list_statements(app, flow: Flow, kind: str = "criticism") -> tuple[int, dict]:
    headers = flow.login("leader1")
    count, response = statements_of(app, flow.client.get, "/api/v1/reports/lists", headers=headers,
                                    query_string={**Q4, "kind": kind})
    assert response.status_code == 200, response.get_json()
    return count, response.get_json()


def clock(app) -> int:
    with app.app_context():
        value = committed_change_seq(db.session)
        db.session.remove()
    return value


def test_a_list_asked_again_is_not_computed_again_until_a_write_commits(app, flow):
    minh_xuan, my_lam = flow.demo.units["TQ-MINHXUAN"], flow.demo.units["TQ-MYLAM"]
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    computed, first = list_statements(app, flow)
    kept, again = list_statements(app, flow)
    assert again == first and set(criticised_units(first)) == {minh_xuan}
    # The token's door and the clock's value: none of the list's own reads.
    assert kept <= 3 < computed, (kept, computed)

    # An edit of the unit's name commits: the list shows the new name at once.
    admin = flow.login("admin")
    r = flow.client.patch(f"/api/v1/org-units/{minh_xuan}", headers=admin, json={"name": "Phường Minh Xuân Mới"})
    assert r.status_code == 200, r.get_json()
    count, renamed = list_statements(app, flow)
    assert count == computed and criticised_units(renamed)[minh_xuan]["name"] == "Phường Minh Xuân Mới"

    # A review approves another failure: the next list has its unit.
    flow.approved("TQ-MYLAM", "2026-11-11", {"SEAT-02": "fail"})
    _, reviewed = list_statements(app, flow)
    assert set(criticised_units(reviewed)) == {minh_xuan, my_lam}

    # The other list and other periods are kept apart.
    _, commendation = list_statements(app, flow, "commendation")
    assert commendation["kind"] == "commendation"
    assert set(criticised_units(list_statements(app, flow)[1])) == {minh_xuan, my_lam}


def test_every_orm_write_moves_the_clock_and_a_read_does_not(app, demo):
    """A proposed form is neither synced nor audited when written this way: only the
    flush's own claim moves the clock."""
    before = clock(app)
    with app.app_context():
        form = db.session.scalar(select(ProposedForm).order_by(ProposedForm.id).limit(1))
        form.name = form.name  # set, not changed: nothing to write
        db.session.commit()
        db.session.remove()
    assert clock(app) == before
    with app.app_context():
        form = db.session.scalar(select(ProposedForm).order_by(ProposedForm.id).limit(1))
        form.name += " (sửa)"
        form_id = form.id
        db.session.commit()
        db.session.remove()
    assert clock(app) == before + 1
    with app.app_context():  # an UPDATE statement sent through the session, as a repair would
        db.session.execute(update(ProposedForm).where(ProposedForm.id == form_id).values(rank=ProposedForm.rank))
        db.session.commit()
        db.session.remove()
    assert clock(app) == before + 2


def test_a_claim_undone_with_its_savepoint_is_taken_again(app, demo):
    """A write inside a savepoint that is rolled back undoes the clock's increment with
    it: the transaction's next write must claim a number again, or it would commit
    without moving the clock (a kept list served stale, and the number handed to the next
    writer too, so two transactions' sync stamps would share it)."""
    before = clock(app)
    with app.app_context():
        form = db.session.scalar(select(ProposedForm).order_by(ProposedForm.id).limit(1))
        savepoint = db.session.begin_nested()
        form.name += " (thử)"
        db.session.flush()
        savepoint.rollback()
        outer = db.session.begin_nested()  # a savepoint released into the transaction keeps its claim
        form.name += " (sửa)"
        db.session.flush()
        outer.commit()
        db.session.commit()
        db.session.remove()
    assert clock(app) == before + 1


def test_a_claim_through_the_scoped_session_is_undone_with_its_savepoint(app, demo):
    """The audit trail claims through db.session itself, not a flush."""
    before = clock(app)
    with app.app_context():
        savepoint = db.session.begin_nested()
        claimed = claim_change_seq(db.session)
        savepoint.rollback()
        assert claim_change_seq(db.session) == claimed  # taken again: the first was undone
        db.session.commit()
        db.session.remove()
    assert clock(app) == before + 1


def test_rebuilding_the_kept_scores_moves_the_clock(app, flow):
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    before = clock(app)
    with app.app_context():
        recompute_all()
        db.session.remove()
    assert clock(app) == before + 1


def test_a_list_computed_for_one_app_is_not_another_apps(app, flow):
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    list_statements(app, flow)
    with app.app_context():
        assert len(kept_lists()) == 1
    other = type(app)("other")
    with other.app_context():
        assert len(kept_lists()) == 0


def test_kept_lists_keep_the_latest_few():
    lists = KeptLists(size=2)
    lists.put("a", [1])
    lists.put("b", [2])
    assert lists.get("a") == [1]  # now the latest used
    lists.put("c", [3])
    assert lists.get("b") is None and lists.get("a") == [1] and lists.get("c") == [3]
    lists.clear()
    assert len(lists) == 0 and lists.get("a") is None


def test_a_transaction_that_has_written_keeps_no_list(app, flow):
    """Its reads include its own uncommitted rows and the clock's value it sees is its
    own: kept under it, the list would be served after a rollback, for other data."""
    from inspect_api.reports.list_rules import ListSettings
    from inspect_api.reports.lists import compute_list
    from inspect_api.reports.scores import resolve_scope

    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    with app.test_request_context():
        leader = db.session.get(User, flow.demo.users["leader1"])
        scope = resolve_scope(leader, dt.date(2026, 10, 1), dt.date(2026, 12, 31), None)
        form = db.session.scalar(select(ProposedForm).order_by(ProposedForm.id).limit(1))
        form.name += " (chưa lưu)"
        db.session.flush()  # takes the clock
        entries = compute_list("criticism", scope, ListSettings.from_config(app.config))
        assert entries and len(kept_lists()) == 0
        db.session.rollback()
        assert compute_list("criticism", scope, ListSettings.from_config(app.config)) and len(kept_lists()) == 1
        db.session.remove()


@only_on_postgresql
def test_a_kept_list_reads_nothing_older_than_its_clock(app, client, demo, flow, login):
    """A request holds what it read before the list reads the clock (the token's user,
    the scope's unit). On PostgreSQL another request can commit in between: here an admin
    moves the unit. Computed from the unit as first read, the list would be empty and
    kept under the clock value that includes the move, for everyone until the next
    commit."""
    minh_xuan = demo.units["TQ-MINHXUAN"]
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    leader, admin = login("leader1"), login("admin")
    query = {**Q4, "kind": "criticism", "org_unit_id": minh_xuan}
    assert set(criticised_units(client.get("/api/v1/reports/lists", headers=leader,
                                           query_string=query).get_json())) == {minh_xuan}

    with app.test_request_context():
        actor = db.session.get(User, demo.users["leader1"])
        scope = resolve_scope(actor, dt.date(2026, 10, 1), dt.date(2026, 12, 31), minh_xuan)
        assert scope.org_unit.path  # loaded, as the request's own checks load it
        moved = []
        other_request = threading.Thread(target=lambda: moved.append(client.patch(
            f"/api/v1/org-units/{minh_xuan}", headers=admin, json={"parent_id": demo.units["TQ-MYLAM"]})))
        other_request.start()
        other_request.join()
        assert moved[0].status_code == 200, moved[0].get_json()
        entries = compute_list("criticism", scope, ListSettings.from_config(app.config))
        assert {e.org_unit_id for e in entries if e.entry_type == "unit"} == {minh_xuan}
        db.session.rollback()

    kept = client.get("/api/v1/reports/lists", headers=leader, query_string=query).get_json()
    assert set(criticised_units(kept)) == {minh_xuan}


@only_on_postgresql
@pytest.mark.parametrize("review_commits", ["before the reads ahead", "between the two connections' reads"])
def test_a_list_is_read_in_one_state_of_the_data(app, client, demo, flow, login, monkeypatch, review_commits):
    """A list reads on two connections (db.ReadAhead): the failures ahead, the unit
    scores on the request's own. A review committed after the list began, before the
    failures are read or between them and the scores, must not give a list that is
    neither the one before it nor the one after (a unit scored with the new visit but
    criticised without its failure, or the reverse): a leader may freeze and sign it."""
    from inspect_api.reports import lists

    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    second = flow.visit("TQ-MINHXUAN", "2026-11-12", {"SEAT-02": "fail", "SEAT-03": "fail"})
    leader = login("leader1")

    def listing() -> list[dict]:
        response = client.get("/api/v1/reports/lists", headers=leader, query_string={**Q4, "kind": "criticism"})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["entries"]

    def review() -> None:  # another request, committed while the list is read
        other = threading.Thread(target=flow.review, args=(second.id,))
        other.start()
        other.join()

    before = listing()
    reads_made: list[lists.ReadAhead] = []

    class RecordedReadAhead(lists.ReadAhead):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            reads_made.append(self)

    reads_ahead, unit_scores = lists._reads_ahead, lists._unit_scores

    def review_then_reads_ahead(*args):
        review()
        return reads_ahead(*args)

    def failures_review_then_scores(scope):
        reads_made[-1].rows("failures")
        review()
        return unit_scores(scope)

    monkeypatch.setattr(lists, "ReadAhead", RecordedReadAhead)
    if review_commits == "before the reads ahead":
        monkeypatch.setattr(lists, "_reads_ahead", review_then_reads_ahead)
    else:
        monkeypatch.setattr(lists, "_unit_scores", failures_review_then_scores)
    with app.app_context():
        kept_lists().clear()
    during = listing()
    monkeypatch.undo()
    after = listing()
    assert before != after
    assert during in (before, after)
