"""GET /process-definitions/{key}/heatmap: every figure against the instances' own histories.

Call-back requests are driven over HTTP through the real engine at a pinned clock (``Flow``), across
two versions of the process; the expected figures are taken here, independently, from each instance's
``GET /history``: per task its ``task_ready`` and its ``task_completed`` (or ``task_cancelled``),
paired by ``task_id``.  Every moment is a whole second, so the waits' medians and 90th percentiles are
multiples of a tenth of a second and compare exactly, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import insert, select

from service.base.config import ROOT
from service.store.models import HistoryEvent, ProcessDefinition, ProcessInstance
from tests.api.flow import T0, Flow
from tests.api.helpers import CALL_DATA, assert_problem

KEY = "example_callback"
URL = f"/process-definitions/{KEY}/heatmap"
PERIOD = {"from": "2026-01-05T10:00:00Z", "to": "2026-01-31"}  # 'to' a date: the whole of 31 January
CHASE = {"overdue_reason": "no answer", "chase_action": "calling_now"}
V2_NAME = "Call the person back (second version)"


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def rounded(value: Fraction) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percentile(values: list[Fraction], p: str) -> float | None:
    """Linear between the closest ranks (as PostgreSQL's percentile_cont), written out here."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * Fraction(p)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return rounded(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def expected(histories: list[list[dict]], start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Per activity: open now, completed in [start, end), the median and p90 of those waits (seconds)."""
    waits: dict[str, list[Fraction]] = {}
    waiting: dict[str, int] = {}
    for events in histories:
        ready: dict[str, dict] = {}
        for event in events:
            if event["type"] == "task_ready":
                ready[event["task_id"]] = event
            elif event["type"] in ("task_completed", "task_cancelled"):
                began = ready.pop(event["task_id"])
                done = moment(event["at"])
                if event["type"] == "task_completed" and start <= done < end:
                    seconds = Fraction((done - moment(began["at"])) // timedelta(microseconds=1), 10**6)
                    waits.setdefault(event["activity_id"], []).append(seconds)
        for event in ready.values():
            waiting[event["activity_id"]] = waiting.get(event["activity_id"], 0) + 1
    return {
        activity: {
            "waiting_now": waiting.get(activity, 0),
            "completed": len(waits.get(activity, [])),
            "median_wait_s": percentile(waits.get(activity, []), "0.5"),
            "p90_wait_s": percentile(waits.get(activity, []), "0.9"),
        }
        for activity in ("call_back", "chase_call_back")
    }


def second_version(tmp_path) -> list:
    """example_callback with one task renamed: a new version, the same activity ids."""
    source = (ROOT / "bpmn" / f"{KEY}.bpmn").read_text(encoding="utf-8")
    changed = source.replace('name="Call the person back"', f'name="{V2_NAME}"', 1)
    assert changed != source
    path = tmp_path / f"{KEY}.bpmn"
    path.write_text(changed, encoding="utf-8")
    return [path]


class Walk:
    """Eleven call-back requests over two versions; ``ids`` in start order."""

    def __init__(self, service, monkeypatch, tmp_path) -> None:
        self.s = service
        self.flow = f = Flow(service, monkeypatch, KEY)
        self.ids: list[str] = []

        def start(priority: str = "normal") -> str:
            f.now += timedelta(seconds=10)
            ref = f"REF-{len(self.ids)}"
            self.ids.append(f.start(KEY, {"caller_ref": ref, "priority": priority}, "manager1")["id"])
            return self.ids[-1]

        def call_back(index: int, after: timedelta) -> None:
            f.now = max(f.now, T0 + after)
            f.complete(self.ids[index], "call_back", CALL_DATA, "manager1")

        for _ in range(4):
            start()
        r = service.deploy(second_version(tmp_path))
        assert r.status_code == 201 and r.get_json()["version"] == 2, r.get_json()
        for _ in range(4):
            start()
        start("high")  # 8: its 4-hour target passes
        call_back(0, timedelta(seconds=65))  # before the period
        call_back(1, timedelta(hours=2, seconds=7))
        call_back(2, timedelta(hours=3, seconds=1))
        f.advance(T0 + timedelta(hours=5))  # 8's target: its chase opens
        call_back(3, timedelta(hours=5, seconds=13))
        call_back(4, timedelta(hours=6))
        call_back(5, timedelta(hours=6, seconds=1))
        call_back(6, timedelta(hours=6, seconds=3))
        f.now = T0 + timedelta(hours=7, seconds=11)
        f.complete(self.ids[8], "chase_call_back", CHASE, "manager1")
        f.advance(T0 + timedelta(hours=25))  # 7's target: its chase opens, and stays open
        cancelled = start()  # 9: cancelled, its call-back neither waiting nor completed
        f.now += timedelta(minutes=3)
        r = service.post(
            f"/process-instances/{cancelled}/cancel",
            "manager1",
            {"reason_code": "person_declined", "reason": "asked us not to call"},
        )
        assert r.status_code == 200, r.get_json()
        f.now = datetime(2026, 2, 2, 12, 0, tzinfo=UTC)
        start()  # 10: called back after the period
        f.now += timedelta(hours=1, seconds=1)
        f.complete(self.ids[10], "call_back", CALL_DATA, "manager1")
        f.now += timedelta(minutes=1)

    def histories(self) -> list[list[dict]]:
        return [self.flow.history(i) for i in self.ids]

    def heatmap(self, user: str = "auditor1", language: str | None = None, **query: str):
        headers = self.s.headers(user)
        if language:
            headers["Accept-Language"] = language
        return self.s.client.get(f"/api/v1{URL}", query_string=query, headers=headers)


@pytest.fixture
def walk(service, monkeypatch, tmp_path) -> Walk:
    return Walk(service, monkeypatch, tmp_path)


def figures(body: dict) -> dict[str, dict[str, Any]]:
    return {
        i["activity_id"]: {k: i[k] for k in ("waiting_now", "completed", "median_wait_s", "p90_wait_s")}
        for i in body["items"]
    }


@pytest.mark.parametrize("user", ["auditor1", "manager1"])
def test_every_figure_matches_the_history(walk, user):
    r = walk.heatmap(user, **PERIOD)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert set(body) == {"process", "from", "to", "items"}
    assert body["process"] == KEY
    start, end = moment(body["from"]), moment(body["to"])
    assert (start, end) == (datetime(2026, 1, 5, 10, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    assert [i["activity_id"] for i in body["items"]] == ["call_back", "chase_call_back"]
    for item in body["items"]:
        assert set(item) == {"activity_id", "name", "waiting_now", "completed", "median_wait_s", "p90_wait_s"}
    want = expected(walk.histories(), start, end)
    assert figures(body) == want
    # the walk reaches what it means to: both versions counted, every kind of figure non-trivial
    assert want["call_back"]["completed"] == 6 and want["call_back"]["waiting_now"] == 2
    assert want["chase_call_back"] == {
        "waiting_now": 1,
        "completed": 1,
        "median_wait_s": 3 * 3600 + 11 - 90.0,
        "p90_wait_s": 3 * 3600 + 11 - 90.0,
    }


def test_names_are_the_latest_versions_in_the_callers_language(walk):
    english = walk.heatmap(**PERIOD).get_json()["items"]
    assert english[0]["name"] == V2_NAME and english[1]["name"] == "Chase the overdue call-back"
    welsh = walk.heatmap(language="cy", **PERIOD).get_json()["items"]
    assert [i["name"] for i in welsh] == ["Ffonio'r unigolyn yn ôl", "Mynd ar ôl yr alwad yn ôl hwyr"]
    assert figures({"items": welsh}) == figures({"items": english})


def test_default_period_is_the_last_90_days(walk):
    body = walk.heatmap().get_json()
    now = walk.flow.now
    assert (moment(body["from"]), moment(body["to"])) == (now - timedelta(days=90), now)
    want = expected(walk.histories(), now - timedelta(days=90), now)
    assert want["call_back"]["completed"] == 8  # the one before 10:00 and the one in February too
    assert figures(body) == want


def test_local_dates_and_datetimes_without_offset(walk):
    body = walk.heatmap(**{"from": "2026-07-01", "to": "2026-07-01T09:30"}).get_json()
    assert body["from"] == "2026-06-30T23:00:00+00:00"  # midnight in London, summer time
    assert body["to"] == "2026-07-01T08:30:00+00:00"
    assert all(i["completed"] == 0 and i["median_wait_s"] is None for i in body["items"])
    one_day = walk.heatmap(**{"from": "2026-02-02", "to": "2026-02-02"}).get_json()
    assert one_day["from"] == "2026-02-02T00:00:00+00:00" and one_day["to"] == "2026-02-03T00:00:00+00:00"
    assert figures(one_day)["call_back"]["completed"] == 1


def test_commissioner_sees_small_counts_suppressed(walk):
    full = figures(walk.heatmap(**PERIOD).get_json())
    r = walk.heatmap("commissioner1", **PERIOD)
    assert r.status_code == 200, r.get_json()
    seen = figures(r.get_json())
    # 6 completed: shown, with the waits; 2 waiting: "<5"
    assert seen["call_back"] == {**full["call_back"], "waiting_now": "<5"}
    assert full["call_back"]["completed"] >= 5 and full["call_back"]["median_wait_s"] is not None
    # 1 completed, 1 waiting: "<5", and no wait figures over fewer than 5
    assert seen["chase_call_back"] == {
        "waiting_now": "<5",
        "completed": "<5",
        "median_wait_s": None,
        "p90_wait_s": None,
    }
    # zero is not small: it is shown as 0
    later = figures(walk.heatmap("commissioner1", **{"from": "2026-03-01", "to": "2026-03-02"}).get_json())
    assert later["call_back"]["completed"] == 0 and later["chase_call_back"]["completed"] == 0


@pytest.mark.parametrize("user", ["advocate1", "admin1"])
def test_other_roles_are_refused(walk, user):
    body = assert_problem(walk.heatmap(user, **PERIOD), 403)
    assert "heatmap" in body["detail"]


def test_manager_may_not_read_the_commissioners_own_process(service, monkeypatch):
    Flow(service, monkeypatch, "commissioning_cycle")
    assert_problem(service.get("/process-definitions/commissioning_cycle/heatmap", "manager1"), 403)
    for user in ("commissioner1", "auditor1"):
        r = service.get("/process-definitions/commissioning_cycle/heatmap", user)
        assert r.status_code == 200, r.get_json()
        assert all(i["completed"] == 0 and i["waiting_now"] == 0 for i in r.get_json()["items"])


@pytest.mark.parametrize("user", ["auditor1", "manager1", "commissioner1"])
def test_unknown_process_is_404(deployed, user):
    body = assert_problem(deployed.get("/process-definitions/no_such_process/heatmap", user), 404)
    assert "no_such_process" in body["detail"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": ""}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"to": "2026-01-05T25:00"}, "to"),
        ({"to": "20260105"}, "to"),
        ({"from": "2026-02-01", "to": "2026-01-31"}, "to"),  # reversed
        ({"from": "2026-01-05T10:00:00Z", "to": "2026-01-05T10:00:00Z"}, "to"),  # empty
        ({"from": "2026-01-05T11:00:00+01:00", "to": "2026-01-05T10:00:00Z"}, "to"),  # the same moment
        ({"from": "x" * 41}, "from"),
        ({"since": "2026-01-01"}, "since"),  # unknown parameters are refused
    ],
)
def test_bad_period_is_422_naming_the_parameter(deployed, query, field):
    r = deployed.client.get(f"/api/v1{URL}", query_string=query, headers=deployed.headers("auditor1"))
    body = assert_problem(r, 422)
    assert list(body["errors"]) == [field], body


def test_bad_period_of_an_unknown_process_is_still_422(deployed):
    r = deployed.get("/process-definitions/nope/heatmap?from=nonsense", "auditor1")
    assert list(assert_problem(r, 422)["errors"]) == ["from"]


def test_in_the_openapi_document(service):
    document = service.client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/process-definitions/{key}/heatmap"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {"from", "to"}
    schema = document["components"]["schemas"]["Heatmap"]
    assert set(schema["properties"]) == {"process", "from", "to", "items"}


def test_problem_in_welsh(deployed):
    headers = {**deployed.headers("auditor1"), "Accept-Language": "cy"}
    r = deployed.client.get(
        f"/api/v1{URL}", query_string={"from": "2026-02-01", "to": "2026-01-01"}, headers=headers
    )
    assert assert_problem(r, 422)["errors"] == {"to": ["rhaid iddo fod ar ôl 'from'"]}


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 21])
def test_percentiles_for_every_rank_position(service, monkeypatch, n):
    """Waits of 1..n tasks as the history rows the service writes (odd microseconds too): the database's
    median and 90th percentile (SQLite: the ranks it picks, then Python) are the exact ones, rounded.
    With an odd n, one more completion has no ``task_ready`` before it: completed, but no wait."""
    Flow(service, monkeypatch, KEY)  # deploys the process
    orphan = n % 2
    definition = service.get(f"/process-definitions/{KEY}", "auditor1").get_json()
    waits = [timedelta(seconds=(i * 7919) % 5003, microseconds=(i * 104729) % 10**6) for i in range(n)]

    def write(session):
        [definition_id] = session.execute(select_id(definition["key"], definition["version"])).scalars().all()
        for i, wait in enumerate([*waits, *[None] * orphan]):
            iid = f"00000000-0000-0000-0000-{i:012d}"
            session.execute(
                insert(ProcessInstance).values(
                    id=iid,
                    definition_id=definition_id,
                    process_key=KEY,
                    version=1,
                    status="completed",
                    variables={},
                    waiting_messages={},
                    state="{}",
                    row_version=1,
                    last_seq=2,
                    started_at=T0,
                )
            )
            steps = (
                ((1, "task_ready", T0), (2, "task_completed", T0 + wait))
                if wait is not None
                else ((2, "task_completed", T0),)
            )
            for seq, kind, at in steps:
                session.execute(
                    insert(HistoryEvent).values(
                        instance_id=iid,
                        seq=seq,
                        at=at.isoformat(timespec="microseconds"),
                        type=kind,
                        actor=None,
                        activity_id="call_back",
                        task_id=f"task-{i}",
                        data="{}",
                        prev_hash="0" * 64,
                        hash="0" * 64,
                    )
                )

    service.db.run(write)
    body = service.get(f"{URL}?from=2026-01-01&to=2026-01-31", "auditor1").get_json()
    item = body["items"][0]
    exact = [Fraction(w // timedelta(microseconds=1), 10**6) for w in waits]
    assert item["completed"] == n + orphan
    assert (item["median_wait_s"], item["p90_wait_s"]) == (percentile(exact, "0.5"), percentile(exact, "0.9"))


def select_id(key: str, version: int):
    return select(ProcessDefinition.id).where(
        ProcessDefinition.key == key, ProcessDefinition.version == version
    )
