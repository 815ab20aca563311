"""What a quarter is: ``2026Q1``, its local days in the service's time zone and the UTC moments they span.

Quarterly returns, the breach count behind an SLA escalation, the dashboard's quarter picker and the demo
data all read quarters through this one type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from workflows.calendar import service_timezone

QUARTER_TEXT = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1 to 4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2026Q1`` -> Quarter(2026, 1); ValueError for anything else (years 0001 to 9998)."""
        match = QUARTER_TEXT.fullmatch(text or "")
        if match is None or not 1 <= int(match[1]) <= 9998:
            raise ValueError("expected a quarter like 2026Q1")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, moment: datetime | date) -> Quarter:
        """The quarter a moment falls in, read in the service's time zone (a date is taken as local)."""
        day = moment.astimezone(service_timezone()).date() if isinstance(moment, datetime) else moment
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        """The first local midnight of the quarter, as UTC."""
        return datetime.combine(self.first_day, time(), tzinfo=service_timezone()).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first local midnight after the quarter, as UTC (the quarter is [start, end))."""
        return self.next().start

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def label(self) -> str:
        """For people: '2026 Q1 (1 Jan to 31 Mar 2026)'."""
        return f"{self.year} Q{self.number} ({self.first_day:%-d %b} to {self.last_day:%-d %b %Y})"
