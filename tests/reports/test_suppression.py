"""Small-count suppression around the threshold: 4 cases are hidden from a commissioner, 5 are shown."""

from __future__ import annotations

import pytest

from tests.reports.conftest import Casework

YES = {
    f"outcome_{m}": "yes" for m in ("informed", "involved", "negotiated", "personal_achieved", "empowered")
}


def _closed(cw: Casework, n: int, sla: str) -> None:
    for i in range(n):
        received = f"2026-02-{2 + i:02d}T09:00:00+00:00"
        variables = {
            "person_ref": "B-1",
            "referral_source": "self",
            "advocacy_type": "imca",
            "urgency": "standard",
            "sla_key": sla,
            "eligible": True,
            "instruction": "instructed",
            "first_contact_at": f"2026-02-{2 + i:02d}T1{i}:00:00+00:00",
            "voice_heard": i % 2 == 0,
            "outcome_story": f"story {i}",
            "story_shareable": True,
            **YES,
        }
        cw.insert_referral(
            received,
            variables,
            status="completed",
            end_state="closed",
            milestones={"first_contact": ("cancelled", variables["first_contact_at"])},
        )


@pytest.mark.parametrize("n", [4, 5])
def test_threshold(casework, n):
    _closed(casework, n, "north")
    url = "/reports/quarterly?sla=north&quarter=2026Q1"
    exact = casework.s.get(url, "manager1").get_json()
    shown = casework.s.get(url, "commissioner1").get_json()
    # 1, 2 .. n hours (each on a working Monday to Friday): median and p90 by linear interpolation.
    median, p90 = (2.5, 3.7) if n == 4 else (3.0, 4.6)
    voice = 3 if n == 5 else 2
    assert exact["referrals"]["total"] == n and exact["cases"] == {"open": 0, "closed": n}
    assert exact["response_times"]["first_contact"] == {
        "met": n,
        "missed": 0,
        "pending": 0,
        "median_working_hours": median,
        "p90_working_hours": p90,
    }
    assert exact["outcomes"]["informed"] == {"yes": 100.0, "partly": 0.0, "no": 0.0}
    assert exact["voice_heard_rate"] == round(100 * voice / n, 1)
    if n == 4:
        assert shown["referrals"]["total"] == "<5"
        assert (
            shown["referrals"]["by_source"]["self"] == "<5" and shown["referrals"]["by_source"]["family"] == 0
        )
        assert shown["cases"] == {"open": 0, "closed": "<5"}
        assert shown["response_times"]["first_contact"] == {
            "met": "<5",
            "missed": 0,
            "pending": 0,
            "median_working_hours": None,
            "p90_working_hours": None,
        }
        assert shown["outcomes"]["informed"] == {"yes": None, "partly": None, "no": None}
        assert shown["voice_heard_rate"] is None
        # 4 closed imca cases: a story does not name its advocacy type (the exact return does)
        assert [s["advocacy_type"] for s in shown["stories"]] == [None] * n
        assert [s["advocacy_type"] for s in exact["stories"]] == ["imca"] * n
    else:
        assert shown == exact
        assert [s["advocacy_type"] for s in shown["stories"]] == ["imca"] * n  # kept at 5
    assert len(shown["stories"]) == n  # stories are shareable by consent, not counts
