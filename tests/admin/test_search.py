"""A parent from a table that grows (proposals, projects, agreements, reports, reviews,
organizations) is searched for, never listed whole as <option>s."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm.interfaces import MANYTOONE

from kyodo_admin.admin import VIEWS
from kyodo_admin.admin.search import grows
from kyodo_admin.models import Role

from ..conftest import statements_of
from ..factories import (
    AgreementFactory,
    CityFactory,
    CompletionReportFactory,
    OrganizationFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
)

GROWING_FIELDS = [
    (endpoint, rel.key) for view, model, _c, endpoint in VIEWS
    for rel in inspect(model).relationships
    if rel.direction is MANYTOONE and grows(rel.mapper.class_)
    and rel.key in (getattr(view, "form_columns", None) or ())]


def test_every_form_field_over_a_growing_table_is_a_search(client, login_as):
    assert len(GROWING_FIELDS) >= 10, GROWING_FIELDS  # the walk reaches the forms it should
    city = CityFactory()
    for i in range(3):
        ProposalFactory(city=city, title=f"提案その{i}")
        AgreementFactory(city=city, title=f"協定その{i}")
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    for endpoint, key in GROWING_FIELDS:
        html = client.get(f"/admin/{endpoint}/new/").get_data(as_text=True)
        assert not re.search(rf'<select[^>]*name="{key}"', html), (endpoint, key)
        tag = re.search(rf'<input[^>]*name="{key}"[^>]*>', html)
        assert tag and 'data-role="select2-ajax"' in tag.group(0), (endpoint, key)
    assert "提案その" not in client.get("/admin/project/new/").get_data(as_text=True)


@pytest.mark.parametrize("endpoint,key,query,expected", [
    ("project", "proposal", "2026-0", "2026-002 海の提案"),  # by receipt number
    ("completion_report", "project", "海", "海の事業"),
    ("evaluation", "completion_report", "海の", "海の事業 事業報告書（2026年度）"),  # via project
    ("council_member", "organization", "うみ", "NPO法人 海の会"),  # by kana
])
def test_a_search_finds_by_its_fields_within_the_city(client, login_as, endpoint, key, query,
                                                      expected):
    city, other = CityFactory(), CityFactory()
    ProposalFactory(city=city, title="海の提案", receipt_number="2026-002")
    ProposalFactory(city=other, title="海の提案", receipt_number="2026-001")
    project = ProjectFactory(city=city, title="海の事業")
    ProjectFactory(city=other, title="海の事業（よそ）")
    CompletionReportFactory(city=city, project=project, fiscal_year=2026)
    OrganizationFactory(city=city, name="NPO法人 海の会", name_kana="うみのかい")
    OrganizationFactory(city=other, name="NPO法人 海の会（よそ）", name_kana="うみのかい")
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    found = client.get(f"/admin/{endpoint}/ajax/lookup/?name={key}&query={query}").get_json()
    assert [label for _id, label in found] == [expected]


def statements_for(client, url: str) -> tuple[int, int]:
    """(SQL statements, bytes of HTML) of one page."""
    return len(statements_of(client, url)), len(client.get(url).get_data())


PAGES = ["/admin/proposal/new/", "/admin/project/new/", "/admin/agreement/new/",
         "/admin/completion_report/new/", "/admin/evaluation/new/", "/admin/review/new/",
         "/admin/role_share/new/"]


def test_create_pages_cost_the_same_at_ten_times_the_records(client, login_as):
    """Statements and page size do not grow with the city's proposals, projects, agreements."""
    city = CityFactory()
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))

    def grow(count: int) -> None:
        for i in range(count):
            project = ProjectFactory(city=city, title=f"事業{i}")
            AgreementFactory(city=city, project=project, title=f"協定{i}")
            CompletionReportFactory(city=city, project=project)
            ProposalFactory(city=city, title=f"提案{i}")

    grow(3)
    small = {url: statements_for(client, url) for url in PAGES}
    grow(27)
    large = {url: statements_for(client, url) for url in PAGES}
    for url in PAGES:
        assert large[url][0] == small[url][0], (url, small[url], large[url])
        assert large[url][1] < small[url][1] + 200, (url, small[url], large[url])


# The same names typed by different people: full-width and half-width brackets, digits and
# katakana. A search for either spelling finds both records, in every list and every lookup.
SPELLINGS = ["協働カフェ事業（第2期）", "協働ｶﾌｪ事業(第２期)"]


@pytest.mark.parametrize("query", ["事業（第2期）", "事業(第２期)", "ｶﾌｪ", "カフェ", "カフェ 第2期"])
def test_a_list_search_finds_either_width(client, login_as, query):
    city = CityFactory()
    for title in SPELLINGS:
        ProposalFactory(city=city, title=title)
        ProjectFactory(city=city, title=title)
        OrganizationFactory(city=city, name=f"NPO法人 {title}")
    ProposalFactory(city=city, title="別の事業（第1期）")
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    for endpoint in ("proposal", "project", "organization"):
        html = client.get(f"/admin/{endpoint}/", query_string={"search": query}).get_data(
            as_text=True)
        for title in SPELLINGS:  # stored and shown as typed, found by either spelling
            assert title in html, (endpoint, query, title)
        assert "別の事業" not in html
        found = client.get(f"/admin/project/ajax/lookup/?name=proposal&query={query}").get_json()
        assert sorted(label.split(" ", 1)[1] for _id, label in found) == sorted(SPELLINGS)


def test_a_percent_sign_searched_is_a_percent_sign(client, login_as):
    city = CityFactory()
    ProposalFactory(city=city, title="参加率100%を目指す事業")
    ProposalFactory(city=city, title="参加率100人の事業")
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    html = client.get("/admin/proposal/", query_string={"search": "100％"}).get_data(as_text=True)
    assert "参加率100%を目指す事業" in html and "参加率100人の事業" not in html


@pytest.mark.postgresql
def test_the_folded_search_reads_the_trigram_index(app, backend):
    """On PostgreSQL the search's expression is the index's: a search reads the matching
    rows through the index, not the whole table."""
    if backend != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")
    from sqlalchemy import select, text

    from kyodo_admin.extensions import db
    from kyodo_admin.models import Project
    from kyodo_admin.models.base import holds

    query = select(Project.id).where(holds(Project.title, "ｶﾌｪ"))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in conn.execute(text("EXPLAIN " + sql)))
    assert "ix_project_title_fold_trgm" in plan, plan
