"""Why a case ended early (DOMAIN.md, second edition, "Ending early"): the ``end_reason`` list.

Used by ``POST …/cancel`` (``reason_code``), the web cancel form and the quarterly return's ``ended_early``.
"""

from __future__ import annotations

from service.base.languages import N_

END_REASONS: tuple[str, ...] = (
    "person_declined",
    "person_died",
    "moved_out_of_area",
    "no_longer_eligible",
    "referred_elsewhere",
    "duplicate",
    "other",
)

LABELS: dict[str, str] = {
    "person_declined": N_("The person declined advocacy"),
    "person_died": N_("The person died"),
    "moved_out_of_area": N_("Moved out of the area"),
    "no_longer_eligible": N_("No longer eligible"),
    "referred_elsewhere": N_("Referred elsewhere"),
    "duplicate": N_("A duplicate referral"),
    "other": N_("Another reason"),
}


def reason_code_errors(reason_code: object) -> dict[str, list[str]]:
    """Per-field problems with a cancel's ``reason_code`` (empty when it is one of END_REASONS)."""
    if reason_code is None or reason_code == "":
        return {"reason_code": ["this field is required: one of " + ", ".join(END_REASONS)]}
    if reason_code not in END_REASONS:
        return {"reason_code": [f"'{reason_code}' is not a reason: one of " + ", ".join(END_REASONS)]}
    return {}
