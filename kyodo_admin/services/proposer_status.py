"""What a proposer sees after 送信: a mail with the receipt number, a copy of what was sent
and a link to a page that says where the proposal stands (受付済 → 検討中 → 結果のお知らせ済),
in plain words and nothing a council wrote.

The link holds a long random token; the proposal keeps only its SHA-256, so the token is
never read back from the database: a proposer who lost the mail asks for a new link with
the receipt number and the address the proposal was sent from, which replaces the old one.
A link stops working ``LINK_DAYS`` after the decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..formschema import cells
from ..models import City, Notice, Proposal, Review
from ..sessions import Session
from .notices import Recipient, add_notice

#: Days a status link keeps working after the proposal's decision.
LINK_DAYS = 90
#: A new link by mail at most once an hour per address (whatever receipt number is asked).
RESEND_INTERVAL = dt.timedelta(hours=1)
#: The proposal's states in the proposer's words.
RECEIVED, UNDER_REVIEW, DECIDED = "受付済", "検討中", "結果のお知らせ済"
STAGES = {"submitted": RECEIVED, "step1_review": UNDER_REVIEW, "passed": UNDER_REVIEW,
          "step2_review": UNDER_REVIEW, "returned": DECIDED, "rejected": DECIDED,
          "adopted": DECIDED, "not_adopted": DECIDED}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(proposal: Proposal) -> str:
    """A new link's token for the proposal (the one before stops working)."""
    token = secrets.token_urlsafe(32)
    proposal.status_token_hash = token_hash(token)
    return token


def status_url(city: City, token: str) -> str:
    base = str(current_app.config["KYODO_BASE_URL"]).rstrip("/")
    return f"{base}/entrance/{city.slug}/status/{token}"


def proposer_address(proposal: Proposal) -> str:
    """Where the proposer's mails go: the address entered at the entrance."""
    return ((proposal.submitted_by or {}).get("email") or "").strip()


def _mail_values(proposal: Proposal, url: str) -> dict[str, Any]:
    return {"proposal": {"receipt_number": proposal.receipt_number or "",
                         "title": proposal.title, "received_on": proposal.received_on},
            "status_url": url, "link_days": LINK_DAYS}


def _mail_link(session: Session, city: City, proposal: Proposal, kind: str, key: str) -> bool:
    """A mail of ``kind`` to the proposer with a new link to the status page."""
    to = proposer_address(proposal)
    name = (proposal.submitted_by or {}).get("representative") or to
    url = status_url(city, new_token(proposal))
    return add_notice(session, city, kind, key, Recipient(to, name), _mail_values(proposal, url),
                      record=proposal)


def mail_received(session: Session, city: City, proposal: Proposal) -> bool:
    """The proposer's mail on receipt: the receipt number, the basic sheet as received
    (attached when the mail is sent) and the status page's link."""
    return _mail_link(session, city, proposal, "proposal_received",
                      f"proposal_received:{proposal.id}")


def ask_again(session: Session, city: City, receipt_number: str, address: str) -> None:
    """A new link by mail when the receipt number and the address are a proposal's; the
    same answer and nothing sent otherwise, and at most one mail an hour per address."""
    address = cells.single_line(address).strip()
    if not address:
        return
    now = clock.now()
    recent = session.execute(select(func.count()).select_from(Notice).where(
        Notice.kind == "status_link", func.lower(Notice.recipient) == address.lower(),
        Notice.created_at > now - RESEND_INTERVAL)).scalar_one()
    if recent:
        return
    proposal = session.execute(select(Proposal).where(
        Proposal.receipt_number == receipt_number.strip())).scalar_one_or_none()
    if proposal is None or proposer_address(proposal).lower() != address.lower():
        return
    _mail_link(session, city, proposal, "status_link", f"status_link:{proposal.id}:{now.timestamp():.0f}")


@dataclass(frozen=True)
class Status:
    proposal: Proposal
    stage: str
    decided_on: dt.date | None
    #: The last day the link works (None: no decision yet).
    until: dt.date | None


def decided_on(session: Session, proposal: Proposal) -> dt.date | None:
    """The day of the decision the proposer was told of (the latest review's), or None."""
    if STAGES.get(proposal.status) != DECIDED:
        return None
    day = session.execute(select(func.max(Review.decided_on)).where(
        Review.proposal_id == proposal.id)).scalar()
    return day or clock.to_local(proposal.updated_at).date()


def status_of(session: Session, token: str) -> Status | None:
    """The proposal of a link in the city the session is scoped to, while the link works;
    None for a token that is no proposal's, another city's or expired."""
    if not token or len(token) > 100:
        return None
    proposal = session.execute(select(Proposal).where(
        Proposal.status_token_hash == token_hash(token))).scalar_one_or_none()
    if proposal is None or proposal.status not in STAGES:
        return None
    day = decided_on(session, proposal)
    until = day + dt.timedelta(days=LINK_DAYS) if day is not None else None
    if until is not None and clock.today() > until:
        return None
    return Status(proposal, STAGES[proposal.status], day, until)
