"""Proposal use cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import func, select, text
from sqlalchemy.orm import scoped_session

from .. import clock
from ..errors import ValidationFailed
from ..models.base import fiscal_year_of
from ..models.council import Review
from ..models.proposal import AWAITING_STEP2, Proposal
from ..sessions import Session
from ..workflow.deadlines import BudgetTiming, budget_timing, settings_for, step2_deadline

#: Advisory-lock namespace for receipt numbering (the key is the city id).
RECEIPT_LOCK = 7301


def assign_receipt_number(session: Session, proposal: Proposal) -> None:
    """Give a proposal its receipt number (受付番号) ``<fiscal year>-<serial>`` in its city.

    The received date defaults to today. The city comes from the tenancy (or
    the proposal itself for the CLI), so numbering is per city and fiscal year.
    """
    if proposal.received_on is None:
        proposal.received_on = clock.today()
    if proposal.receipt_number:
        return
    year = fiscal_year_of(proposal.received_on)
    prefix = f"{year}-"
    city_id = proposal.city_id or (proposal.city.id if proposal.city is not None else None)
    numbered = _numbered(session)
    key = (city_id, prefix)
    if key not in numbered:
        numbered[key] = _top_serial(session, city_id, prefix)
    numbered[key] += 1
    proposal.receipt_number = f"{prefix}{numbered[key]:03d}"


def _numbered(session: Session) -> dict[tuple[int | None, str], int]:
    """The last serial given per city and year in this transaction, flushed or not: an import
    numbers thousands of proposals in one transaction and flushes once."""
    actual = session() if isinstance(session, scoped_session) else session
    transaction = actual.get_transaction() or actual.begin()
    kept = session.info.get("receipt_numbers")
    if kept is None or kept[0] is not transaction:
        kept = session.info["receipt_numbers"] = (transaction, {})
    numbered: dict[tuple[int | None, str], int] = kept[1]
    return numbered


def _top_serial(session: Session, city_id: int | None, prefix: str) -> int:
    """The highest serial the city's proposals of the year have in the database."""
    if session.get_bind().dialect.name == "postgresql":
        # Two submissions at once (the public entrance) must not both take the next number:
        # the second waits here until the first commits (the lock is the transaction's).
        # SQLite writers are serial already.
        session.execute(text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
                        {"namespace": RECEIPT_LOCK, "key": city_id or 0})
    with session.no_autoflush:
        stmt = select(Proposal.receipt_number).where(Proposal.receipt_number.like(prefix + "%"))
        if city_id is not None:
            stmt = stmt.where(Proposal.city_id == city_id)
        # The highest serial first (longest, then greatest); a number written by hand that
        # is not a serial (2026-A1) is passed over.
        stmt = stmt.order_by(func.length(Proposal.receipt_number).desc(),
                             Proposal.receipt_number.desc())
        top = next((int(n[len(prefix):]) for n in session.execute(stmt.limit(20)).scalars()
                    if n is not None and n[len(prefix):].isdigit()), None)
        if top is None:  # twenty hand-written ones on top (or none at all): look at every one
            top = max((int(n[len(prefix):]) for n in session.execute(stmt).scalars()
                       if n is not None and n[len(prefix):].isdigit()), default=0)
    return top


def lineage(proposal: Proposal) -> list[Proposal]:
    """The whole chain of proposals and re-proposals this one belongs to, oldest first
    (branches in order of their ids)."""
    root = proposal
    seen = {root.id}
    while root.parent is not None and root.parent.id not in seen:
        root = root.parent
        seen.add(root.id)
    chain: list[Proposal] = []

    def walk(node: Proposal) -> None:
        chain.append(node)
        for child in sorted(node.children, key=lambda p: p.id):
            walk(child)

    walk(root)
    return chain


def advice_answered(session: Session, proposal: Proposal) -> Review | None:
    """The review (with reasons and advice) of the proposal this one proposes again."""
    if proposal.parent_id is None:
        return None
    return session.execute(select(Review).where(Review.proposal_id == proposal.parent_id)
                           .order_by(Review.step.desc(), Review.id.desc()).limit(1)
                           ).scalar_one_or_none()


@dataclass(frozen=True)
class ProposalDeadlines:
    """The deadlines a proposal's page shows (the city's settings)."""

    budget: BudgetTiming | None   # a proposal that needs a budget: late or not, which year
    step2_due: dt.date | None     # while the step-2 decision is still to come


def proposal_deadlines(proposal: Proposal) -> ProposalDeadlines:
    settings = settings_for(proposal.city)
    budget = budget_timing(proposal.received_on, settings) \
        if proposal.needs_budget and proposal.received_on else None
    # A late budget proposal taken for the next year is decided in that year's step 2.
    year = proposal.fiscal_year
    if year and budget is not None and budget.late and settings["late_budget_proposal"] == "next_year":
        year += 1
    step2_due = step2_deadline(year, settings) \
        if proposal.status in AWAITING_STEP2 and year else None
    return ProposalDeadlines(budget, step2_due)


def confirm_reproposal(session: Session, proposal: Proposal) -> Proposal:
    """Link a proposal to the earlier one whose receipt number the proposer named (再提案),
    once staff have checked it; the old one's reasons and advice then show with it."""
    receipt = (proposal.claimed_parent_receipt or "").strip()
    if not receipt:
        raise ValidationFailed(gettext("この提案には、再提案とする前の受付番号が書かれていません。"))
    if proposal.parent_id is not None:
        raise ValidationFailed(gettext("この提案は、すでに前の提案と結び付いています。"))
    earlier = session.execute(select(Proposal).where(
        Proposal.city_id == proposal.city_id, Proposal.receipt_number == receipt)
    ).scalar_one_or_none()  # city-scoped as well by the session
    if earlier is None:
        raise ValidationFailed(gettext("受付番号 %(receipt)s の提案は見つかりません。番号を提案者に確認してください。", receipt=receipt))
    ancestor: Proposal | None = earlier
    while ancestor is not None:  # the earlier one may not be this one or one of its re-proposals
        if ancestor.id == proposal.id:
            raise ValidationFailed(gettext("この提案自身やその再提案を、前の提案にすることはできません。"))
        ancestor = ancestor.parent
    proposal.parent = earlier
    return earlier
