"""Working days in England and Wales, checked against the published bank holidays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflows import calendar

LONDON = ZoneInfo("Europe/London")

# The bank holidays of England and Wales as published on GOV.UK
# (https://www.gov.uk/bank-holidays), copied by hand: the point of this test is
# that the holidays package agrees with them.
PUBLISHED_BANK_HOLIDAYS = {
    date(2025, 1, 1),  # New Year's Day
    date(2025, 4, 18),  # Good Friday
    date(2025, 4, 21),  # Easter Monday
    date(2025, 5, 5),  # Early May bank holiday
    date(2025, 5, 26),  # Spring bank holiday
    date(2025, 8, 25),  # Summer bank holiday
    date(2025, 12, 25),  # Christmas Day
    date(2025, 12, 26),  # Boxing Day
    date(2026, 1, 1),  # New Year's Day
    date(2026, 4, 3),  # Good Friday
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 4),  # Early May bank holiday
    date(2026, 5, 25),  # Spring bank holiday
    date(2026, 8, 31),  # Summer bank holiday
    date(2026, 12, 25),  # Christmas Day
    date(2026, 12, 28),  # Boxing Day (substitute day)
    date(2027, 1, 1),  # New Year's Day
    date(2027, 3, 26),  # Good Friday
    date(2027, 3, 29),  # Easter Monday
    date(2027, 5, 3),  # Early May bank holiday
    date(2027, 5, 31),  # Spring bank holiday
    date(2027, 8, 30),  # Summer bank holiday
    date(2027, 12, 27),  # Christmas Day (substitute day)
    date(2027, 12, 28),  # Boxing Day (substitute day)
}


@pytest.fixture(autouse=True)
def _london(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADVOCACY_FLOW_TIMEZONE", raising=False)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_every_day_of_2025_to_2027_matches_the_published_list() -> None:
    day, wrong = date(2025, 1, 1), []
    while day.year <= 2027:
        expected = day.weekday() < 5 and day not in PUBLISHED_BANK_HOLIDAYS
        if calendar.is_working_day(day) != expected:
            wrong.append(day)
        day += timedelta(days=1)
    assert wrong == []


@pytest.mark.parametrize("holiday", sorted(PUBLISHED_BANK_HOLIDAYS))
def test_published_bank_holidays_are_not_working_days(holiday: date) -> None:
    assert not calendar.is_working_day(holiday)


def test_weekdays_and_weekends() -> None:
    assert calendar.is_working_day(date(2025, 12, 24))  # Wednesday
    assert not calendar.is_working_day(date(2025, 12, 27))  # Saturday
    assert not calendar.is_working_day(date(2025, 12, 28))  # Sunday
    assert calendar.is_working_day(datetime(2026, 4, 7, 9, 0))  # the Tuesday after Easter


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # the DOMAIN rule: Christmas Day, Boxing Day and the weekend are skipped
        ("2025-12-24T10:00:00", 2, utc(2025, 12, 30, 10)),
        ("2025-12-24T10:00:00", 1, utc(2025, 12, 29, 10)),
        ("2025-12-24T10:00:00", 3, utc(2025, 12, 31, 10)),
        ("2025-12-24T10:00:00", 4, utc(2026, 1, 2, 10)),  # New Year's Day skipped
        ("2025-12-31T16:30:00", 1, utc(2026, 1, 2, 16, 30)),
        ("2025-12-19T09:00:00", 5, utc(2025, 12, 30, 9)),  # 22, 23, 24, 29, 30
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April (BST: 09:00 local is 08:00 UTC)
        ("2026-04-02T09:00:00", 1, utc(2026, 4, 7, 8)),
        ("2026-04-01T09:00:00", 2, utc(2026, 4, 7, 8)),
        ("2026-04-02T09:00:00", 3, utc(2026, 4, 9, 8)),
        # from a non-working day: the start date never counts, so Saturday + 1 = Monday
        ("2025-12-27T10:00:00", 1, utc(2025, 12, 29, 10)),
        ("2026-04-03T10:00:00", 1, utc(2026, 4, 7, 9)),  # from Good Friday
        ("2025-12-26T10:00:00", 2, utc(2025, 12, 30, 10)),  # from Boxing Day
        # n = 0 is the start itself, even on a non-working day
        ("2025-12-25T10:00:00", 0, utc(2025, 12, 25, 10)),
        # offsets and UTC input
        ("2025-12-24T10:00:00Z", 2, utc(2025, 12, 30, 10)),
        ("2025-12-24T10:00:00+01:00", 2, utc(2025, 12, 30, 9)),
        ("2025-12-24", 2, utc(2025, 12, 30, 0)),  # a bare date: its local midnight
    ],
)
def test_working_days_after(start: str, n: int, expected: datetime) -> None:
    result = calendar.working_days_after(start, n)
    assert result == expected
    assert result.utcoffset() == timedelta(0)


def test_saturday_plus_one_is_friday_plus_one() -> None:
    friday = calendar.working_days_after("2026-01-09T10:00:00", 1)
    saturday = calendar.working_days_after("2026-01-10T10:00:00", 1)
    assert friday == saturday == utc(2026, 1, 12, 10)


def test_local_time_of_day_is_kept_across_the_change_to_bst() -> None:
    # Friday 27 March 2026 09:00 GMT; the clocks go forward on Sunday 29 March.
    start = datetime(2026, 3, 27, 9, 0, tzinfo=LONDON)
    result = calendar.working_days_after(start, 1)
    assert result == utc(2026, 3, 30, 8)  # Monday 09:00 BST
    assert result.astimezone(LONDON).hour == 9
    assert result - start == timedelta(days=3, hours=-1)


def test_local_time_of_day_is_kept_across_the_change_to_gmt() -> None:
    # Friday 23 October 2026 09:00 BST; the clocks go back on Sunday 25 October.
    result = calendar.working_days_after(datetime(2026, 10, 23, 8, 0, tzinfo=UTC), 1)
    assert result == utc(2026, 10, 26, 9)
    assert result.astimezone(LONDON).hour == 9


def test_naive_datetimes_are_read_in_the_service_time_zone() -> None:
    assert calendar.working_days_after(datetime(2026, 6, 1, 9, 0), 1) == utc(2026, 6, 2, 8)
    assert calendar.parse_datetime("2026-06-01T09:00:00") == utc(2026, 6, 1, 8)


def test_service_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    assert calendar.service_timezone() == ZoneInfo("Europe/London")
    monkeypatch.setenv("ADVOCACY_FLOW_TIMEZONE", "UTC")
    assert calendar.service_timezone() == ZoneInfo("UTC")
    assert calendar.working_days_after("2026-06-01T09:00:00", 1) == utc(2026, 6, 2, 9)
    monkeypatch.setenv("ADVOCACY_FLOW_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="not a known time zone"):
        calendar.service_timezone()


@pytest.mark.parametrize(
    ("duration", "kind", "expected"),
    [
        # Saturday 28 March 2026 10:00 GMT; BST starts the next day
        ("P1D", "clock", utc(2026, 3, 29, 10)),  # 24 hours: 11:00 BST
        ("P1D", "working_days", utc(2026, 3, 30, 9)),  # Monday 10:00 BST
        ("PT4H", "clock", utc(2026, 3, 28, 14)),
        ("PT4H", "working_days", utc(2026, 3, 28, 14)),
        ("P2DT4H", "working_days", utc(2026, 3, 31, 13)),  # Tuesday 10:00 BST + 4 hours
        ("P1W", "clock", utc(2026, 4, 4, 10)),
        ("P1W", "working_days", utc(2026, 4, 7, 9)),  # 5 working days: Good Friday, Easter Monday skipped
        ("P1M", "clock", utc(2026, 4, 28, 10)),
        ("-P1D", "clock", utc(2026, 3, 27, 10)),
    ],
)
def test_add_duration(duration: str, kind: str, expected: datetime) -> None:
    assert calendar.add_duration("2026-03-28T10:00:00", duration, kind) == expected


def test_add_duration_defaults_to_clock_time() -> None:
    assert calendar.add_duration("2025-12-24T10:00:00Z", "P2D") == utc(2025, 12, 26, 10)
    assert calendar.add_duration("2025-12-24T10:00:00Z", "P2D", "working_days") == utc(2025, 12, 30, 10)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: calendar.working_days_after("2025-12-24T10:00", -1), "between 0 and"),
        (lambda: calendar.working_days_after("2025-12-24T10:00", 10**6), "between 0 and"),
        (lambda: calendar.working_days_after("2025-12-24T10:00", 2.0), "whole number"),
        (lambda: calendar.working_days_after("2025-12-24T10:00", True), "whole number"),
        (lambda: calendar.working_days_after("2025-12-24T10:00", "2"), "whole number"),
        (lambda: calendar.working_days_after("next Tuesday", 2), "not an ISO 8601"),
        (lambda: calendar.working_days_after("", 2), "not an ISO 8601"),
        (lambda: calendar.working_days_after(None, 2), "expected an ISO 8601"),  # type: ignore[arg-type]
        (lambda: calendar.working_days_after("9999-12-30T10:00", 5), "out of range"),
        (lambda: calendar.add_duration("2025-12-24T10:00", "P1M", "working_days"), "months and years"),
        (lambda: calendar.add_duration("2025-12-24T10:00", "P1Y", "working_days"), "months and years"),
        (lambda: calendar.add_duration("2025-12-24T10:00", "P1.5D", "working_days"), "whole days"),
        (lambda: calendar.add_duration("2025-12-24T10:00", "-P1D", "working_days"), "whole days"),
        (lambda: calendar.add_duration("2025-12-24T10:00", "5 days"), "not an ISO 8601 duration"),
        (lambda: calendar.add_duration("2025-12-24T10:00", "P"), "not an ISO 8601 duration"),
        (lambda: calendar.add_duration("2025-12-24T10:00", 5), "duration string"),  # type: ignore[arg-type]
        (lambda: calendar.add_duration("2025-12-24T10:00", "P1D", "lunar"), "unknown calendar"),
        (lambda: calendar.add_duration("2025-12-24T10:00", "P999999999D"), "ISO 8601 duration|out of range"),
    ],
)
def test_invalid_input_raises_value_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
