"""What people read for the messages a case may wait for (``dbs_certificate_received`` …).

A message's name is the identifier the engine correlates on and ``POST /messages`` sends: it never
changes with the language; the case page shows these words for it instead.
"""

from __future__ import annotations

from flask_babel import gettext

from service.base.languages import N_

MESSAGES = {
    "documents_received": N_("Documents received"),
    "dbs_certificate_received": N_("DBS certificate received"),
    "safeguarding_concern": N_("Safeguarding concern"),
    "end_case_early_requested": N_("Request to end the case early"),
    "complaint_received": N_("Complaint received"),
}


def message_name(name: str) -> str:
    """The message as people read it (a message not listed here: its name, humanised)."""
    return gettext(MESSAGES[name]) if name in MESSAGES else name.replace("_", " ").capitalize()


def in_sentence(name: str) -> str:
    """The same, inside a sentence: "documents received", but "DBS certificate received"."""
    words = message_name(name)
    return words[:1].lower() + words[1:] if words[1:2].islower() else words
