"""Small numbers hidden from commissioners: a count from 1 to 4 becomes "<5", a rate over fewer than five
cases none (THRESHOLD), and a story names its advocacy type only when 5 or more cases of it closed."""

from __future__ import annotations

import json
from typing import Any

from service.cases.reports.vocabulary import ANSWERS

THRESHOLD = 5  # counts below this are suppressed for commissioners
# The sections whose every count (at any depth) is a count of people or cases.
COUNTED = ("safeguarding", "complaints", "equality", "ended_early", "welsh_medium")


def _small(n: Any) -> Any:
    return "<5" if isinstance(n, int) and not isinstance(n, bool) and 0 < n < THRESHOLD else n


def _every_count(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _every_count(v) for k, v in value.items()}
    return _small(value)


def suppress(report: dict[str, Any], sizes: dict[str, Any]) -> dict[str, Any]:
    """A commissioner's view: counts 1-4 as "<5"; rates over fewer than 5 cases as None.

    ``sizes`` (``compute_return``'s): per milestone, the number of cases its median and 90th
    percentile are over; ``closed``, ``instructed_closed``, ``non_instructed_closed`` and
    ``closed_by_advocacy_type``.  A size missing (a return stored before it was recorded) counts as
    0: the figure is hidden rather than shown unsafely.
    """
    out = json.loads(json.dumps(report))
    ref = out["referrals"]
    ref["total"] = _small(ref["total"])
    for group in ("by_source", "by_advocacy_type", "by_urgency"):
        ref[group] = {k: _small(v) for k, v in ref[group].items()}
    out["eligibility"] = {k: _small(v) for k, v in out["eligibility"].items()}
    for milestone, figures in out["response_times"].items():
        if sizes.get(milestone, 0) < THRESHOLD:
            figures["median_working_hours"] = figures["p90_working_hours"] = None
        for key in ("met", "missed", "pending"):
            figures[key] = _small(figures[key])
    esc = out["escalations"]
    for key in ("started", "level_2", "contract_review"):
        esc[key] = _small(esc[key])
    esc["by_outcome"] = {k: _small(v) for k, v in esc["by_outcome"].items()}
    closed = report["cases"]["closed"]
    out["cases"] = {k: _small(v) for k, v in out["cases"].items()}
    if closed < THRESHOLD:
        out["outcomes"] = {m: dict.fromkeys(answers) for m, answers in out["outcomes"].items()}
    if "rights_upheld" in out["outcomes"] and sizes.get("non_instructed_closed", 0) < THRESHOLD:
        out["outcomes"]["rights_upheld"] = dict.fromkeys(ANSWERS)
    if sizes.get("instructed_closed", 0) < THRESHOLD:
        out["voice_heard_rate"] = None
    for section in COUNTED:
        if section in out:
            out[section] = _every_count(out[section])
    by_type = sizes.get("closed_by_advocacy_type") or {}
    for story in out.get("stories", []):
        if by_type.get(story.get("advocacy_type"), 0) < THRESHOLD:
            story["advocacy_type"] = None
    return out
