"""Council reviews: who may score a proposal (or a project's year, 継続審査), the scores, the
meeting's agenda.

A member tied to the proposing organization (the project's, for a continuation review) is
recused (除斥) from that item;
department heads (部長) join only step 2; once a meeting's attendance is
recorded, absent members do not score; a council member enters only their
own scores. Every refusal is a ValidationFailed with the reason in Japanese.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import exists, func, select

from .. import display
from ..documents.wareki import nendo
from ..errors import ValidationFailed
from ..models.council import (
    CONTINUATION_RESULTS,
    REVIEW_RESULTS,
    Council,
    CouncilMember,
    Criterion,
    Meeting,
    Review,
    ReviewScore,
)
from ..models.project import Project, ProjectYear
from ..models.proposal import Proposal
from ..models.user import Role
from ..sessions import Session
from ..workflow.deadlines import planned_meeting_dates, settings_for

#: The proposal state that waits for each step's meeting.
WAITING_STATE = {1: "step1_review", 2: "step2_review"}


def is_recused(member: CouncilMember, subject: Any) -> bool:
    """Whether the member belongs to the organization of ``subject`` (a review, proposal or
    project): then they take no part in its review."""
    return member.organization_id is not None and member.organization_id == subject.organization_id


def eligible_members(review: Review) -> list[CouncilMember]:
    """The members who may score this review (council, step, attendance, recusal)."""
    if review.meeting is None:
        return []
    attendees = {m.id for m in review.meeting.attendees}
    return [m for m in review.meeting.council.members
            if m.active and (review.step == 2 or m.side != "department_head")
            and (not attendees or m.id in attendees) and not is_recused(m, review)]


def why_not_scoring(review: Review, member: CouncilMember | None, user: Any = None) -> str | None:
    """None when ``member`` may score ``review`` (entered by ``user``), else the reason."""
    if member is None:
        return gettext("採点した構成員を選んでください。")
    if review.meeting is None:
        return gettext("審査に会議を設定してから採点してください。")
    if member.council_id != review.meeting.council_id or not member.active:
        return gettext("%(name)sさんはこの会議体の構成員ではないため、採点できません。", name=member.name)
    if review.step == 1 and member.side == "department_head":
        return gettext("%(name)sさんは部長のため、ステップ2の決定にのみ参加します。", name=member.name)
    attendees = {m.id for m in review.meeting.attendees}
    if attendees and member.id not in attendees:
        return gettext("%(name)sさんはこの会議を欠席したため、採点できません。", name=member.name)
    if is_recused(member, review):
        if review.is_continuation:
            return gettext("%(name)sさんは実施団体の関係者のため、この継続審査から除斥されています"
                           "（採点できません）。", name=member.name)
        return gettext("%(name)sさんは提案団体の関係者のため、この提案の審査から除斥されています"
                       "（採点できません）。", name=member.name)
    if getattr(user, "role", None) == Role.COUNCIL_MEMBER.value and member.user_id != user.id:
        return gettext("他の構成員の評点は入力できません。")
    return None


def check_score(score: ReviewScore, user: Any = None) -> None:
    """Refuse a score that may not be given (raises ValidationFailed)."""
    reason = why_not_scoring(score.review, score.member, user)
    if reason:
        raise ValidationFailed(reason, field="member")
    criterion = score.criterion
    if criterion is None:
        raise ValidationFailed(gettext("審査基準を選んでください。"), field="criterion")
    top = 1 if criterion.kind == "check" else criterion.max_score
    if score.score is not None and not 0 <= score.score <= top:
        raise ValidationFailed(gettext("「%(name)s」の評点は0〜%(top)sで入力してください。", name=criterion.name, top=top), field="score")


def member_of(session: Session, user: Any, council_id: int) -> CouncilMember | None:
    """The council member record of a logged-in council member."""
    return session.execute(select(CouncilMember).where(
        CouncilMember.user_id == user.id, CouncilMember.council_id == council_id)).scalar_one_or_none()


def active_criteria(session: Session, review: Review | None = None) -> list[Criterion]:
    """The city's criteria in use, for a review: those used for its kind (a proposal's, or
    a continuation review)."""
    stmt = select(Criterion).where(Criterion.active.is_(True))
    if review is not None:
        stmt = stmt.where(Criterion.used_for.in_(
            ("all", "continuation" if review.is_continuation else "proposal")))
    return list(session.execute(stmt.order_by(Criterion.sort_order, Criterion.id)).scalars())


@dataclass
class ScoreSheet:
    """The scoring screen of one review for one user: whom they may score as, the member
    chosen, the criteria, the member's scores so far, why scoring is refused (or None) and
    the members recused from this proposal."""

    members: list[CouncilMember]
    member: CouncilMember | None
    criteria: list[Criterion]
    current: dict[int, ReviewScore]
    blocked: str | None
    recused: list[CouncilMember]


def scoring_members(session: Session, user: Any, review: Review) -> list[CouncilMember]:
    """A council member scores as themselves only; staff enter scores for any eligible
    member (from the paper sheets of the meeting)."""
    if user.role == Role.COUNCIL_MEMBER.value:
        own = member_of(session, user, review.meeting.council_id) if review.meeting else None
        return [own] if own is not None else []
    return eligible_members(review)


def score_sheet(session: Session, user: Any, review: Review, member_id: int | None) -> ScoreSheet:
    members = scoring_members(session, user, review)
    member_id = member_id or (members[0].id if members else None)
    member = session.get(CouncilMember, member_id) if member_id else None  # city-scoped
    if member is not None:
        blocked = why_not_scoring(review, member, user)
    else:
        blocked = None if members else "あなたはこの会議の構成員として登録されていません。"
    current = {s.criterion_id: s for s in review.scores
               if member is not None and s.member_id == member.id}
    recused = [m for m in (review.meeting.council.members if review.meeting else [])
               if is_recused(m, review)]
    return ScoreSheet(members, member, active_criteria(session, review), current, blocked,
                      recused)


def save_scores(session: Session, review: Review, member: CouncilMember | None,
                entries: dict[int, tuple[int | None, str]], user: Any) -> int:
    """One member's scores of every criterion, all or none; returns how many were saved."""
    reason = why_not_scoring(review, member, user)
    if reason:
        raise ValidationFailed(reason)
    assert member is not None
    existing = {(s.criterion_id, s.member_id): s for s in review.scores}
    criteria = {c.id: c for c in active_criteria(session, review)}
    saved = 0
    for criterion_id, (value, comment) in entries.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise ValidationFailed(gettext("審査基準が見つかりません。画面を開き直してください。"))
        score = existing.get((criterion_id, member.id))
        if score is None and value is None and not comment.strip():
            continue  # left blank: not scored
        if score is None:
            score = ReviewScore(review=review, criterion=criterion, member=member,
                                city_id=review.city_id)
            session.add(score)
        score.score, score.comment = value, comment
        check_score(score, user)
        saved += 1
    session.flush()
    return saved


@dataclass(frozen=True)
class ScoreTable:
    """Criteria × members of a review, with each member's total and the average total."""

    criteria: list[Criterion]
    members: list[CouncilMember]
    cells: dict[tuple[int, int], ReviewScore]
    totals: dict[int, int]
    average: float | None
    recused: list[CouncilMember]


def score_table(session: Session, review: Review) -> ScoreTable:
    criteria = active_criteria(session, review)
    members = sorted({s.member for s in review.scores if s.member is not None}, key=lambda m: m.id)
    cells = {(s.criterion_id, s.member_id): s for s in review.scores if s.member_id is not None}
    totals = {m.id: sum(cells[(c.id, m.id)].score or 0 for c in criteria if (c.id, m.id) in cells)
              for m in members}
    average = sum(totals.values()) / len(totals) if totals else None
    recused = [m for m in (review.meeting.council.members if review.meeting else [])
               if is_recused(m, review)]
    return ScoreTable(criteria, members, cells, totals, average, recused)


@dataclass(frozen=True)
class AgendaItem:
    """One item of a meeting: a proposal, or a project's year before its continuation
    review (``year``); its review once made, and the members recused from it."""

    proposal: Proposal | None
    review: Review | None
    recused: list[CouncilMember]
    year: ProjectYear | None = None

    @property
    def number(self) -> str:
        return (self.proposal.receipt_number or "") if self.proposal is not None else ""

    @property
    def title(self) -> str:
        """The item in words: the proposal's title, or 「…事業 第1年度（令和8年度）の継続審査」."""
        if self.proposal is not None:
            return self.proposal.title
        assert self.year is not None  # an item is a proposal or a year
        from .programme import year_name

        return (f"{self.year.project.title} "
                f"{year_name(self.year.year_number, self.year.fiscal_year)}の継続審査")


def awaiting_continuation(session: Session, city_id: int) -> list[ProjectYear]:
    """The years waiting for their continuation review: the year a project is in, evaluated,
    with no decision and no review yet, where the programme lets the project go on."""
    from .programme import project_rule

    reviewed = exists().where(Review.project_year_id == ProjectYear.id)
    years = session.execute(select(ProjectYear).join(Project, ProjectYear.project_id == Project.id)
                            .where(Project.status == "evaluated", Project.city_id == city_id,
                                   ProjectYear.decision == "", ~reviewed)
                            .order_by(ProjectYear.fiscal_year, Project.id)).scalars()
    return [y for y in years if y is y.project.current_year
            and y.year_number < project_rule(y.project).max_years]


def agenda(session: Session, meeting: Meeting) -> list[AgendaItem]:
    """The meeting's items: its reviews, the proposals still waiting for its step, and the
    projects' years waiting for their continuation review."""
    reviews = list(session.execute(select(Review).where(Review.meeting_id == meeting.id)
                                   .order_by(Review.id)).scalars())
    on_agenda = {r.proposal_id for r in reviews if r.proposal_id is not None}
    waiting = session.execute(select(Proposal).where(
        Proposal.status == WAITING_STATE[meeting.step], Proposal.city_id == meeting.city_id)
        .order_by(Proposal.received_on, Proposal.id)).scalars()
    members = meeting.council.members
    items = [AgendaItem(r.proposal, r, [m for m in members if is_recused(m, r)], r.project_year)
             for r in reviews]
    items += [AgendaItem(p, None, [m for m in members if is_recused(m, p)])
              for p in waiting if p.id not in on_agenda]
    items += [AgendaItem(None, None, [m for m in members if is_recused(m, y.project)], y)
              for y in awaiting_continuation(session, meeting.city_id)]
    return items


def check_review(review: Review) -> None:
    """A review judges a proposal or a project's year (one of them), with a result of its
    kind; a continuation review's result is the year's decision (``record_decision``)."""
    if (review.proposal is None) == (review.project_year is None):
        raise ValidationFailed(gettext("審査する提案か、継続審査する協働事業の年度の、どちらか一方を選んで"
                               "ください。"), field="proposal")
    if review.is_continuation:
        if review.result not in CONTINUATION_RESULTS:
            raise ValidationFailed(gettext("継続審査の結果は「審議中・継続・条件付きで継続・終了」から選んで"
                                   "ください。"), field="result")
        if review.result != "pending":
            from .programme import record_decision

            assert review.project_year is not None
            project = review.project_year.project
            if project.current_year is not review.project_year:
                raise ValidationFailed(gettext("%(project_year)sは、既に次の年度へ進んでいます。", project_year=review.project_year),
                                       field="project_year")
            try:
                record_decision(project, review.result, review.decided_on, review.reasons,
                                review.advice)
            except ValidationFailed as exc:  # named as the review's form names them
                raise ValidationFailed(str(exc), field=DECISION_FIELDS.get(exc.field or "")) from exc
    elif review.result not in REVIEW_RESULTS:
        raise ValidationFailed(gettext("提案の審査結果は「審議中・通過・助言付き差戻し・不採択・採択・不採用」"
                               "から選んでください。"), field="result")


#: The year decision's fields as the review's form names them.
DECISION_FIELDS = {"decision": "result", "decided_on": "decided_on",
                   "decision_reasons": "reasons", "decision_conditions": "advice"}


def meeting_plan(council: Council, fiscal_year: int) -> list[tuple[dt.date, int]]:
    """The (date, step) of each meeting a plan for the year would create."""
    return planned_meeting_dates(fiscal_year, settings_for(council.city))


def plan_meetings(session: Session, council: Council, fiscal_year: int) -> list[Meeting]:
    """Create the council's meetings of a fiscal year from the city's settings (会議の年間予定):
    ``meetings_per_year`` sittings, one of them the step-2 decision before its deadline.

    Refused when the council already has meetings in that year, so a plan is made once and
    then kept by hand (dates moved, meetings added).
    """
    existing = session.execute(select(func.count()).select_from(Meeting).where(
        Meeting.council_id == council.id, Meeting.fiscal_year == fiscal_year)).scalar_one()
    if existing:
        raise ValidationFailed(gettext("%(name)sには%(fiscal_year)sの会議が既に%(existing)s件登録されています。予定は会議の一覧で個別に追加・変更してください。", name=council.name, fiscal_year=display.fiscal_year(fiscal_year), existing=existing))
    meetings = []
    for number, (day, step) in enumerate(meeting_plan(council, fiscal_year), start=1):
        title = f"{nendo(fiscal_year)} 第{number}回会議" + ("（決定）" if step == 2 else "")
        meetings.append(Meeting(council=council, title=title, step=step, held_on=day,
                                minutes="（予定）"))
    session.add_all(meetings)
    session.flush()
    return meetings


@dataclass
class MemberHome:
    """A council member's first screen: what waits for their score, where they are recused,
    and their next meetings."""

    members: list[CouncilMember]
    to_score: list[tuple[Review, CouncilMember, int, int]]  # review, as member, scored, criteria
    recused: list[tuple[Review, CouncilMember]]
    meetings: list[Meeting]


def member_home(session: Session, user: Any, today: dt.date) -> MemberHome:
    members = list(session.execute(select(CouncilMember).where(
        CouncilMember.user_id == user.id, CouncilMember.active.is_(True))).scalars())
    council_ids = [m.council_id for m in members]
    by_council = {m.council_id: m for m in members}
    reviews = session.execute(select(Review).join(Meeting, Review.meeting_id == Meeting.id).where(
        Meeting.council_id.in_(council_ids), Review.result == "pending")
        .order_by(Meeting.held_on, Review.id)).scalars().all() if council_ids else []
    home = MemberHome(members, [], [], [])
    criteria: dict[bool, int] = {}  # a proposal's review's, a continuation review's
    for review in reviews:
        if review.meeting is None:  # joined on its meeting: never, but typed as optional
            continue
        member = by_council[review.meeting.council_id]
        if is_recused(member, review):
            home.recused.append((review, member))
        elif why_not_scoring(review, member, user) is None:
            scored = sum(1 for s in review.scores if s.member_id == member.id and s.score is not None)
            kind = review.is_continuation
            if kind not in criteria:
                criteria[kind] = len(active_criteria(session, review))
            home.to_score.append((review, member, scored, criteria[kind]))
    if council_ids:
        home.meetings = list(session.execute(select(Meeting).where(
            Meeting.council_id.in_(council_ids), Meeting.held_on >= today)
            .order_by(Meeting.held_on).limit(5)).scalars())
    return home
