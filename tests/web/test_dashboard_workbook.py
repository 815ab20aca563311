"""The dashboard's link to the quarterly return as a spreadsheet: the viewer's figures, in the page's language."""

from __future__ import annotations

from service.cases.reports import workbook
from tests.reports import conftest as report_fixtures
from tests.reports.quarter import EXPECTED_COMMISSIONER, build
from tests.reports.test_workbook import TITLES, assert_workbook_is

# The report tests' fixtures: every diagram deployed, the SLAs north and south, casework helpers.
deployment = report_fixtures.deployment
casework = report_fixtures.casework
XLSX = "/dashboard/quarterly.xlsx?sla=north&quarter=2026Q1"


def test_the_dashboard_link_downloads_the_viewers_figures(casework, web):
    build(casework)
    browser = web("commissioner1")
    page = browser.get("/dashboard?quarter=2026Q1", headers={"Accept-Language": "cy"})
    assert page.status_code == 200
    link = "/dashboard/quarterly.xlsx?sla=north&amp;quarter=2026Q1"
    assert link in browser.last
    r = browser.client.get(link.replace("&amp;", "&"), headers={"Accept-Language": "cy"})
    assert r.status_code == 200 and r.mimetype == workbook.MEDIA_TYPE
    labels = assert_workbook_is(r.get_data(), EXPECTED_COMMISSIONER, "cy")
    assert list(labels) == TITLES["cy"]
    # Bad input: the report's own refusals; anonymous: to the log-in page.
    assert browser.client.get("/dashboard/quarterly.xlsx?sla=north&quarter=2026Q9").status_code == 422
    assert browser.client.get("/dashboard/quarterly.xlsx?sla=nope&quarter=2026Q1").status_code == 422
    assert web().client.get("/dashboard/quarterly.xlsx?sla=north&quarter=2026Q1").status_code in (302, 303)
    assert (
        web("advocate1").client.get("/dashboard/quarterly.xlsx?sla=north&quarter=2026Q1").status_code == 403
    )
