"""The engine clock decides when SpiffWorkflow's timers start and fire."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer

from workflows import clock


def test_wall_clock_outside_a_fixed_block():
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)


def test_fixed_moment_is_what_spiffworkflow_timers_read():
    moment = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with clock.at(moment):
        assert clock.now() == moment
        assert timer.datetime.now(UTC) == moment
    assert timer.datetime.now(UTC) != moment


def test_naive_moment_refused():
    with pytest.raises(ValueError), clock.at(datetime(2026, 1, 5, 9, 0)):
        pass
