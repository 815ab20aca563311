"""The deadline enforcer (``enforcer``): APScheduler wakes the service at each deadline, exactly once across
enforcers. Imports ``service.cases`` and below."""
