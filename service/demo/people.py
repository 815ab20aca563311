"""The demo's users (one or two per role, one password) and its negotiated SLAs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access import auth
from service.cases import slas
from service.store.models import User

DEMO_PASSWORD = "demo-password"
DEMO_USERS = [
    ("admin1", "admin"),
    ("commissioner1", "commissioner"),
    ("manager1", "manager"),
    ("manager2", "manager"),
    ("advocate1", "advocate"),
    ("advocate2", "advocate"),
    ("auditor1", "auditor"),
]
ROLES = dict(DEMO_USERS)


SLAS = {
    "north-borough-2026": {
        "provider": "Advocacy North CIC",
        "commissioner": "North Borough Council",
        "targets": {"allocation": "P1D", "first_contact": "P2D", "escalation_response": "P1D"},
        "urgent": {"first_contact": "PT4H"},
        "calendar": "working_days",
        "breach_threshold": 3,
    },
    "west-vale-imha-2026": {
        "provider": "Vale Voices",
        "commissioner": "West Vale Health Board",
        "targets": {"allocation": "PT12H", "first_contact": "P3D", "escalation_response": "P1D"},
        "urgent": {"allocation": "PT2H", "first_contact": "PT6H"},
        "calendar": "clock",
        "breach_threshold": 5,
    },
    "cwm-vale-2026": {  # in Wales: independent professional advocacy, complaints go to the PSOW
        "provider": "Llais y Cwm",
        "commissioner": "Cwm Vale County Borough Council",
        "targets": {"allocation": "P1D", "first_contact": "P2D", "escalation_response": "P1D"},
        "urgent": {"first_contact": "PT4H"},
        "calendar": "working_days",
        "breach_threshold": 3,
    },
}


DEMO_LANGUAGES = {"advocate1": ["en"], "advocate2": ["en", "cy"]}  # advocate2 speaks Welsh


def create_users(session: Session) -> list[str]:
    created = []
    for username, role in DEMO_USERS:
        if session.scalars(select(User).where(User.username == username)).first() is None:
            languages = DEMO_LANGUAGES.get(username)
            auth.create_user(session, username, role, DEMO_PASSWORD, languages=languages)
            created.append(username)
    return created


def create_slas(session: Session) -> list[str]:
    slas.ensure_default(session)
    created = []
    for key, data in SLAS.items():
        if session.get(slas.Sla, key) is None:
            slas.save_sla(session, key, data, create=True)
            created.append(key)
    return created
