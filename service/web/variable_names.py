"""What people read for the recorded values no form asks for: set by the service, a decision table or a
message (``eligible``, ``duty``, ``welsh_medium_provided`` …), and their coded values.

The case page and a task's "about this task" list name a recorded value by its form's title where a
form asks for it; these are the others.  Only the words change with the language: the names and the
stored values stay the diagrams'.
"""

from __future__ import annotations

from flask_babel import gettext

from service.base.languages import N_
from service.cases.end_reasons import LABELS as END_REASON_LABELS
from service.cases.reports import vocabulary
from service.web import eligibility_reasons
from service.web.filters import language

LABELS = {
    # referral_casework: the eligibility decision table and the service
    "eligible": N_("Eligible"),
    "duty": N_("Duty to provide advocacy"),
    "eligibility_reason": N_("Why (the law)"),
    "welsh_medium_provided": N_("Welsh-medium advocacy provided"),
    "safeguarding_raised_at": N_("Safeguarding concern raised at"),
    "safeguarding_raised_by": N_("Safeguarding concern raised by"),
    "end_reason": N_("Why the case ended early"),
    # commissioning_cycle: worked out by the diagram
    "contract_dates_consistent": N_("Contract dates consistent"),
    "contract_months_by_dates": N_("Contract length in months (from the dates)"),
    "improvement_cycles": N_("Improvement cycles"),
    "next_cycle_requested": N_("Next cycle requested"),
    "quarters_monitored": N_("Quarters monitored"),
}
MILESTONES = frozenset(
    (
        "allocation",
        "first_contact",
        "escalation_response",
        "safeguarding_decision",
        "complaint_acknowledgement",
        "complaint_response",
    )
)
DUTY = {
    "must": N_("A duty (must)"),
    "may": N_("A power (may)"),
    "none": N_("None"),
}


def labels() -> dict[str, str]:
    """Variable name -> its label in the request's language."""
    return {name: gettext(label) for name, label in LABELS.items()}


def value_titles() -> dict[str, dict[str, str]]:
    """Variable name -> {stored value: what people read}, for the coded values no form titles."""
    words = vocabulary.labels(language())
    return {
        "duty": {value: gettext(label) for value, label in DUTY.items()},
        "end_reason": {code: gettext(label) for code, label in END_REASON_LABELS.items()},
        "milestone": {m: words[m] for m in words if m in MILESTONES},
        "eligibility_reason": eligibility_reasons.reasons(language()),
    }
