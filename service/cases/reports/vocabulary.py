"""The names a quarterly return counts by: referral sources, advocacy types, milestones, outcome measures."""

from __future__ import annotations

SOURCES = ("self", "family", "social_worker", "health", "care_provider", "other")
ADVOCACY_TYPES = ("care_act", "ipa_wales", "imca", "imha", "generic")
URGENCIES = ("urgent", "standard")
MILESTONES = ("allocation", "first_contact")
MEASURES = ("informed", "involved", "negotiated", "personal_achieved", "empowered")
ANSWERS = ("yes", "partly", "no")
ESCALATION_OUTCOMES = (
    "resolved",
    "remedy_accepted",
    "improved",
    "contract_continued",
    "decommissioned",
    "cancelled",
    "in_progress",
)
STAGES = ("analyse", "plan", "deliver", "review")

# What people read for each name, in English and Welsh (the names themselves never change with the language).
_LABELS: dict[str, tuple[str, str]] = {
    "self": ("Self", "Yr unigolyn ei hun"),
    "family": ("Family", "Teulu"),
    "social_worker": ("Social worker", "Gweithiwr cymdeithasol"),
    "health": ("Health", "Iechyd"),
    "care_provider": ("Care provider", "Darparwr gofal"),
    "other": ("Other", "Arall"),
    "care_act": ("Care Act advocacy", "Eiriolaeth Deddf Gofal"),
    "ipa_wales": ("Independent professional advocacy (Wales)", "Eiriolaeth broffesiynol annibynnol (Cymru)"),
    "imca": ("IMCA", "IMCA (eiriolwr galluedd meddyliol annibynnol)"),
    "imha": ("IMHA", "IMHA (eiriolwr iechyd meddwl annibynnol)"),
    "generic": ("Generic advocacy", "Eiriolaeth gyffredinol"),
    "urgent": ("Urgent", "Brys"),
    "standard": ("Standard", "Safonol"),
    "allocation": ("Allocation", "Dyrannu"),
    "first_contact": ("First contact", "Cyswllt cyntaf"),
    # the other SLA milestones (second edition), named on the case page's deadlines and the dashboard
    "escalation_response": ("Escalation response", "Ymateb i'r uwchgyfeiriad"),
    "safeguarding_decision": ("Safeguarding decision", "Penderfyniad diogelu"),
    "complaint_acknowledgement": ("Complaint acknowledgement", "Cydnabod y gŵyn"),
    "complaint_response": ("Complaint response", "Ymateb i'r gŵyn"),
    "informed": ("Informed", "Wedi cael gwybodaeth"),
    "involved": ("Involved", "Wedi cymryd rhan"),
    "negotiated": ("Negotiated", "Wedi negodi"),
    "personal_achieved": ("Personal outcome achieved", "Canlyniad personol wedi'i gyflawni"),
    "empowered": ("Empowered", "Wedi'i rymuso"),
    "yes": ("Yes", "Ydy"),
    "partly": ("Partly", "Yn rhannol"),
    "no": ("No", "Nac ydy"),
    "resolved": ("Resolved", "Wedi'i ddatrys"),
    "remedy_accepted": ("Remedy accepted", "Derbyniwyd yr adferiad"),
    "improved": ("Improved", "Wedi gwella"),
    "contract_continued": ("Contract continued", "Parhawyd â'r contract"),
    "decommissioned": ("Decommissioned", "Datgomisiynwyd"),
    "cancelled": ("Cancelled", "Wedi'i ganslo"),
    "in_progress": ("In progress", "Ar y gweill"),
    "analyse": ("Analyse", "Dadansoddi"),
    "plan": ("Plan", "Cynllunio"),
    "deliver": ("Deliver", "Cyflawni"),
    "review": ("Review", "Adolygu"),
    "eligible": ("Eligible", "Yn gymwys"),
    "not_eligible": ("Not eligible", "Ddim yn gymwys"),
    "pending": ("Pending", "Yn yr arfaeth"),
}
# The quarterly return's CSV columns: the figure (a dotted key, never translated) and its value.
CSV_HEADERS = {"en": ("figure", "value"), "cy": ("ffigur", "gwerth")}


def labels(language: str = "en") -> dict[str, str]:
    """Each name of the vocabulary as people read it in ``language`` ("en" or "cy"; others: English)."""
    index = 1 if language == "cy" else 0
    return {key: pair[index] for key, pair in _LABELS.items()}


def label(key: str, language: str = "en") -> str:
    return labels(language).get(key, key.replace("_", " ").capitalize())
