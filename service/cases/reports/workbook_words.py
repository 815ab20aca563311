"""What people read in the quarterly return's spreadsheet: sheet titles, column headers and figure names.

The names of the return's sections and figures (``referrals``, ``by_source``, ``median_working_hours`` ...)
in English and Welsh (docs/glossary-cy.md).  A name not listed here falls back to the vocabulary's labels
(``vocabulary.labels``), then to the name itself made readable, so a section added to the return later
still gets a sheet and rows.
"""

from __future__ import annotations

from service.cases.reports import vocabulary

# The three columns of every sheet: the figure for people, its key for machines, its value.
COLUMNS = {"en": ("Figure", "Key", "Value"), "cy": ("Ffigur", "Allwedd", "Gwerth")}
SUMMARY = {"en": "Summary", "cy": "Crynodeb"}

_WORDS: dict[str, tuple[str, str]] = {
    # the sections of the return
    "referrals": ("Referrals", "Atgyfeiriadau"),
    "eligibility": ("Eligibility", "Cymhwystra"),
    "response_times": ("Response times", "Amseroedd ymateb"),
    "escalations": ("Escalations", "Uwchgyfeiriadau"),
    "cases": ("Cases", "Achosion"),
    "outcomes": ("Outcomes", "Canlyniadau"),
    "stories": ("Stories", "Straeon"),
    "safeguarding": ("Safeguarding", "Diogelu"),
    "complaints": ("Complaints", "Cwynion"),
    "equality": ("Equality", "Cydraddoldeb"),
    "ended_early": ("Ended early", "Daeth i ben yn gynnar"),
    "welsh_medium": ("Welsh-medium", "Cyfrwng Cymraeg"),
    # the summary
    "sla": ("Service level agreement", "Cytundeb lefel gwasanaeth"),
    "quarter": ("Quarter", "Chwarter"),
    "from": ("From", "O"),
    "to": ("To", "I"),
    "voice_heard_rate": ("Voice heard (%)", "Llais wedi'i glywed (%)"),
    "as_of": ("Computed at", "Wedi'i gyfrifo am"),
    "stale": ("Not yet brought up to date", "Heb ei ddiweddaru eto"),
    # the figures inside the sections
    "total": ("Total", "Cyfanswm"),
    "by_source": ("By source", "Yn ôl ffynhonnell"),
    "by_advocacy_type": ("By advocacy type", "Yn ôl math o eiriolaeth"),
    "by_urgency": ("By urgency", "Yn ôl brys"),
    "by_outcome": ("By outcome", "Yn ôl canlyniad"),
    "met": ("Met", "Wedi'i gyrraedd"),
    "missed": ("Missed", "Wedi'i fethu"),
    "median_working_hours": ("Median working hours", "Oriau gwaith canolrifol"),
    "p90_working_hours": ("90th percentile working hours", "Oriau gwaith y 90fed canradd"),
    "started": ("Started", "Wedi dechrau"),
    "level_2": ("Reached level 2", "Wedi cyrraedd lefel 2"),
    "contract_review": ("Contract review", "Adolygiad o'r contract"),
    "open": ("Open", "Ar agor"),
    "closed": ("Closed", "Wedi cau"),
    "outcome_story": ("Outcome story", "Stori'r canlyniad"),
    "advocacy_type": ("Advocacy type", "Math o eiriolaeth"),
    "item": ("Item %d", "Eitem %d"),
}


def word(key: str, language: str = "en") -> str:
    """``key`` as people read it in ``language`` ("cy" or else English)."""
    pair = _WORDS.get(key)
    if pair is not None:
        return pair[1 if language == "cy" else 0]
    return vocabulary.label(key, language)


def item(index: int, language: str = "en") -> str:
    """The ``index``-th (from 0) entry of a list, e.g. "Item 1"."""
    return word("item", language) % (index + 1)


def columns(language: str = "en") -> tuple[str, str, str]:
    return COLUMNS.get(language, COLUMNS["en"])


def summary(language: str = "en") -> str:
    return SUMMARY.get(language, SUMMARY["en"])
