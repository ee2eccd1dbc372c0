"""Creating proposals in the back office: receipt numbers per city and fiscal year."""

from __future__ import annotations

from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import Proposal

from .conftest import form_page
from .factories import CityFactory, ProposalFactory, UserFactory


def create(client, **fields):
    _html, values = form_page(client, "/admin/proposal/new/")
    values.update(fields)
    response = client.post("/admin/proposal/new/", data=values)
    assert response.status_code == 302
    return db.session.execute(select(Proposal).where(Proposal.title == fields["title"])).scalar_one()


def test_receipt_numbers_follow_the_fiscal_year_and_the_city(client, login_as):
    city, other = CityFactory(), CityFactory()
    ProposalFactory(city=other, receipt_number="2026-007")
    login_as(UserFactory(city=city))
    first = create(client, title="一件目", received_on="2026-04-01")
    second = create(client, title="二件目", received_on="2027-03-31")
    next_year = create(client, title="翌年度", received_on="2027-04-01")
    assert (first.receipt_number, second.receipt_number) == ("2026-001", "2026-002")
    assert (first.fiscal_year, second.fiscal_year) == (2026, 2026)
    assert (next_year.receipt_number, next_year.fiscal_year) == ("2027-001", 2027)
    assert first.status == "submitted" and first.city_id == city.id


def test_status_cannot_be_posted(client, login_as):
    login_as(UserFactory(city=CityFactory()))
    proposal = create(client, title="状態を書き換えたい", status="adopted")
    assert proposal.status == "submitted"
