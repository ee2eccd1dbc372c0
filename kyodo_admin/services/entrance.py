"""The public entrance (協働エントランス): anyone submits a basic sheet without logging in.

The submission arrives as a submitted Proposal with its receipt number, filled
against the city's current basic-sheet form; the proposing organization is
found by name in the city or registered. The caller scopes the session to the
city and commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..models.city import City
from ..models.form_definition import FormDefinition
from ..models.organization import Organization
from ..models.proposal import Proposal
from .audit import record_event
from .form_definitions import link_attachments
from .proposals import assign_receipt_number


@dataclass(frozen=True)
class Submission:
    title: str
    proposer_type: str
    organization_name: str
    org_type: str
    representative: str
    email: str
    phone: str
    postal_code: str
    address: str
    needs_budget: bool
    budget_amount: int | None
    summary: str
    answers: dict[str, Any]
    #: The receipt number of an earlier proposal this one proposes again, as the proposer says.
    reproposal_of: str = ""

    def proposer(self) -> dict[str, str]:
        """What the proposer entered about themselves, kept on the proposal as entered."""
        return {"organization_name": self.organization_name.strip(), "org_type": self.org_type,
                "representative": self.representative, "email": self.email,
                "phone": self.phone, "postal_code": self.postal_code, "address": self.address}


def submit_proposal(session: Session, city: City, submission: Submission,
                    definition: FormDefinition | None, today: dt.date | None = None) -> Proposal:
    """Register a public submission as a received proposal (受付済) with a receipt number."""
    name = submission.organization_name.strip()
    organization = session.execute(select(Organization).where(
        Organization.city_id == city.id, Organization.name == name)).scalar_one_or_none()
    if organization is None:
        organization = Organization(city_id=city.id, name=name, org_type=submission.org_type,
                                    representative=submission.representative,
                                    email=submission.email, phone=submission.phone,
                                    postal_code=submission.postal_code, address=submission.address,
                                    note="協働エントランス（公開ページ）からの提案で登録")
        session.add(organization)
    proposal = Proposal(city_id=city.id, title=submission.title.strip(), status="submitted",
                        proposer_type=submission.proposer_type, organization=organization,
                        received_on=today or clock.today(),
                        needs_budget=submission.needs_budget,
                        budget_amount=submission.budget_amount, summary=submission.summary,
                        answers=submission.answers, form_definition=definition,
                        submitted_by=submission.proposer(),
                        claimed_parent_receipt=submission.reproposal_of or None)
    session.add(proposal)
    session.flush()
    link_attachments(session, proposal)
    assign_receipt_number(session, proposal)
    session.flush()
    record_event(session, proposal, "transition", comment="協働エントランス（公開ページ）から受付",
                 changes={"status": [None, "submitted"]})
    return proposal
