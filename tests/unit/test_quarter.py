"""The Quarter value type: parsing, the local days, the UTC moments, stepping, reading a moment."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from service.base.quarter import Quarter


def test_parse_and_text() -> None:
    assert Quarter.parse("2026Q1") == Quarter(2026, 1)
    assert str(Quarter(2025, 4)) == "2025Q4"


@pytest.mark.parametrize(
    "bad", ["", "2026", "2026Q0", "2026Q5", "2026q1", "0000Q1", "9999Q1", " 2026Q1", "26Q1"]
)
def test_parse_refuses(bad: str) -> None:
    with pytest.raises(ValueError, match="2026Q1"):
        Quarter.parse(bad)


def test_days_and_moments_in_the_service_time_zone() -> None:
    q3 = Quarter(2026, 3)  # British Summer Time: local midnight is 23:00 UTC the day before
    assert (q3.first_day, q3.last_day) == (date(2026, 7, 1), date(2026, 9, 30))
    assert q3.start == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert q3.end == datetime(2026, 9, 30, 23, tzinfo=UTC)
    q1 = Quarter(2026, 1)  # GMT
    assert q1.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert q1.last_day == date(2026, 3, 31)


def test_stepping_across_years() -> None:
    assert Quarter(2025, 4).next() == Quarter(2026, 1)
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert Quarter(2026, 2).next().previous() == Quarter(2026, 2)


def test_a_moment_is_read_in_local_time() -> None:
    # 23:30 UTC on 30 June 2026 is 00:30 on 1 July in London: the third quarter
    assert Quarter.of(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == Quarter(2026, 3)
    assert Quarter.of(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) == Quarter(2026, 2)
    assert Quarter.of(date(2026, 12, 31)) == Quarter(2026, 4)


def test_label() -> None:
    assert Quarter(2026, 1).label() == "2026 Q1 (1 Jan to 31 Mar 2026)"
