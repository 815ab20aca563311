"""``advocacy-flow migrate``: as POST /migrations; prints the items; exit 1 when any instance was refused."""

from __future__ import annotations

import json

from click.testing import CliRunner

from service.base.config import ROOT
from service.cli import main
from tests.scenarios.driver import Driver
from tests.scenarios.migration_check import FIRST, Recorder, deploy, rows, version

PROCESS = "referral_casework"
REFERRAL = {"referral_source": "health", "advocacy_type": "imha", "urgency": "standard"}


def test_the_command_moves_what_is_safe_and_exits_1_naming_what_is_not(driver: Driver, database_url) -> None:
    deploy(driver, FIRST)
    record = Recorder(driver)
    waiting = driver.start(PROCESS, {**REFERRAL, "person_ref": "ADV-2026-0501"}, business_key="ADV-2026-0501")
    allocating = driver.start(
        PROCESS, {**REFERRAL, "person_ref": "ADV-2026-0502"}, business_key="ADV-2026-0502"
    )
    record(waiting)
    driver.complete(
        allocating, "assess_eligibility", {"advocacy_type": "imha", "qualifying_patient": True}, "manager1"
    )
    deploy(driver, ROOT)
    new = version(driver, PROCESS)
    runner = CliRunner()
    env = {"ADVOCACY_FLOW_DATABASE_URL": database_url}
    before = {iid: rows(driver.db, iid) for iid in (waiting, allocating)}
    base = ["migrate", "--process", PROCESS, "--to-version", str(new)]

    dry = runner.invoke(main, [*base, "--dry-run", "--instance", waiting], env=env)
    assert dry.exit_code == 0, dry.output
    (line,) = [json.loads(x) for x in dry.stdout.splitlines()]
    assert line == {"instance_id": waiting, "from_version": new - 1, "ok": True, "problems": []}
    assert {iid: rows(driver.db, iid) for iid in before} == before

    both = runner.invoke(main, [*base, "--dry-run"], env=env)
    assert both.exit_code == 1
    refused = [json.loads(x) for x in both.stdout.splitlines() if not json.loads(x)["ok"]]
    assert [r["instance_id"] for r in refused] == [allocating]
    assert "allocate_advocate" in {p["activity_id"] for p in refused[0]["problems"]}

    bad = runner.invoke(main, [*base, "--map", "nonsense"], env=env)
    assert bad.exit_code == 2 and "OLD=NEW" in bad.output
    missing = runner.invoke(main, ["migrate", "--process", PROCESS, "--to-version", "99"], env=env)
    assert missing.exit_code == 1 and "to_version" in missing.output
    huge = runner.invoke(main, ["migrate", "--process", PROCESS, "--to-version", str(2**40)], env=env)
    assert huge.exit_code == 1 and "to_version" in huge.output, huge.output
    assert {iid: rows(driver.db, iid) for iid in before} == before

    moved = runner.invoke(main, base, env=env)
    assert moved.exit_code == 1, "one of the two was refused"
    assert rows(driver.db, allocating) == before[allocating]
    assert rows(driver.db, waiting) != before[waiting]
    record(waiting)
    verified = runner.invoke(main, ["audit", "verify"], env=env)
    assert verified.exit_code == 0 and verified.output.startswith("OK"), verified.output
    record.check(waiting)
