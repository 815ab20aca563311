"""The dashboard's panels for the return's second-edition sections, in English and in Welsh.

The data is ``tests/reports/additions.py``'s quarter, whose every figure is known: the page shows the
API's figures (a commissioner's suppressed), labelled in the reader's language, in tables a screen
reader can read (caption, header cells), and the complaints and ended-early charts never draw a
count under 5 to scale.
"""

from __future__ import annotations

import html
import re

import pytest

from tests.reports import additions
from tests.reports import conftest as report_fixtures
from tests.web.test_dashboard import SVG, as_shown, chart, figures_of, flatten, sla_sections

deployment = report_fixtures.deployment
casework = report_fixtures.casework
NEW = (
    "safeguarding.",
    "complaints.",
    "equality.",
    "ended_early.",
    "welsh_medium.",
    "outcomes.rights_upheld.",
)


def _page(web, user: str, language: str = "en") -> str:
    browser = web(user)
    response = browser.get("/dashboard?quarter=2026Q1", headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("user", ["commissioner1", "manager1"])
def test_the_new_panels_show_the_api_figures(casework, web, user):
    additions.build(casework)
    north = sla_sections(_page(web, user))["north"]
    shown = figures_of(north)
    api = casework.s.get("/reports/quarterly?sla=north&quarter=2026Q1", user).get_json()
    expected = flatten(api)
    for name, value in expected.items():
        if name.startswith(NEW):
            assert shown[name] == as_shown(name, value), name
    if user == "commissioner1":
        assert shown["equality.age_band.25_34"] == "<5" and shown["safeguarding.referred"] == "<5"
        assert shown["complaints.received"] == "5" and shown["ended_early.moved_out_of_area"] == "5"
    else:
        assert shown["equality.age_band.25_34"] == "1" and shown["safeguarding.referred"] == "4"
    assert shown["safeguarding.concerns"] == "7" and shown["voice_heard_rate"] == "66.7%"


def test_the_panels_are_accessible_tables_and_charts(casework, web):
    additions.build(casework)
    north = sla_sections(_page(web, "commissioner1"))["north"]
    for field in additions.EXPECTED["equality"]:
        table = re.search(rf'<table data-equality="{field}">(.*?)</table>', north, re.S)
        assert table, field
        assert "<caption>" in table.group(1) and '<th scope="row">' in table.group(1)
    complaints = chart(north, "chart-complaints-north")
    assert complaints.get("role") == "img" and "Complaints" in complaints.get("aria-label")
    markers = [g.get("data-value") for g in complaints.iter(f"{SVG}g") if g.get("class") == "suppressed"]
    drawn = [g.get("data-value") for g in complaints.iter(f"{SVG}g") if g.get("class") == "segment"]
    # received 5 drawn; acknowledged 4, responded 2, upheld 1, not upheld 2, withdrawn 1, in progress 1: markers
    assert drawn == ["5"] and markers == ["<5"] * 6
    ended = chart(north, "chart-ended-early-north")
    assert [g.get("data-value") for g in ended.iter(f"{SVG}g") if g.get("class") == "segment"] == ["5"]
    assert "count from 1 to 4" in north


def test_the_panels_in_welsh(casework, web):
    additions.build(casework)
    markup = sla_sections(_page(web, "manager1", "cy"))["north"]
    north = html.unescape(markup)
    for welsh in (
        "Pryderon diogelu am atgyfeiriadau'r chwarter hwn",
        "Pryderon diogelu a godwyd",
        "Cwynion a dderbyniwyd",
        "Monitro cydraddoldeb a chyfathrebu",
        "Band oedran",
        "Heb ei gofnodi",
        "Iaith Arwyddion Prydain",
        "Symudodd yr unigolyn o'r ardal",
        "Eiriolaeth cyfrwng Cymraeg",
        "Hawliau wedi'u cynnal (heb gyfarwyddyd)",
        "Llais wedi'i glywed (achosion a gyfarwyddir)",
    ):
        assert welsh in north, welsh
    for english in ("Complaints received", "Age band", "Not recorded", "Safeguarding concerns raised"):
        assert english not in north, english
    assert figures_of(markup)["equality.age_band.25_34"] == "1"
    english = sla_sections(_page(web, "manager1"))["north"]
    assert "Complaints received" in english and "Pryderon diogelu" not in english
