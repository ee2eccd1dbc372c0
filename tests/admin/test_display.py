"""How values read on screen: JST times, はい/いいえ, 令和 fiscal years, numbers without ".0"."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from kyodo_admin.clock import local_datetime
from kyodo_admin.extensions import db
from kyodo_admin.models import AuditEvent, Role

from ..conftest import enter_city
from ..factories import (
    CityFactory,
    CompletionReportFactory,
    EvaluationFactory,
    IndicatorFactory,
    OrganizationFactory,
    ProjectFactory,
    ProjectPlanFactory,
    ProposalFactory,
    UserFactory,
)


def test_naive_and_aware_utc_become_jst():
    assert local_datetime(dt.datetime(2026, 11, 24, 23, 30)) == "2026-11-25 08:30"
    assert local_datetime(dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC), seconds=True) == \
        "2027-01-01 00:00:00"
    assert local_datetime(None) == ""


def test_details_lists_exports_and_the_audit_trail_show_jst(client, login_as):
    city = CityFactory()
    enter_city(city)
    organization = OrganizationFactory(city=city, name="時刻の会")
    organization.created_at = dt.datetime(2026, 11, 24, 23, 30, tzinfo=dt.UTC)
    db.session.commit()
    db.session.execute(update(AuditEvent).where(AuditEvent.model == "organization").values(
        created_at=dt.datetime(2026, 11, 24, 23, 30, 15, tzinfo=dt.UTC)))  # the trail is append-only
    db.session.commit()
    login_as(UserFactory(city=city))
    details = client.get(f"/admin/organization/details/?id={organization.id}").get_data(as_text=True)
    assert "2026-11-25 08:30" in details and "2026-11-24 23:30" not in details
    trail = details[details.index('id="audit-trail"'):]
    assert "2026-11-25 08:30:15" in trail


def test_the_user_list_and_its_export_show_last_login_in_jst(client, login_as):
    city = CityFactory()
    enter_city(city)
    UserFactory(city=city, username="jikoku", last_login_at=dt.datetime(2026, 3, 31, 15, 5))
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    assert "2026-04-01 00:05" in client.get("/admin/user/").get_data(as_text=True)
    export = client.get("/admin/user/export/csv/").get_data(as_text=True)
    assert "2026-04-01 00:05" in export and "2026-03-31" not in export


def test_yes_no_and_fiscal_years_read_in_japanese(client, login_as):
    city = CityFactory()
    enter_city(city)
    proposal = ProposalFactory(city=city, needs_budget=False, received_on=dt.date(2026, 5, 1))
    login_as(UserFactory(city=city))
    details = client.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    assert "いいえ" in details and ">False<" not in details and "令和8年度" in details
    assert "令和8年度" in client.get("/admin/proposal/").get_data(as_text=True)
    trail = details[details.index('id="audit-trail"'):]
    assert "→ いいえ" in trail and "False" not in trail


def test_indicator_values_read_as_numbers(client, login_as):
    city = CityFactory()
    enter_city(city)
    project = ProjectFactory(city=city, status="reported")
    plan = ProjectPlanFactory(city=city, project=project, fiscal_year=2026)
    IndicatorFactory(city=city, project_plan=plan, name="配布部数", unit="部", target_value=3000,
                     actual_value=3200)
    IndicatorFactory(city=city, project_plan=plan, name="満足度", unit="%", target_value=80,
                     actual_value=84.5)
    report = CompletionReportFactory(city=city, project=project, fiscal_year=2026,
                                     submitted_on=dt.date(2027, 4, 20))
    EvaluationFactory(city=city, project=project, completion_report=report, side="city")
    login_as(UserFactory(city=city))
    html = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    assert "3,000部" in html and "3,200部" in html and "106.7%" in html
    assert "84.5%" in html and "3000.0" not in html


def test_the_audit_trail_names_referenced_records(client, login_as):
    city = CityFactory()
    enter_city(city)
    organization = OrganizationFactory(city=city, name="NPO法人 名前の会")
    proposal = ProposalFactory(city=city, organization=organization)
    login_as(UserFactory(city=city))
    details = client.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    trail = details[details.index('id="audit-trail"'):]
    assert "→ NPO法人 名前の会" in trail
    assert f"→ {city.name}" in trail  # the city column too


def test_a_project_page_shows_its_fields_in_reading_order(client, login_as):
    city = CityFactory()
    enter_city(city)
    project = ProjectFactory(city=city, title="順序の事業")
    login_as(UserFactory(city=city))
    html = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    table = html[html.index("<table"):]
    assert table.index("件名") < table.index("団体") < table.index("開始日")
    assert "{}" not in table


def test_lists_link_their_records_and_hide_the_city_from_its_own_users(client, login_as):
    city = CityFactory(name="鎌倉市")
    enter_city(city)
    proposal = ProposalFactory(city=city, title="海辺の清掃")
    project = ProjectFactory(city=city, title="海辺の清掃事業", budget_amount=1_200_000,
                             start_date=dt.date(2026, 4, 1))
    login_as(UserFactory(city=city))
    listing = client.get("/admin/proposal/").get_data(as_text=True)
    assert f'<a href="/admin/proposal/details/?id={proposal.id}">海辺の清掃</a>' in listing
    assert "col-title" in listing and "col-city" not in listing  # no city column for a city's user
    details = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    assert "鎌倉市" not in details.split("<table")[1]  # the record's table (the navbar names it)
    projects = client.get("/admin/project/").get_data(as_text=True)
    assert "1,200,000円" in projects and "令和8年4月1日" in projects
    export = client.get("/admin/project/export/csv/").get_data(as_text=True)
    assert "1200000" in export and "1,200,000円" not in export  # a number for the spreadsheet
    assert "2026-04-01" in export and "自治体" not in export.splitlines()[0]


def test_the_system_admin_still_sees_the_city(client, login_as):
    city = CityFactory(name="鎌倉市")
    enter_city(city)
    ProposalFactory(city=city, title="海辺の清掃")
    login_as(UserFactory(city=None, role=Role.SYSTEM_ADMIN.value))
    listing = client.get("/admin/proposal/").get_data(as_text=True)
    assert "col-city" in listing and "鎌倉市" in listing


def test_a_records_own_page_does_not_link_its_title_to_itself(client, login_as):
    city = CityFactory()
    enter_city(city)
    project = ProjectFactory(city=city, title="海辺の清掃事業")
    login_as(UserFactory(city=city))
    details = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    assert f'<a href="/admin/project/details/?id={project.id}">海辺の清掃事業</a>' not in details
