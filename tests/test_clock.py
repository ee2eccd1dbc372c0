"""One clock in Japan's time: at 06:54 JST the UTC date is still yesterday, and every date
the app writes (受付日, receipt number's fiscal year, 事業完了日, report due date, document
date and file name) must be Japan's."""

from __future__ import annotations

import datetime as dt
import pathlib
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from kyodo_admin import clock
from kyodo_admin.extensions import db
from kyodo_admin.models import CompletionReport, Proposal, Role
from kyodo_admin.services.documents import document_filename
from kyodo_admin.services.workflow import apply_transition
from kyodo_admin.tenancy import scoped_to

from .conftest import csrf_from
from .factories import CityFactory, FormDefinitionFactory, ProjectFactory, UserFactory

#: 1 April 2026 06:54 in Japan: the first day of fiscal year 2026 (令和8年度), while UTC is
#: still on 31 March, the last day of fiscal year 2025.
MORNING_JST = dt.datetime(2026, 4, 1, 6, 54, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture
def morning():
    with time_machine.travel(MORNING_JST, tick=False):
        assert dt.datetime.now(dt.UTC).date() == dt.date(2026, 3, 31)  # the trap is armed
        yield


def test_today_is_japans_date_not_the_servers(morning):
    assert clock.today() == dt.date(2026, 4, 1)
    assert clock.local_now().hour == 6
    assert clock.now().tzinfo is dt.UTC


def test_the_zone_is_a_setting_and_an_unknown_zone_is_refused(morning):
    try:
        clock.configure("UTC")
        assert clock.today() == dt.date(2026, 3, 31)
        with pytest.raises(ValueError, match="unknown time zone"):
            clock.configure("Mars/Olympus")
    finally:
        clock.configure(None)
    assert clock.today() == dt.date(2026, 4, 1)


def test_a_proposal_received_at_dawn_is_dated_and_numbered_in_japans_fiscal_year(client, app,
                                                                                  morning):
    city = CityFactory(slug="minato")
    FormDefinitionFactory(city=city, kind="basic_sheet", status="published",
                          schema={"sections": [{"title": "内容", "fields": []}]})
    db.session.commit()
    html = client.get("/entrance/minato/").get_data(as_text=True)
    response = client.post("/entrance/minato/", data={
        "csrf_token": csrf_from(html), "title": "朝の見守り活動", "proposer_type": "npo",
        "organization_name": "見守りの会", "org_type": "npo", "representative": "朝田 一郎",
        "email": "asa@example.jp", "summary": "登校時の見守り。"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with scoped_to(city.id):
        proposal = db.session.execute(select(Proposal)).scalar_one()
    assert proposal.received_on == dt.date(2026, 4, 1)
    assert proposal.receipt_number == "2026-001"  # 令和8年度's first, not 2025's


def test_completion_report_and_document_dates_count_from_japans_day(app, morning):
    city = CityFactory()
    staff = UserFactory(city=city, role=Role.STAFF.value)
    project = ProjectFactory(city=city, status="running", start_date=dt.date(2025, 4, 1),
                             end_date=dt.date(2026, 3, 31))
    with scoped_to(city.id):  # the staff's request
        apply_transition(db.session, project, "complete", staff)
        db.session.flush()
        assert project.completed_on == dt.date(2026, 4, 1)
        report = db.session.execute(select(CompletionReport)).scalar_one()
        # One month after 1 April is 1 May 2026 (a Friday, not a holiday); the report is of
        # the project's year (令和7年度), whichever day it was completed on.
        assert report.due_on == dt.date(2026, 5, 1) and report.fiscal_year == 2025
        assert "20260401" in document_filename("completion_report", report)


def test_nothing_asks_the_servers_clock_directly():
    package = pathlib.Path(clock.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "clock.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bdate\.today\(|datetime\.now\(|datetime\.utcnow\(", line):
                offenders.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert offenders == []
