"""The pieces of the return that need no database: quarters, working hours, percentiles, rounding."""

from __future__ import annotations

from datetime import date

import pytest

from service.base.problems import Invalid
from service.cases.reports import quarterly as reports
from service.cases.reports import statistics
from tests.reports.conftest import t


def test_quarter_bounds_in_london():
    assert reports.quarter_bounds("2026Q1") == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        "2026-01-01T00:00:00+00:00",
        "2026-03-31T23:00:00+00:00",
    )
    assert reports.quarter_bounds("2026Q3")[2:] == ("2026-06-30T23:00:00+00:00", "2026-09-30T23:00:00+00:00")
    assert reports.quarter_bounds("2025Q4")[:2] == (date(2025, 10, 1), date(2025, 12, 31))
    for bad in ("2026Q0", "2026Q5", "26Q1", "2026q1", "", "2026Q1 "):
        with pytest.raises(Invalid):
            reports.quarter_bounds(bad)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-01-05T09:00:00+00:00", "2026-01-06T09:00:00+00:00", 24),  # Monday to Tuesday
        ("2026-01-09T15:00:00+00:00", "2026-01-12T10:00:00+00:00", 19),  # over a weekend
        ("2026-01-01T10:00:00+00:00", "2026-01-02T10:00:00+00:00", 10),  # New Year's Day does not count
        ("2026-01-03T10:00:00+00:00", "2026-01-04T18:00:00+00:00", 0),  # all on a weekend
        ("2026-03-27T12:00:00+00:00", "2026-03-30T12:00:00+00:00", 25),  # Fri GMT 12 h + Mon BST 13 h
        ("2026-04-02T12:00:00+01:00", "2026-04-07T12:00:00+01:00", 24),  # Good Friday, Easter Monday skipped
        ("2025-12-24T10:00:00+00:00", "2025-12-30T10:00:00+00:00", 14 + 24 + 10),  # Christmas
    ],
)
def test_working_hours(start, end, hours):
    assert statistics.working_hours([(t(start).timestamp(), t(end).timestamp())]) == [pytest.approx(hours)]


def test_percentiles_match_percentile_cont_and_round_half_up():
    values = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 19, 20, 24, 30, 40, 47.5, 60, 80]
    assert statistics.percentile_cont(values, "0.5") == 14
    assert statistics.percentile_cont(values, "0.9") == 51.25
    assert statistics._one_decimal(statistics.percentile_cont(values, "0.9")) == 51.3
    assert statistics.percentile_cont([], "0.5") is None
    assert statistics.percentile_cont([7], "0.9") == 7
    assert (
        statistics.percent(1, 16) == 6.3
        and statistics.percent(11, 16) == 68.8
        and statistics.percent(1, 3) == 33.3
    )
    assert statistics.percent(2, 3) == 66.7 and statistics.percent(0, 0) is None
