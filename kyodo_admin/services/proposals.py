"""Proposal use cases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.base import fiscal_year_of
from ..models.proposal import Proposal


def assign_receipt_number(session: Session, proposal: Proposal) -> None:
    """Give a proposal its receipt number (受付番号) ``<fiscal year>-<serial>`` in its city.

    The received date defaults to today. The city comes from the tenancy (or
    the proposal itself for the CLI), so numbering is per city and fiscal year.
    """
    if proposal.received_on is None:
        proposal.received_on = dt.date.today()
    if proposal.receipt_number:
        return
    year = fiscal_year_of(proposal.received_on)
    prefix = f"{year}-"
    city_id = proposal.city_id or (proposal.city.id if proposal.city is not None else None)
    with session.no_autoflush:
        stmt = select(Proposal.receipt_number).where(Proposal.receipt_number.like(prefix + "%"))
        if city_id is not None:
            stmt = stmt.where(Proposal.city_id == city_id)
        numbers = [n for n in session.execute(stmt).scalars() if n is not None]
        serials = [int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit()]
    proposal.receipt_number = f"{prefix}{max(serials, default=0) + 1:03d}"
