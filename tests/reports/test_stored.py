"""Stored quarterly returns: served figures are the live computation's after every kind of change, on both
databases; which returns each process marks dirty; a change racing a recompute leaves it dirty; the
scheduler's refresh; the optional lag."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.access.permissions import Actor
from service.cases import instances, retention, slas
from service.cases.reports import quarterly, refresh, stored, touches
from service.cases.reports.suppression import suppress
from service.scheduler.enforcer import DeadlineScheduler
from service.store import stored_returns
from service.store.models import Sla, Task
from tests.reports.conftest import NORTH, t
from tests.reports.quarter import build

SLAS = ("default", "north", "south")
QUARTERS = ("2026Q1", "2026Q2")
MANAGER = Actor("manager1", "manager")


def live(session, sla_key: str, quarter: str, role: str, stories: int = 50) -> dict:
    """The return as it was computed before there were stored ones: compute_return, suppressed on read."""
    sla = session.get(Sla, sla_key)
    report, sizes = quarterly.compute_return(session, sla, quarter, stories=stories)
    return suppress(report, sizes) if role == "commissioner" else report


def figures(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("as_of", "stale")}


def assert_exact(cw) -> None:
    """Every SLA and quarter, for a manager and a commissioner: the served return is the live one; the
    read after it is served from the store (clean), the same."""
    s = cw.s
    for sla_key in SLAS:
        for quarter in QUARTERS:
            for user, role in (("manager1", "manager"), ("commissioner1", "commissioner")):
                url = f"/reports/quarterly?sla={sla_key}&quarter={quarter}&stories=7"
                served = s.get(url, user).get_json()
                expected = cw.db.read(live, sla_key, quarter, role, 7)
                assert figures(served) == expected, (sla_key, quarter, user)
                assert "stale" not in served
            state = cw.db.read(stored_returns.row, sla_key, quarter)
            assert state is not None and state.computed_generation == state.generation, (sla_key, quarter)
            again = s.get(f"/reports/quarterly?sla={sla_key}&quarter={quarter}&stories=7", "manager1")
            assert again.get_json()["as_of"] == state.computed_at.isoformat()  # served as stored


def total(cw, sla_key: str = "north", quarter: str = "2026Q1") -> int:
    return cw.s.get(f"/reports/quarterly?sla={sla_key}&quarter={quarter}", "manager1").get_json()[
        "referrals"
    ]["total"]


def test_stored_is_live_after_every_kind_of_change(casework):
    cw = casework
    ids = build(cw)
    assert_exact(cw)
    before = total(cw)

    # start
    r6 = cw.start("2026-02-16T09:00:00+00:00", "health", "imha")
    assert total(cw) == before + 1
    assert_exact(cw)
    # complete a task (eligibility), then allocation
    cw.complete(
        r6,
        "assess_eligibility",
        {"advocacy_type": "imha", "mha_status": "detained"},
        "2026-02-16T10:00:00+00:00",
    )
    assert_exact(cw)
    # fire a deadline: first contact missed, an escalation starts
    cw.complete(
        r6,
        "allocate_advocate",
        {"advocate": "advocate1", "instruction": "instructed"},
        "2026-02-16T11:00:00+00:00",
    )
    cw.fire(r6, "first_contact_sla", "2026-02-18T09:00:01+00:00")
    assert_exact(cw)
    # the escalation moves on (its own step, counted for its referral's return)
    e = cw.escalation(r6, "first_contact")
    cw.complete(
        e, "manager_review", {"cause": "illness", "remedial_action": "cover"}, "2026-02-18T10:00:00+00:00"
    )
    assert_exact(cw)
    # cancel
    cw.db.run(
        instances.cancel_instance,
        MANAGER,
        ids["r4"],
        "duplicate",
        t("2026-04-01T09:00:00+00:00"),
        reason_code="duplicate",
    )
    assert_exact(cw)

    # a complaint naming a referral of north
    def complaint(session):
        referral = instances.start_instance(
            session,
            MANAGER,
            "referral_casework",
            {
                "person_ref": "P-C0001",
                "referral_source": "self",
                "advocacy_type": "imha",
                "urgency": "standard",
                "received_at": "2026-03-02T09:00:00+00:00",
                "sla_key": "north",
            },
            business_key="CASE-77",
            now=t("2026-03-02T09:00:00+00:00"),
        )
        instances.start_instance(
            session,
            MANAGER,
            "complaint",
            {
                "complainant_type": "person",
                "complaint_about": "delay",
                "received_at": "2026-03-03T09:00:00+00:00",
                "case_ref": "CASE-77",
            },
            now=t("2026-03-03T09:00:00+00:00"),
        )
        return referral.id

    cw.db.run(complaint)
    assert_exact(cw)
    # an SLA changed: every one of its returns goes dirty
    cw.db.run(slas.save_sla, "north", {**NORTH, "breach_threshold": 3}, create=False)
    for quarter in QUARTERS:
        state = cw.db.read(stored_returns.row, "north", quarter)
        assert state.computed_generation != state.generation, quarter
    assert_exact(cw)
    # erasure: finished cases past retention are removed
    removed = cw.db.run(retention.cleanup, datetime.now(UTC) + timedelta(days=1), 0)
    assert removed and removed["data"]["count"] > 0
    assert total(cw) < before + 2
    assert_exact(cw)


def _marks(cw, work) -> set[tuple[str, str]]:
    """The stored returns ``work(session)`` marks dirty (read before its commit)."""
    found: set = set()

    def run(session):
        work(session)
        found.update(stored_returns.pending_marks(session))

    cw.db.run(run)
    return found


def test_which_returns_each_process_marks(casework):
    cw = casework
    north_q1 = ("north", "2026Q1")
    referral = {
        "person_ref": "P-1",
        "referral_source": "self",
        "advocacy_type": "imha",
        "urgency": "standard",
    }

    def start(process, variables, business_key=None):
        return lambda s: instances.start_instance(
            s, MANAGER, process, variables, business_key=business_key, now=t("2026-02-02T09:00:00+00:00")
        )

    # a referral: its SLA, else the default; the quarter of received_at (London days)
    assert _marks(
        cw,
        start(
            "referral_casework", {**referral, "sla_key": "north", "received_at": "2026-02-02T09:00:00+00:00"}
        ),
    ) == {north_q1}
    assert _marks(
        cw, start("referral_casework", {**referral, "received_at": "2026-02-02T09:00:00+00:00"})
    ) == {("default", "2026Q1")}
    assert touches.quarter_of("2026-03-31T22:59:59+00:00") == "2026Q1"
    assert touches.quarter_of("2026-03-31T23:00:00+00:00") == "2026Q2"  # 1 April, 00:00 BST
    assert touches.quarter_of("2025-12-31T23:59:59+00:00") == "2025Q4"
    assert touches.quarter_of("not a date") is None and touches.quarter_of(None) is None
    assert touches.quarter_of("2026-02-3x") == "2026Q1"  # not a date, but the cohort's text bounds take it

    # a referral's steps (complete, fire) mark its return; sla_key or received_at changed: old and new
    rid = cw.start("2026-02-02T09:00:00+00:00", "self", "imha")
    task = cw.db.read(
        lambda s: s.scalars(select(Task.id).where(Task.instance_id == rid, Task.status == "open")).first()
    )
    data = {"advocacy_type": "imha", "mha_status": "detained"}
    assert _marks(
        cw, lambda s: instances.complete_task(s, MANAGER, task, data, now=t("2026-02-02T10:00:00+00:00"))
    ) == {north_q1}
    with cw.db.sessions() as session:
        before = {**referral, "sla_key": "north", "received_at": "2026-03-31T12:00:00+00:00"}
        after = {**referral, "sla_key": "south", "received_at": "2026-04-02T12:00:00+00:00"}
        assert touches.mark_instance(session, "referral_casework", before, after) == {
            ("north", "2026Q1"),
            ("south", "2026Q2"),
        }
        session.rollback()

    # an escalation: its source referral's return
    escalation = {"sla_key": "north", "milestone": "first_contact", "source_instance_id": rid}
    with cw.db.sessions() as session:
        assert touches.returns_touched(session, "sla_escalation", escalation) == {north_q1}
        assert (
            touches.returns_touched(session, "sla_escalation", {**escalation, "source_instance_id": "gone"})
            == set()
        )

    # a complaint: the SLA of the referral its case_ref names, else the default; its own quarter
    cw.db.run(
        start(
            "referral_casework",
            {**referral, "sla_key": "south", "received_at": "2026-01-05T09:00:00+00:00"},
            "CASE-9",
        )
    )
    complaint = {
        "complainant_type": "person",
        "complaint_about": "delay",
        "received_at": "2026-04-07T09:00:00+00:00",
    }
    assert ("south", "2026Q2") in _marks(cw, start("complaint", {**complaint, "case_ref": "CASE-9"}))
    assert _marks(cw, start("complaint", complaint)) == {("default", "2026Q2")}

    # claim (no figure moves, marked all the same), cancel: the case's return
    allocation = cw.db.read(
        lambda s: s.scalars(select(Task.id).where(Task.instance_id == rid, Task.status == "open")).first()
    )
    assert _marks(cw, lambda s: instances.claim_task(s, MANAGER, allocation)) == {north_q1}
    assert _marks(cw, lambda s: instances.cancel_instance(s, MANAGER, rid, "x", reason_code="duplicate")) == {
        north_q1
    }

    # an SLA saved: all of its stored returns, in the same transaction
    cw.s.get("/reports/quarterly?sla=south&quarter=2026Q1", "manager1")
    cw.db.run(slas.save_sla, "south", NORTH, create=False)
    state = cw.db.read(stored_returns.row, "south", "2026Q1")
    assert state.computed_generation != state.generation

    # erasure: what the removed cases counted in
    def erase(session):
        retention.cleanup(session, datetime.now(UTC) + timedelta(days=1), 0)

    assert north_q1 in _marks(cw, erase)

    # a step that fails leaves no mark
    def failing(session):
        start(
            "referral_casework", {**referral, "sla_key": "north", "received_at": "2026-02-09T09:00:00+00:00"}
        )(session)
        raise RuntimeError("rolled back")

    generation = cw.db.read(stored_returns.row, "north", "2026Q1").generation
    with pytest.raises(RuntimeError):
        cw.db.run(failing)
    assert cw.db.read(stored_returns.row, "north", "2026Q1").generation == generation


def test_a_change_during_a_recompute_leaves_it_dirty(casework, database_url):
    cw = casework
    build(cw)
    assert total(cw) == 25  # computed and stored
    north = lambda s: s.get(Sla, "north")  # noqa: E731

    # In order: the generation read, then a change committed, then the save: nothing is kept.
    generation = cw.db.read(stored_returns.row, "north", "2026Q1").generation
    cw.start("2026-02-10T09:00:00+00:00", "self", "imha")
    kept = cw.db.read(
        lambda s: stored_returns.save(s, "north", "2026Q1", generation - 1, {"x": 1}, {}, datetime.now(UTC))
    )
    assert kept is False
    state = cw.db.read(stored_returns.row, "north", "2026Q1")
    assert state.generation != state.computed_generation and state.report != {"x": 1}
    assert total(cw) == 26

    if database_url.startswith("sqlite"):
        return  # SQLite: a write transaction excludes every other writer, so no change can come in meanwhile
    # PostgreSQL: a referral committed by another transaction while the recompute runs.
    cw.start("2026-02-11T09:00:00+00:00", "self", "imha")  # dirty again

    def racing(session, sla, quarter):
        result = quarterly.compute_for_storage(session, sla, quarter)
        worker = threading.Thread(target=cw.start, args=("2026-02-12T09:00:00+00:00", "self", "imha"))
        worker.start()
        worker.join()
        return result

    def recompute(session):
        return stored.refresh(session, north(session), "2026Q1", racing)

    done = cw.db.read(recompute)
    assert done is not None and done.report["referrals"]["total"] == 27  # what it saw
    state = cw.db.read(stored_returns.row, "north", "2026Q1")
    assert state.generation != state.computed_generation, "the change during the recompute was lost"
    assert total(cw) == 28  # the next read computes afresh


def test_the_scheduler_refreshes_dirty_returns(casework, monkeypatch):
    cw = casework
    build(cw)
    enforcer = DeadlineScheduler(cw.db)
    # Every return a step marked is computed, read or not (2025Q4 and 2026Q2 hold a referral each).
    assert set(cw.db.peek(refresh.dirty_returns)) >= {
        ("north", "2026Q1"),
        ("north", "2025Q4"),
        ("north", "2026Q2"),
    }
    assert enforcer.refresh_reports() >= 3
    assert cw.db.peek(refresh.dirty_returns) == []
    assert enforcer.refresh_reports() == 0
    cw.start("2026-02-10T09:00:00+00:00", "self", "imha")
    cw.start("2026-02-10T09:00:00+00:00", "self", "imha", sla=None)
    assert set(cw.db.peek(refresh.dirty_returns)) >= {("north", "2026Q1"), ("default", "2026Q1")}
    assert enforcer.refresh_reports() >= 2
    assert cw.db.peek(refresh.dirty_returns) == []
    state = cw.db.read(stored_returns.row, "north", "2026Q1")
    assert state.report["referrals"]["total"] == 26
    assert figures(
        cw.s.get("/reports/quarterly?sla=north&quarter=2026Q1", "manager1").get_json()
    ) == cw.db.read(live, "north", "2026Q1", "manager")
    # An SLA that is gone takes its stored returns with it.
    cw.db.run(lambda s: stored_returns.mark(s, [("gone", "2026Q1")]))
    assert ("gone", "2026Q1") in cw.db.peek(refresh.dirty_returns)
    enforcer.refresh_reports()
    assert cw.db.read(stored_returns.row, "gone", "2026Q1") is None

    # The job is on the scheduler at ADVOCACY_FLOW_REPORT_REFRESH seconds; 0 turns it off.
    monkeypatch.setenv("ADVOCACY_FLOW_REPORT_REFRESH", "3600")
    enforcer.start()
    try:
        job = enforcer.scheduler.get_job("reports")
        assert job is not None and job.trigger.interval == timedelta(seconds=3600)
    finally:
        enforcer.shutdown()
    monkeypatch.setenv("ADVOCACY_FLOW_REPORT_REFRESH", "0")
    quiet = DeadlineScheduler(cw.db)
    quiet.start()
    try:
        assert quiet.scheduler.get_job("reports") is None
    finally:
        quiet.shutdown()


def test_max_lag_serves_a_young_dirty_return_as_stale(casework, monkeypatch):
    cw = casework
    build(cw)
    first = cw.s.get("/reports/quarterly?sla=north&quarter=2026Q1", "commissioner1").get_json()
    cw.start("2026-02-10T09:00:00+00:00", "self", "imha")
    monkeypatch.setenv("ADVOCACY_FLOW_REPORT_MAX_LAG", "600")
    lagging = cw.s.get("/reports/quarterly?sla=north&quarter=2026Q1", "commissioner1").get_json()
    assert lagging["stale"] is True and lagging["as_of"] == first["as_of"]
    assert figures(lagging) == figures(first)
    # Older than the lag: computed afresh.
    with cw.db.sessions() as session:
        assert stored.read(
            session,
            session.get(Sla, "north"),
            "2026Q1",
            quarterly.compute_for_storage,
            now=datetime.now(UTC) + timedelta(seconds=601),
        ).computed
        session.rollback()
    monkeypatch.setenv("ADVOCACY_FLOW_REPORT_MAX_LAG", "0")
    exact = cw.s.get("/reports/quarterly?sla=north&quarter=2026Q1", "commissioner1").get_json()
    assert "stale" not in exact and exact["as_of"] > first["as_of"]
    assert figures(exact) == cw.db.read(live, "north", "2026Q1", "commissioner")


def test_as_of_in_json_and_csv_and_the_stored_copy_keeps_500_stories(casework):
    cw = casework
    build(cw)
    body = cw.s.get("/reports/quarterly?sla=north&quarter=2026Q1&stories=1", "manager1").get_json()
    assert datetime.fromisoformat(body["as_of"]).tzinfo is not None and len(body["stories"]) == 1
    state = cw.db.read(stored_returns.row, "north", "2026Q1")
    assert len(state.report["stories"]) == 3  # all of them (up to 500), whatever was asked
    csv_text = cw.s.get("/reports/quarterly?sla=north&quarter=2026Q1&format=csv", "manager1").get_data(
        as_text=True
    )
    assert f"as_of,{body['as_of']}" in csv_text


def test_concurrent_steps_each_mark_once_and_none_waits_forever(casework):
    cw = casework
    cw.s.get("/reports/quarterly?sla=north&quarter=2026Q1", "manager1")  # stored, clean
    generation = cw.db.read(stored_returns.row, "north", "2026Q1").generation
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(3):
                cw.start(f"2026-02-{2 + i:02d}T09:{j:02d}:00+00:00", "self", "imha")
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    state = cw.db.read(stored_returns.row, "north", "2026Q1")
    assert state.generation == generation + 18 and state.computed_generation != state.generation
    assert total(cw) == 18
