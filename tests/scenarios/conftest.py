"""Fixtures for the scenario tests: ``driver`` (see DRIVER_CONTRACT.md)."""

from __future__ import annotations

import pytest

from tests.scenarios.driver import Driver


@pytest.fixture
def driver() -> Driver:
    """A fresh driver: no instances, the clock at Monday 2026-01-05 09:00 UTC."""
    return Driver()
