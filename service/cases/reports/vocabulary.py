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
