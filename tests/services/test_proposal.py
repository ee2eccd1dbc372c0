"""Creating proposals in the back office: receipt numbers per city and fiscal year."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import Proposal
from kyodo_admin.services.proposals import assign_receipt_number
from kyodo_admin.sessions import KyodoSession
from kyodo_admin.tenancy import scoped_to

from ..conftest import form_page
from ..factories import CityFactory, ProposalFactory, UserFactory


def create(client, city_id: int, **fields):
    """A proposal made on the form, read back as its city's staff would."""
    _html, values = form_page(client, "/admin/proposal/new/")
    values.update(fields)
    response = client.post("/admin/proposal/new/", data=values)
    assert response.status_code == 302
    with scoped_to(city_id):
        proposal = db.session.execute(select(Proposal).where(
            Proposal.title == fields["title"])).scalar_one()
        db.session.expunge(proposal)  # read as it was saved, whatever the next request does
        return proposal


def test_receipt_numbers_follow_the_fiscal_year_and_the_city(client, login_as):
    city, other = CityFactory(), CityFactory()
    ProposalFactory(city=other, receipt_number="2026-007")
    city_id = city.id
    login_as(UserFactory(city=city))
    first = create(client, city_id, title="一件目", received_on="2026-04-01")
    second = create(client, city_id, title="二件目", received_on="2027-03-31")
    next_year = create(client, city_id, title="翌年度", received_on="2027-04-01")
    assert (first.receipt_number, second.receipt_number) == ("2026-001", "2026-002")
    assert (first.fiscal_year, second.fiscal_year) == (2026, 2026)
    assert (next_year.receipt_number, next_year.fiscal_year) == ("2027-001", 2027)
    assert first.status == "submitted" and first.city_id == city_id


def test_status_cannot_be_posted(client, login_as):
    city = CityFactory()
    login_as(UserFactory(city=city))
    proposal = create(client, city.id, title="状態を書き換えたい", status="adopted")
    assert proposal.status == "submitted"


def test_simultaneous_receipts_get_different_numbers(app, backend):
    """Two submissions at the same moment: the second waits for the first's number."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the lock is PostgreSQL's")
    city_id = CityFactory().id
    db.session.commit()
    engine = db.engine
    numbers: list[str] = []
    errors: list[BaseException] = []

    def second() -> None:
        try:  # a thread starts with no city: it names its own
            with app.app_context(), scoped_to(city_id), KyodoSession(db, bind=engine) as session:
                proposal = Proposal(city_id=city_id, title="後の提案", received_on=dt.date(2026, 5, 1))
                session.add(proposal)
                assign_receipt_number(session, proposal)
                session.commit()
                numbers.append(proposal.receipt_number)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=second)
    with scoped_to(city_id), KyodoSession(db, bind=engine) as first_session:
        first = Proposal(city_id=city_id, title="先の提案", received_on=dt.date(2026, 5, 1))
        first_session.add(first)
        assign_receipt_number(first_session, first)  # holds the lock until it commits
        thread.start()
        thread.join(timeout=1)
        waiting = thread.is_alive()
        first_session.commit()
        thread.join(timeout=10)
        assert waiting and not errors, errors  # the second waited for the first
        assert [first.receipt_number, *numbers] == ["2026-001", "2026-002"]
