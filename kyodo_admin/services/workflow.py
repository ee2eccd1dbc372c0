"""Firing workflow transitions: the one function that changes a record's state.

``apply_transition`` checks the state, the user's role and city, and the guard;
sets the new state; runs the effects (a project from an adopted proposal, the
completion report with its due date, an amendment draft…); and records the
transition (who, when, comment) in the audit trail. Any refusal raises
TransitionNotAllowed before anything changes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, or_, select

from .. import clock
from ..errors import TransitionNotAllowed, ValidationFailed
from ..models.agreement import AGREEMENT_STATES, Agreement, CostShare, RoleShare
from ..models.base import fiscal_year_of
from ..models.council import REVIEW_RESULTS, Review
from ..models.project import PROJECT_STATES, Project, ProjectYear
from ..models.proposal import PROPOSAL_STATES, Proposal
from ..models.report import CompletionReport, Evaluation
from ..models.user import Role
from ..sessions import Session
from ..workflow.deadlines import budget_timing, report_due, settings_for
from ..workflow.transitions import Transition, find, transitions_of
from .audit import record_event, record_events
from .programme import CONTINUING, check_agreement, project_rule, year_name
from .proposals import assign_receipt_number

STATE_LABELS: dict[str, dict[str, str]] = {
    "proposal": PROPOSAL_STATES, "project": PROJECT_STATES, "agreement": AGREEMENT_STATES,
}


@dataclass(frozen=True)
class Fired:
    record: Any
    transition: Transition
    before: str
    #: A record the transition created (the project of an adopted proposal, an amendment).
    created: Any = None


def _table(record: Any) -> str:
    return str(type(record).__tablename__)


def state_label(record: Any, state: str | None = None) -> str:
    state = record.status if state is None else state
    return STATE_LABELS.get(_table(record), {}).get(state, state)


# -- guards: None when the transition may fire, else why not (Japanese) ----------------------

def _latest_review(session: Session, proposal: Proposal, step: int) -> Review | None:
    return session.execute(select(Review).where(
        Review.proposal_id == proposal.id, Review.step == step).order_by(Review.id.desc())
        .limit(1)).scalar_one_or_none()


def _review_guard(step: int, result: str, needs_reasons: bool = False,
                  needs_advice: bool = False) -> Callable[[Session, Any], str | None]:
    def guard(session: Session, proposal: Any) -> str | None:
        review = _latest_review(session, proposal, step)
        if review is None or review.result != result:
            return gettext("ステップ%(step)sの審査結果が「%(result)s」として記録されていません。"
                           "先に「審査」で会議の結果を記録してください。", step=step,
                           result=gettext(REVIEW_RESULTS[result]))
        missing = [name for name, needed, value in (
            (gettext("理由"), needs_reasons, review.reasons),
            (gettext("助言"), needs_advice, review.advice)) if needed and not (value or "").strip()]
        if missing:
            return gettext("審査結果に%(what)sを記録してください（通知書に載ります）。",
                           what=gettext("と").join(missing))
        return None
    return guard


def in_current_year(column: Any, project: Any) -> Any:
    """Records of the year the project is in: a fiscal year from its current year's on (a
    report made after the year's end may carry the next fiscal year; no later year exists);
    in a project of one year, a record without a year too (as before years)."""
    year = project.current_year
    if year is None:
        return column.is_(None)
    if len(project.years) == 1:
        return or_(column >= year.fiscal_year, column.is_(None))
    return column >= year.fiscal_year


def _agreement_signed(session: Session, project: Any) -> str | None:
    if project.collaboration_type is not None and not project.collaboration_type.requires_agreement:
        return None
    signed = session.execute(select(Agreement.id).where(
        Agreement.project_id == project.id, Agreement.status == "signed",
        in_current_year(Agreement.fiscal_year, project)).limit(1)).first()
    return None if signed else gettext(
        "%(year)sの締結済の協定書がありません。協定書を締結してから進めてください。",
        year=_year_name(project))


def _year_name(project: Any) -> str:
    year = project.current_year
    return year_name(year.year_number, year.fiscal_year) if year else gettext("この年度")


def _current_reports(project: Any) -> Any:
    return select(CompletionReport.id).where(
        CompletionReport.project_id == project.id,
        in_current_year(CompletionReport.fiscal_year, project))


def _report_submitted(session: Session, project: Any) -> str | None:
    found = session.execute(_current_reports(project).where(
        CompletionReport.submitted_on.is_not(None)).limit(1)).first()
    return None if found else gettext("%(year)sの提出日の記録された事業報告書がありません。",
                                      year=_year_name(project))


def _report_not_submitted(session: Session, project: Any) -> str | None:
    return gettext("事業報告書が提出済みのため、事業完了は取り消せません。") \
        if _report_submitted(session, project) is None else None


def _sides(session: Session, project: Any) -> set[str]:
    """The sides that evaluated the year the project is in (its report's evaluations; one
    recorded without a report counts for a project of one year, as before years)."""
    of_year: Any = Evaluation.completion_report_id.in_(_current_reports(project))
    if len(project.years) <= 1:
        of_year = or_(of_year, Evaluation.completion_report_id.is_(None))
    return set(session.execute(select(Evaluation.side).where(
        Evaluation.project_id == project.id, of_year)).scalars())


def _both_sides_evaluated(session: Session, project: Any) -> str | None:
    missing = [gettext(label) for side, label in (("city", "担当課（市）"), ("organization", "団体"))
               if side not in _sides(session, project)]
    return None if not missing else gettext("%(sides)sの評価が登録されていません。",
                                            sides=gettext("と").join(missing))


def _council_verified(session: Session, project: Any) -> str | None:
    return None if "council" in _sides(session, project) else gettext(
        "会議による評価検証が登録されていません。")


def _continuation_decided(session: Session, project: Any) -> str | None:
    """A next year opens on the council's decision to continue, within the programme's
    number of years."""
    year = project.current_year
    if year is None or year.decision not in CONTINUING:
        return gettext("%(year)sの継続審査の結果（継続）が記録されていません。"
                       "「継続審査の結果」で会議の決定を記録してください。", year=_year_name(project))
    rule = project_rule(project)
    if year.year_number >= rule.max_years:
        return gettext("この協働事業の規定では、実施できるのは第%(n)s年度までです（%(rule)s）。"
                       "次の年度は開けません。", n=rule.max_years, rule=rule.describe())
    return _council_verified(session, project)


def _ends_here(session: Session, project: Any) -> str | None:
    """Ending the project: the year's evaluation verified, and no decision to continue."""
    year = project.current_year
    if year is not None and year.decision in CONTINUING:
        return gettext("継続審査で「継続」と決定されています。「次の年度を開始する」で進めるか、"
                       "継続審査の結果を「終了」に改めてください。")
    return _council_verified(session, project)


def _agreement_complete(_session: Session, agreement: Any) -> str | None:
    missing = [gettext(label) for label, ok in (
        ("協定期間（開始日・終了日）", agreement.start_date and agreement.end_date),
        ("役割分担", agreement.role_shares)) if not ok]
    if missing:
        return gettext("締結の前に%(what)sを入力してください。", what=gettext("・").join(missing))
    try:  # its year and the programme's rule for the city's share
        check_agreement(agreement)
    except ValidationFailed as exc:
        return str(exc)
    return None


def _partner_confirmed(_session: Session, proposal: Any) -> str | None:
    """The project of an adopted proposal needs its partner: a proposal from the entrance is
    tied to a registered organization only when staff confirm it on the proposal's page."""
    if proposal.organization_id is not None:
        return None
    return gettext("提案した団体が、登録済みの団体としてまだ確認されていません。この提案の画面の"
                   "「団体がまだ確認されていません」の欄で、登録済みの団体として確認するか新しい団体"
                   "として登録してから採択してください（協働事業と協定書の相手方になります）。")


def _all(*guards: Callable[[Session, Any], str | None]) -> Callable[[Session, Any], str | None]:
    def guard(session: Session, record: Any) -> str | None:
        return next((reason for g in guards if (reason := g(session, record))), None)
    return guard


GUARDS: dict[str, Callable[[Session, Any], str | None]] = {
    "step1_passed": _review_guard(1, "passed"),
    "step1_returned": _review_guard(1, "returned", needs_reasons=True, needs_advice=True),
    "step1_rejected": _review_guard(1, "rejected", needs_reasons=True),
    "step2_adopted": _all(_review_guard(2, "adopted"), _partner_confirmed),
    "step2_not_adopted": _review_guard(2, "not_adopted", needs_reasons=True),
    "agreement_signed": _agreement_signed,
    "report_submitted": _report_submitted,
    "report_not_submitted": _report_not_submitted,
    "both_sides_evaluated": _both_sides_evaluated,
    "council_verified": _council_verified,
    "continuation_decided": _continuation_decided,
    "ends_here": _ends_here,
    "agreement_complete": _agreement_complete,
}


# -- effects: run after the state is set; may return a record they created ------------------

def _assign_receipt_number(session: Session, proposal: Any, _on: dt.date, _user: Any) -> None:
    assign_receipt_number(session, proposal)


def _create_project(session: Session, proposal: Any, on: dt.date, _user: Any) -> Project:
    """The project of an adopted proposal, with a provisional period: the fiscal year whose
    budget a budget proposal goes into, else the rest of this fiscal year. Signing the
    agreement replaces it with the agreement's period."""
    if proposal.needs_budget and proposal.received_on is not None:
        year = budget_timing(proposal.received_on, settings_for(proposal.city)).budget_year
    else:
        year = fiscal_year_of(on)
    project = Project(city_id=proposal.city_id, title=proposal.title, proposal=proposal,
                      start_date=max(on, dt.date(year, 4, 1)), end_date=dt.date(year + 1, 3, 31),
                      organization_id=proposal.organization_id,
                      department_id=proposal.department_id,
                      collaboration_type_id=proposal.collaboration_type_id,
                      budget_amount=proposal.budget_amount, summary=proposal.summary or "",
                      status="planning")
    session.add(project)
    return project


def _draft_reproposal(session: Session, proposal: Any, _on: dt.date, _user: Any) -> Proposal:
    """A new draft proposing the same again (再提案), linked to the old one and its advice."""
    from .form_definitions import current_definition

    again = Proposal(city_id=proposal.city_id, parent=proposal, status="draft",
                     title=f"{proposal.title}（再提案）"[:200],
                     proposer_type=proposal.proposer_type,
                     organization_id=proposal.organization_id,
                     department_id=proposal.department_id,
                     collaboration_type_id=proposal.collaboration_type_id,
                     needs_budget=proposal.needs_budget, budget_amount=proposal.budget_amount,
                     summary=proposal.summary or "", answers=dict(proposal.answers or {}),
                     form_definition=current_definition(session, proposal.city_id, "basic_sheet")
                     or proposal.form_definition)
    session.add(again)
    return again


def _set_completed_on(_session: Session, project: Any, on: dt.date, _user: Any) -> None:
    project.completed_on = on
    if project.current_year is not None:
        project.current_year.completed_on = on


def _create_completion_report(session: Session, project: Any, _on: dt.date, _user: Any) -> Any:
    """The report of the year the project is in, due after the year's 事業完了日."""
    current = project.current_year
    year = current.fiscal_year if current is not None else fiscal_year_of(project.completed_on)
    existing = session.execute(select(CompletionReport).where(
        CompletionReport.project_id == project.id,
        in_current_year(CompletionReport.fiscal_year, project)).order_by(
        CompletionReport.fiscal_year)).scalars().first()
    due = report_due(project.completed_on, settings_for(project.city))
    if existing is not None:
        existing.due_on = due
        return None
    report = CompletionReport(city_id=project.city_id, project=project, fiscal_year=year, due_on=due)
    session.add(report)
    return report


def _undo_completion(session: Session, project: Any, _on: dt.date, _user: Any) -> None:
    """Back to running: no completion date, and the year's report made at completion (not
    yet submitted, kept with what was entered) is due no more, so no reminder goes."""
    if project.completed_on is not None:
        for report in session.execute(select(CompletionReport).where(
                CompletionReport.project_id == project.id,
                CompletionReport.submitted_on.is_(None),
                in_current_year(CompletionReport.fiscal_year, project))).scalars():
            report.due_on = None
    project.completed_on = None
    if project.current_year is not None:
        project.current_year.completed_on = None


def _open_next_year(session: Session, project: Any, _on: dt.date, _user: Any) -> None:
    """The next fiscal year of the project (第n+1年度): planned again, with its own plan,
    agreement, report and evaluations; the year before keeps its decision and 事業完了日."""
    current = project.current_year
    assert current is not None  # the guard saw it
    following = ProjectYear(city_id=project.city_id, fiscal_year=current.fiscal_year + 1,
                            year_number=current.year_number + 1)
    project.years.append(following)
    project.completed_on = None


def _set_signed_on(_session: Session, agreement: Any, on: dt.date, _user: Any) -> None:
    agreement.signed_on = on


def _supersede_previous(_session: Session, agreement: Any, _on: dt.date, _user: Any) -> None:
    if agreement.previous is not None and agreement.previous.status == "signed":
        agreement.previous.status = "amended"


def _take_agreement_period(session: Session, agreement: Any, _on: dt.date, _user: Any) -> None:
    """The project runs over the period of its signed agreements (one a year for a project
    over several fiscal years); its fiscal year follows its start. A planned end past the
    year the project is in is the plan of its years (3か年): an agreement ends it no sooner."""
    signed = session.execute(select(Agreement).where(
        Agreement.project_id == agreement.project_id, Agreement.status == "signed")
    ).scalars().all()
    starts = [a.start_date for a in signed if a.start_date]
    ends = [a.end_date for a in signed if a.end_date]
    project = agreement.project
    year = project.current_year
    planned_past_year = (year is not None and project.end_date is not None
                         and project.end_date > dt.date(year.fiscal_year + 1, 3, 31))
    if starts:
        project.start_date = min(starts)
    if ends:
        project.end_date = max(ends + [project.end_date]) if planned_past_year else max(ends)
    project.derive()


def _mark_project_agreed(session: Session, agreement: Any, on: dt.date, user: Any) -> None:
    """Signing the agreement fires the project's own 「協定締結済にする」 (its guard and audit)."""
    if agreement.project.status == "planning":
        apply_transition(session, agreement.project, "agree", user, "協定書の締結による", on=on)


def _draft_amendment(session: Session, agreement: Any, _on: dt.date, _user: Any) -> Agreement:
    amendment = Agreement(
        city_id=agreement.city_id, project_id=agreement.project_id, previous=agreement,
        title=agreement.title, status="draft", fiscal_year=agreement.fiscal_year,
        start_date=agreement.start_date,
        end_date=agreement.end_date, city_signatory=agreement.city_signatory,
        organization_signatory=agreement.organization_signatory,
        responsibility=agreement.responsibility, answers=dict(agreement.answers or {}),
        form_definition_id=agreement.form_definition_id,
        role_shares=[RoleShare(city_id=r.city_id, item=r.item, city_role=r.city_role,
                               organization_role=r.organization_role, sort_order=r.sort_order)
                     for r in agreement.role_shares],
        cost_shares=[CostShare(city_id=c.city_id, item=c.item, city_amount=c.city_amount,
                               organization_amount=c.organization_amount, note=c.note,
                               sort_order=c.sort_order) for c in agreement.cost_shares])
    session.add(amendment)
    return amendment


EFFECTS: dict[str, Callable[[Session, Any, dt.date, Any], Any]] = {
    "assign_receipt_number": _assign_receipt_number,
    "create_project": _create_project,
    "draft_reproposal": _draft_reproposal,
    "set_completed_on": _set_completed_on,
    "create_completion_report": _create_completion_report,
    "undo_completion": _undo_completion,
    "open_next_year": _open_next_year,
    "set_signed_on": _set_signed_on,
    "supersede_previous": _supersede_previous,
    "take_agreement_period": _take_agreement_period,
    "mark_project_agreed": _mark_project_agreed,
    "draft_amendment": _draft_amendment,
}


# -- firing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicEntrance:
    """Who fires a transition from the public entrance: a proposer at one city's entrance,
    for the transitions marked ``public`` (受付する)."""

    city_id: int
    role: str = "entrance"
    id: None = None
    username: str = "協働エントランス（公開）"


def _role_allows(user: Any, transition: Transition) -> bool:
    role = getattr(user, "role", None)
    if role == PublicEntrance.role:
        return transition.public
    if role == Role.SYSTEM_ADMIN.value:
        return True
    return role in {r.value for r in transition.roles}


def _same_city(user: Any, record: Any) -> bool:
    return getattr(user, "role", None) == Role.SYSTEM_ADMIN.value or (
        getattr(user, "city_id", None) is not None and user.city_id == record.city_id)


def available_transitions(session: Session, user: Any, record: Any
                          ) -> list[tuple[Transition, str | None]]:
    """The transitions this user may fire from the record's state, each with the reason
    its guard blocks it (None when it can fire now)."""
    if not _same_city(user, record):
        return []
    result = []
    for transition in transitions_of(_table(record)):
        if record.status in transition.source and _role_allows(user, transition):
            guard = GUARDS[transition.guard] if transition.guard else None
            result.append((transition, guard(session, record) if guard else None))
    return result


def _signed_agreement_start(session: Session, project: Any) -> dt.date | None:
    return session.execute(select(func.min(Agreement.start_date)).where(
        Agreement.project_id == project.id, Agreement.status == "signed")).scalar_one()


def date_bounds(session: Session, record: Any, transition: Transition
                ) -> tuple[dt.date | None, dt.date]:
    """The earliest and latest date a transition may record: no later than the city's
    ``days_ahead`` from today (and a 締結日 not after the agreement's end); a 事業完了日 not
    before the project starts (its signed agreement's start, else its own)."""
    latest = clock.today() + dt.timedelta(days=settings_for(record.city)["days_ahead"])
    earliest = None
    if transition.name == "sign" and record.end_date is not None:
        latest = min(latest, record.end_date)
    if transition.name == "complete":
        earliest = _signed_agreement_start(session, record) or record.start_date
    return earliest, latest


def check_date(session: Session, record: Any, transition: Transition, on: dt.date) -> str | None:
    """Why ``on`` cannot be the date a transition records, or None."""
    from .. import display

    label = gettext(transition.date_label) if transition.date_label else ""
    earliest, latest = date_bounds(session, record, transition)
    if earliest is not None and on < earliest:
        return gettext("%(label)s（%(on)s）は事業の開始日（%(earliest)s）より前にはできません。"
                       "協定期間・事業期間を確認してください。", label=label,
                       on=display.date(on), earliest=display.date(earliest))
    if on > latest:
        return gettext("%(label)s（%(on)s）は%(latest)sまでの日付にしてください。", label=label,
                       on=display.date(on), latest=display.date(latest))
    return None


def apply_transition(session: Session, record: Any, name: str, user: Any, comment: str = "",
                     on: dt.date | None = None) -> Fired:
    """Fire transition ``name`` on ``record`` as ``user``; TransitionNotAllowed says why not.

    ``on`` is the date the transition records (締結日, 事業完了日), today when not given."""
    fired = _fire(session, record, name, user, comment, on)
    record_event(session, record, "transition", comment=_event_comment(fired, comment),
                 changes={"status": [fired.before, record.status]})
    return fired


def apply_transitions(session: Session, items: list[tuple[Any, str]], name: str,
                      user: Any) -> list[Fired]:
    """Fire ``name`` on many records (record, comment) as ``user`` — an import's rows — each
    checked as one fired by hand and audited with the same event, the events written
    together."""
    fired = [(_fire(session, record, name, user, comment, None, flush=False), comment)
             for record, comment in items]
    session.flush()
    by_change: dict[tuple[str, str], list[tuple[Any, str]]] = {}
    for done, comment in fired:
        by_change.setdefault((done.before, done.record.status), []).append(
            (done.record, _event_comment(done, comment)))
    for (before, after), events in by_change.items():
        record_events(session, events, "transition", changes={"status": [before, after]})
    return [done for done, _comment in fired]


def _event_comment(fired: Fired, comment: str) -> str:
    comment = (comment or "").strip()
    return fired.transition.label + (f": {comment}" if comment else "")


def _fire(session: Session, record: Any, name: str, user: Any, comment: str,
          on: dt.date | None, flush: bool = True) -> Fired:
    """Check and fire one transition (state, role and city, guard, comment, date), run its
    effects and flush (or leave the flush to the caller of many); the caller writes its
    audit event."""
    transition = find(_table(record), name)
    if transition is None:
        raise TransitionNotAllowed(gettext("この記録に対して、その操作はできません。"))
    if record.status not in transition.source:
        raise TransitionNotAllowed(
            gettext("「%(label)s」は、現在の状態（%(record)s）からは行えません。画面を開き直して、最新の状態を確認してください。", label=transition.label, record=state_label(record)))
    if not _role_allows(user, transition) or not _same_city(user, record):
        raise TransitionNotAllowed(gettext("「%(label)s」を行う権限がありません。", label=transition.label))
    if transition.guard:
        reason = GUARDS[transition.guard](session, record)
        if reason:
            raise TransitionNotAllowed(gettext("「%(label)s」はまだ行えません: %(reason)s", label=transition.label, reason=reason))
    if transition.needs_comment and not (comment or "").strip():
        raise TransitionNotAllowed(gettext("「%(label)s」にはコメントを入力してください。", label=transition.label))
    on = on or clock.today()
    if transition.date_label:
        reason = check_date(session, record, transition, on)
        if reason:
            raise TransitionNotAllowed(reason)
    before = record.status
    if transition.target is not None:
        record.status = transition.target
    created = None
    for effect in transition.effects:
        made = EFFECTS[effect](session, record, on, user)
        created = made if made is not None else created
    if flush:
        session.flush()
    return Fired(record, transition, before, created)


# -- the tables are checked when they load: a misspelt name fails at start-up -------------

def check_tables() -> list[str]:
    """Problems with the workflow and rights tables: a guard or effect with no function, a
    state a kind does not have, a field a record does not have."""
    from ..models.base import Base
    from ..workflow import rights
    from ..workflow.transitions import WORKFLOWS

    problems = []
    for table, transitions in WORKFLOWS.items():
        states = STATE_LABELS.get(table, {})
        for t in transitions:
            if t.guard is not None and t.guard not in GUARDS:
                problems.append(f"{table}.{t.name}: unknown guard {t.guard!r}")
            problems.extend(f"{table}.{t.name}: unknown effect {e!r}"
                            for e in t.effects if e not in EFFECTS)
            problems.extend(f"{table}.{t.name}: unknown state {s!r}"
                            for s in (*t.source, *([t.target] if t.target else [])) if s not in states)
    columns = {m.class_.__tablename__: {a.key for a in m.attrs}
               for m in Base.registry.mappers if hasattr(m.class_, "__tablename__")}
    return problems + rights.check_table(STATE_LABELS, columns)


_PROBLEMS = check_tables()
if _PROBLEMS:
    raise RuntimeError("workflow tables: " + "; ".join(_PROBLEMS))
