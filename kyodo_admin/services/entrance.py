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

from flask_babel import gettext
from sqlalchemy import select

from .. import clock
from ..errors import ValidationFailed
from ..models.base import fold, folded, holds, upsert_insert
from ..models.city import City
from ..models.form_definition import FormDefinition
from ..models.organization import Organization
from ..models.proposal import Proposal
from ..models.user import Throttle
from ..sessions import Session
from .configured_forms import apply_answers
from .workflow import PublicEntrance, apply_transition


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
    """Register a public submission as a received proposal (受付済) with a receipt number.

    The proposal keeps what the submitter entered about themselves (``submitted_by``) and is
    tied to no organization: anyone may type a registered NPO's name, so matching it to an
    organization is a staff step (``match_organization``), and no submission can collide
    with another naming the same new organization."""
    proposal = Proposal(city_id=city.id, title=submission.title.strip(), status="draft",
                        proposer_type=submission.proposer_type, organization=None,
                        received_on=today or clock.today(),
                        needs_budget=submission.needs_budget,
                        budget_amount=submission.budget_amount, summary=submission.summary,
                        answers=submission.answers, submitted_by=submission.proposer(),
                        claimed_parent_receipt=submission.reproposal_of or None)
    session.add(proposal)
    session.flush()
    if definition is not None:  # the columns its fields fill (予算措置の必要) come from them
        apply_answers(session, proposal, definition, submission.answers)
    # Received as staff receive one by hand: 受付する, with its receipt number and audit event.
    apply_transition(session, proposal, "submit", PublicEntrance(city.id),
                     comment="協働エントランス（公開ページ）から受付")
    return proposal


def suggested_organizations(session: Session, proposal: Proposal) -> list[Organization]:
    """Registered organizations the submitter may be: the same name, else a name containing
    what was entered, either compared folded (ｶﾌｪ is カフェ), city-scoped by the session."""
    name = ((proposal.submitted_by or {}).get("organization_name") or "").strip()
    if not name:
        return []
    same = session.execute(select(Organization).where(
        folded(Organization.name) == fold(name))).scalars().all()
    if same:
        return list(same)
    return list(session.execute(select(Organization).where(
        holds(Organization.name, name)).order_by(Organization.name).limit(5)).scalars())


def match_organization(session: Session, proposal: Proposal,
                       organization: Organization | None) -> Organization:
    """Staff tie a submitted proposal to a registered organization, or (``None``) register the
    one the submitter entered as a new organization."""
    if proposal.organization_id is not None:
        raise ValidationFailed(gettext("この提案の団体は確認済みです。"))
    entered = proposal.submitted_by or {}
    if organization is None:
        name = (entered.get("organization_name") or "").strip()
        if not name:
            raise ValidationFailed(gettext("提案者が入力した団体名がありません。一覧から団体を選んでください。"))
        taken = session.execute(select(Organization.id).where(
            Organization.city_id == proposal.city_id, Organization.name == name)).first()
        if taken:
            raise ValidationFailed(gettext("「%(name)s」は既に登録されています。登録済みの団体として確認してください。", name=name))
        organization = Organization(
            city_id=proposal.city_id, name=name, org_type=entered.get("org_type") or "other",
            representative=entered.get("representative") or "", email=entered.get("email") or "",
            phone=entered.get("phone") or "", postal_code=entered.get("postal_code") or "",
            address=entered.get("address") or "",
            note="協働エントランス（公開ページ）からの提案をもとに登録")
        session.add(organization)
    proposal.organization = organization
    session.flush()
    return organization


def seconds_to_wait(session: Session, key: str, interval: int) -> int:
    """Seconds left before ``key`` (an address at one city's entrance) may submit again."""
    last = session.execute(select(Throttle.last_at).where(Throttle.key == key)).scalar()
    if last is None:
        return 0
    if last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    return max(0, int((last - clock.now()).total_seconds()) + interval)


def note_submission(session: Session, key: str) -> None:
    """Remember now as ``key``'s last submission (an upsert; the caller commits)."""
    statement = upsert_insert(session.get_bind(), Throttle).values(key=key[:200],
                                                                   last_at=clock.now())
    session.execute(statement.on_conflict_do_update(index_elements=["key"],
                                                    set_={"last_at": statement.excluded.last_at}))
