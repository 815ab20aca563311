"""Demo complaints (DOMAIN.md Process 5), walked to both ends through the use cases.

One resolved at the provider; two taken to level 2 by the commissioner with the ombudsman route
recorded: the Local Government and Social Care Ombudsman (``lgsco``) under an English SLA, the Public
Services Ombudsman for Wales (``pspow``) under the Welsh one; one waiting for its investigation.  Each
names a case; the investigator is a manager, never the advocate of that case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from service.demo.loader import Loader
from service.demo.second_edition import WELSH_SLA

ENGLISH_SLA = "north-borough-2026"


def _complaint(
    load: Loader, key: str, received: datetime, until: str, *, satisfied: bool = True, **start: Any
) -> str:
    """A complaint received at ``received``, handled in time up to ``until`` (a step, or the end)."""
    variables = {"complainant_type": "representative", "received_at": received.isoformat(), **start}
    iid = load.at(received + timedelta(hours=1)).start("complaint", variables, "manager1", key)
    acknowledgement = {
        "acknowledged_at": load.later(days=1).now.isoformat(),
        "acknowledgement_method": "letter",
        "discussion_offered": True,
    }
    load.complete(iid, "acknowledge_complaint", acknowledgement, "manager1")
    if until == "investigate_complaint":
        return iid
    findings = {
        "investigator": "manager2",  # a manager; the case's advocate may not investigate
        "investigation_findings": "Two visits were rearranged at short notice without an explanation.",
    }
    load.later(days=4).complete(iid, "investigate_complaint", findings, "manager2")
    response = {
        "complaint_outcome": "partly_upheld",
        "learning": "Advocates now phone the person themselves when a visit has to move.",
        "complainant_satisfied": satisfied,
        "responded_at": load.later(days=5).now.isoformat(),
    }
    load.complete(iid, "respond_to_complaint", response, "manager1")
    return iid


def complaints(load: Loader, now: datetime) -> dict[str, list[str]]:
    day = timedelta(days=1)
    resolved = _complaint(
        load,
        "COMP-2026-001",
        now - 40 * day,
        "resolved",
        complaint_about="advocate",
        case_ref="P-1008",
        sla_key=ENGLISH_SLA,
    )
    english = _complaint(
        load,
        "COMP-2026-002",
        now - 35 * day,
        "escalated",
        satisfied=False,
        complaint_about="delay",
        case_ref="P-1007",
        sla_key=ENGLISH_SLA,
    )
    level_2 = {
        "level_2_outcome": "not_upheld",
        "level_2_findings": "The provider's response was full and on time.",
        "ombudsman": "lgsco",
    }
    load.later(days=3).complete(english, "level_2_review", level_2, "commissioner1")
    welsh = _complaint(
        load,
        "COMP-2026-003",
        now - 30 * day,
        "escalated",
        satisfied=False,
        complainant_type="person",
        complaint_about="access",
        case_ref="P-1016",
        sla_key=WELSH_SLA,
    )
    level_2 = {**level_2, "level_2_outcome": "partly_upheld", "ombudsman": "pspow"}
    load.later(days=3).complete(welsh, "level_2_review", level_2, "commissioner1")
    waiting = _complaint(
        load,
        "COMP-2026-004",
        now - 2 * day,
        "investigate_complaint",
        complainant_type="professional",
        complaint_about="service",
    )
    return {
        "resolved": [resolved],
        "escalated": [english, welsh],
        "investigate_complaint": [waiting],
    }
