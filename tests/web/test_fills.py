"""A basic sheet whose fields fill the proposal's budget columns asks for them once,
at the entrance and in the back office, and the proposal gets the values."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import Proposal, Role
from kyodo_admin.tenancy import scoped_to

from ..conftest import csrf_from, form_page
from ..factories import CityFactory, FormDefinitionFactory, UserFactory

SCHEMA = {"sections": [{"title": "予算", "fields": [
    {"name": "purpose", "label": "提案の目的", "type": "textarea", "required": True},
    {"name": "budget_scale", "label": "予算規模（総事業費）", "type": "money",
     "fills": "budget_amount"},
    {"name": "budget_measure", "label": "予算措置の必要", "type": "radio", "required": True,
     "choices": ["必要", "不要"], "fills": {"column": "needs_budget", "equals": "必要"}},
]}]}


@pytest.fixture
def city(app):
    city = CityFactory(slug="minato", name="みなと市")
    FormDefinitionFactory(city=city, kind="basic_sheet", status="published", schema=SCHEMA)
    return city


def inputs(html: str) -> list[str]:
    return re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', html)


def test_the_entrance_asks_for_the_budget_once_and_the_proposal_gets_it(client, city):
    html = client.get("/entrance/minato/").get_data(as_text=True)
    names = inputs(html)
    assert "needs_budget" not in names and "budget_amount" not in names
    assert "answers__budget_measure" in names and "answers__budget_scale" in names
    response = client.post("/entrance/minato/", data={
        "csrf_token": csrf_from(html), "title": "川辺の清掃", "proposer_type": "npo",
        "organization_name": "NPO法人 川を守る会", "org_type": "npo", "representative": "川田 花子",
        "email": "info@kawa.example.jp", "summary": "川辺の清掃を行う。",
        "answers__purpose": "川を身近に", "answers__budget_scale": "600000",
        "answers__budget_measure": "必要"})
    assert response.status_code == 302
    with scoped_to(city.id):
        proposal = db.session.execute(select(Proposal)).scalar_one()
    assert (proposal.needs_budget, proposal.budget_amount) == (True, 600_000)
    assert proposal.answers["budget_measure"] == "必要"


def test_the_back_office_form_fills_the_columns_from_the_answers(client, city, login_as):
    city_id = city.id
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    html, values = form_page(client, "/admin/proposal/new/")
    assert "needs_budget" not in inputs(html) and "budget_amount" not in inputs(html)
    values.update({"title": "公園の花壇づくり", "answers__purpose": "花のある公園",
                   "answers__budget_scale": "120000", "answers__budget_measure": "不要"})
    assert client.post("/admin/proposal/new/", data=values).status_code == 302
    with scoped_to(city_id):
        proposal = db.session.execute(select(Proposal)).scalar_one()
        assert (proposal.needs_budget, proposal.budget_amount) == (False, 120_000)
        url = f"/admin/proposal/edit/?id={proposal.id}"
    _html, values = form_page(client, url)
    values.update({"answers__budget_measure": "必要", "needs_budget": "", "budget_amount": "1"})
    assert client.post(url, data=values).status_code == 302
    with scoped_to(city_id):
        proposal = db.session.execute(select(Proposal)).scalar_one()
    assert (proposal.needs_budget, proposal.budget_amount) == (True, 120_000)  # posted columns ignored


def test_a_city_without_fills_keeps_the_proposals_own_inputs(client, login_as):
    city = CityFactory()
    FormDefinitionFactory(city=city, kind="basic_sheet", status="published", schema={
        "sections": [{"title": "提案", "fields": [
            {"name": "purpose", "label": "提案の目的", "type": "textarea"}]}]})
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    html, _values = form_page(client, "/admin/proposal/new/")
    assert "needs_budget" in inputs(html) and "budget_amount" in inputs(html)
