"""Small numbers hidden from commissioners: a count from 1 to 4 becomes "<5", a rate over fewer than five
cases none (THRESHOLD)."""

from __future__ import annotations

import json
from typing import Any

from service.cases.reports.vocabulary import ANSWERS

THRESHOLD = 5  # counts below this are suppressed for commissioners


def _small(n: Any) -> Any:
    return "<5" if isinstance(n, int) and not isinstance(n, bool) and 0 < n < THRESHOLD else n


def suppress(report: dict[str, Any], timed: dict[str, int]) -> dict[str, Any]:
    """A commissioner's view: counts 1-4 as "<5"; rates over fewer than 5 cases as None.

    ``timed``: per milestone, the number of cases its median and 90th percentile are over.
    """
    out = json.loads(json.dumps(report))
    ref = out["referrals"]
    ref["total"] = _small(ref["total"])
    for group in ("by_source", "by_advocacy_type", "by_urgency"):
        ref[group] = {k: _small(v) for k, v in ref[group].items()}
    out["eligibility"] = {k: _small(v) for k, v in out["eligibility"].items()}
    for milestone, figures in out["response_times"].items():
        if timed.get(milestone, 0) < THRESHOLD:
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
        out["outcomes"] = {m: dict.fromkeys(ANSWERS) for m in out["outcomes"]}
        out["voice_heard_rate"] = None
    return out
