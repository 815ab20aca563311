"""The quarterly return as a spreadsheet: every cell is the JSON return's figure, on both databases.

Opened with openpyxl, sheet by sheet and cell by cell, for a manager (exact) and a commissioner
(``"<5"`` as text), in English and Welsh, over HTTP, on the dashboard's link and from the command line;
and the builder alone on hostile reports (new sections, formulas, control characters, long titles).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook

from service.cases.reports import workbook
from service.cli import main
from tests.reports.quarter import EXPECTED, EXPECTED_COMMISSIONER, build

URL = "/api/v1/reports/quarterly?sla=north&quarter=2026Q1"
TITLES = {
    "en": [
        "Summary",
        "Referrals",
        "Eligibility",
        "Response times",
        "Escalations",
        "Cases",
        "Outcomes",
        "Safeguarding",
        "Complaints",
        "Equality",
        "Ended early",
        "Welsh-medium",
        "Stories",
    ],
    "cy": [
        "Crynodeb",
        "Atgyfeiriadau",
        "Cymhwystra",
        "Amseroedd ymateb",
        "Uwchgyfeiriadau",
        "Achosion",
        "Canlyniadau",
        "Diogelu",
        "Cwynion",
        "Cydraddoldeb",
        "Daeth i ben yn gynnar",
        "Cyfrwng Cymraeg",
        "Straeon",
    ],
}
HEADERS = {"en": ("Figure", "Key", "Value"), "cy": ("Ffigur", "Allwedd", "Gwerth")}


def _flat(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """The report's figures in its order: dotted key -> value (the CSV's names)."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _flat(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in _flat(v, f"{prefix}.{i}")]
    return [(prefix, value)]


def assert_workbook_is(data: bytes, report: dict, language: str) -> dict[str, dict[str, str]]:
    """Every cell of ``data`` against ``report``; returns per sheet the label of each key."""
    book = load_workbook(io.BytesIO(data))
    sections = [k for k, v in report.items() if isinstance(v, dict | list)]
    assert len(book.sheetnames) == 1 + len(sections)
    labels: dict[str, dict[str, str]] = {}
    for index, sheet in enumerate(book.worksheets):
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == HEADERS[language], sheet.title
        if index == 0:
            expected = [(k, v) for k, v in report.items() if k not in sections]
            # when it was computed (not a figure of ``report``): last on the summary, in the reader's words
            *rows, computed = rows
            assert (
                computed[1] == "as_of"
                and computed[0] == {"en": "Computed at", "cy": "Wedi'i gyfrifo am"}[language]
            )
            assert datetime.fromisoformat(computed[2]).tzinfo is not None
        else:
            expected = _flat(report[sections[index - 1]], sections[index - 1])
        assert [(key, value) for _, key, value in rows[1:]] == expected, sheet.title
        cell_rows = list(sheet.iter_rows(min_row=2))[: len(rows) - 1]  # without the summary's as_of
        for cells, (_, figure) in zip(cell_rows, expected, strict=True):
            label, value = cells[0].value, cells[2]
            assert isinstance(label, str) and label, sheet.title
            assert isinstance(value.value, str) is isinstance(figure, str), (sheet.title, label)  # "<5" text
            if isinstance(figure, float):  # a rate or hours: a number shown with one decimal
                assert value.data_type == "n" and value.number_format == "0.0", (sheet.title, label)
            elif isinstance(figure, int):
                assert value.data_type in ("n", "b"), (sheet.title, label)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", "a formula in the return"
        labels[sheet.title] = {key: label for label, key, _ in rows[1:]}
    return labels


def test_every_cell_is_the_json_figure(casework, database_url, tmp_path):
    build(casework)
    s = casework.s
    for user, expected in (("manager1", EXPECTED), ("commissioner1", EXPECTED_COMMISSIONER)):
        for language in ("en", "cy"):
            headers = {**s.headers(user), "Accept-Language": language}
            report = s.client.get(URL, headers=headers).get_json()
            assert {k: v for k, v in report.items() if k != "as_of"} == expected
            r = s.client.get(URL + "&format=xlsx", headers=headers)
            assert r.status_code == 200, r.get_data()[:300]
            assert r.mimetype == workbook.MEDIA_TYPE
            assert r.headers["Content-Disposition"] == 'attachment; filename="quarterly-north-2026Q1.xlsx"'
            labels = assert_workbook_is(r.get_data(), expected, language)
            assert list(labels) == TITLES[language]
    # Labels in the caller's language; the keys never change.
    english = assert_workbook_is(
        s.client.get(URL + "&format=xlsx", headers=s.headers("manager1")).get_data(), EXPECTED, "en"
    )
    welsh_data = s.client.get(
        URL + "&format=xlsx", headers={**s.headers("manager1"), "Accept-Language": "cy"}
    )
    welsh = assert_workbook_is(welsh_data.get_data(), EXPECTED, "cy")
    assert english["Referrals"]["referrals.by_source.social_worker"] == "By source: Social worker"
    assert (
        welsh["Atgyfeiriadau"]["referrals.by_source.social_worker"]
        == "Yn ôl ffynhonnell: Gweithiwr cymdeithasol"
    )
    assert english["Response times"]["response_times.first_contact.p90_working_hours"] == (
        "First contact: 90th percentile working hours"
    )
    assert welsh["Straeon"]["stories.1.outcome_story"] == "Eitem 2: Stori'r canlyniad"
    assert welsh["Crynodeb"]["sla"] == "Cytundeb lefel gwasanaeth"
    # A commissioner's "<5" is text, a manager's count a number.
    book = load_workbook(
        io.BytesIO(s.client.get(URL + "&format=xlsx", headers=s.headers("commissioner1")).get_data())
    )
    row = next(
        r for r in book["Referrals"].iter_rows(values_only=True) if r[1] == "referrals.by_source.family"
    )
    assert row[2] == "<5"
    row = next(r for r in book["Referrals"].iter_rows(values_only=True) if r[1] == "referrals.by_source.self")
    assert row[2] == 5

    # The command line writes the same workbook.
    runner = CliRunner()
    env = {"ADVOCACY_FLOW_DATABASE_URL": database_url}
    base = ["report", "quarterly", "--sla", "north", "--quarter", "2026Q1", "--format", "xlsx"]
    out = tmp_path / "q.xlsx"
    result = runner.invoke(main, [*base, "--output", str(out), "--as-role", "commissioner"], env=env)
    assert result.exit_code == 0, result.output
    assert_workbook_is(out.read_bytes(), EXPECTED_COMMISSIONER, "en")
    result = runner.invoke(main, [*base, "--output", str(out), "--language", "cy"], env=env)
    assert result.exit_code == 0, result.output
    assert list(assert_workbook_is(out.read_bytes(), EXPECTED, "cy")) == TITLES["cy"]
    text = tmp_path / "q.csv"
    result = runner.invoke(main, [*base[:-1], "csv", "--output", str(text), "--language", "cy"], env=env)
    assert result.exit_code == 0, result.output
    assert text.read_text().splitlines()[0] == "ffigur,gwerth"
    result = runner.invoke(main, base, env=env)  # never binary to a terminal
    assert result.exit_code == 2 and "--output" in result.output


def test_bad_format_is_422_and_the_media_type_is_documented(service):
    for fmt in ("xls", "XLSX", "xlsx;", ""):
        r = service.get(f"/reports/quarterly?sla=default&quarter=2026Q1&format={fmt}", "manager1")
        assert r.status_code == 422, fmt
        assert r.mimetype == "application/problem+json" and "format" in r.get_json()["errors"], fmt
    spec = service.client.get("/api/v1/openapi.json").get_json()
    content = spec["paths"]["/api/v1/reports/quarterly"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv", workbook.MEDIA_TYPE}
    [param] = [
        p for p in spec["paths"]["/api/v1/reports/quarterly"]["get"]["parameters"] if p["name"] == "format"
    ]
    assert param["schema"]["enum"] == ["json", "csv", "xlsx"]


def test_any_section_gets_a_sheet_and_text_stays_text():
    report = {
        "sla": "north",
        "quarter": "2026Q1",
        "from": "2026-01-01",
        "to": "2026-03-31",
        "referrals": {"total": 3},
        "safeguarding": {"concerns_raised": "<5", "by_kind": {"neglect": 0, "financial": 7}},
        "a_section_nobody_named_yet": {"x": None, "flag": True},
        "welsh_medium": [],
        "voice_heard_rate": None,
        "stories": [
            {"outcome_story": '=HYPERLINK("http://evil","x")', "advocacy_type": "imha"},
            {"outcome_story": "tab\there\x00\x07 bell", "advocacy_type": "care_act"},
        ],
    }
    data = workbook.workbook(report, "en")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [
        "Summary",
        "Referrals",
        "Safeguarding",
        "A section nobody named yet",
        "Welsh-medium",
        "Stories",
    ]
    summary = list(book["Summary"].iter_rows(values_only=True))
    assert summary[1:] == [
        ("Service level agreement", "sla", "north"),
        ("Quarter", "quarter", "2026Q1"),
        ("From", "from", "2026-01-01"),
        ("To", "to", "2026-03-31"),
        ("Voice heard (%)", "voice_heard_rate", None),
    ]
    rows = list(book["Safeguarding"].iter_rows(values_only=True))[1:]
    assert rows == [
        ("Concerns raised", "safeguarding.concerns_raised", "<5"),
        ("By kind: Neglect", "safeguarding.by_kind.neglect", 0),
        ("By kind: Financial", "safeguarding.by_kind.financial", 7),
    ]
    assert list(book["A section nobody named yet"].iter_rows(values_only=True))[1:] == [
        ("X", "a_section_nobody_named_yet.x", None),
        ("Flag", "a_section_nobody_named_yet.flag", True),
    ]
    assert list(book["Welsh-medium"].iter_rows(values_only=True)) == [("Figure", "Key", "Value")]
    story = book["Stories"]["C2"]
    assert story.data_type == "s" and story.value == '=HYPERLINK("http://evil","x")'  # never a formula
    assert book["Stories"]["C4"].value == "tab\there bell"  # what a spreadsheet cannot hold is left out
    assert "<f>" not in _sheet_xml(data, "sheet6")


def test_sheet_titles_excel_accepts():
    long = {f"{'very_long_section_name_' * 2}{n}": {"a": 1} for n in range(3)}
    odd = {"what/is:this?[x]*": {"a": 1}, "Summary": {"a": 2}}
    book = load_workbook(io.BytesIO(workbook.workbook({"sla": "x", **long, **odd}, "en")))
    titles = book.sheetnames
    assert len(titles) == 6 and len({t.lower() for t in titles}) == 6
    assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles)
    assert titles[4] == "What-is-this--x--" and titles[5] == "Summary (2)"


def _sheet_xml(data: bytes, name: str) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(f"xl/worksheets/{name}.xml").decode()
