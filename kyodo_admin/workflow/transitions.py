"""The states and transitions of proposals, projects and agreements, as data.

Each transition names who may fire it, the states it leaves from, the state it
leads to (None: the state stays, e.g. drafting an amendment), a guard and the
effects, by name; ``services/workflow.py`` implements guards and effects and is
the one place that fires a transition (``apply_transition``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.user import Role

COORDINATORS = frozenset({Role.STAFF, Role.CITY_ADMIN})


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    source: tuple[str, ...]
    target: str | None
    roles: frozenset[Role] = COORDINATORS
    guard: str | None = None
    effects: tuple[str, ...] = ()
    #: Shown before firing (the browser asks for confirmation).
    confirm: str = ""
    #: A comment is required (why a proposal is returned or rejected is in the review).
    needs_comment: bool = False
    #: Bootstrap button style.
    style: str = "primary"
    #: The date the transition records (締結日, 事業完了日), asked with the button and
    #: defaulting to today; empty when it records none.
    date_label: str = ""
    #: The public entrance fires it too, for the city whose entrance it is (受付).
    public: bool = False


PROPOSAL: tuple[Transition, ...] = (
    Transition("submit", "受付する", ("draft",), "submitted", effects=("assign_receipt_number",),
               public=True),
    Transition("start_step1", "ステップ1の検討に付す", ("submitted",), "step1_review"),
    Transition("pass_step1", "ステップ1通過とする", ("step1_review",), "passed",
               guard="step1_passed"),
    Transition("return_with_advice", "助言を付けて差し戻す", ("step1_review",), "returned",
               guard="step1_returned", style="warning"),
    Transition("reject", "不採択とする", ("step1_review",), "rejected", guard="step1_rejected",
               style="danger", confirm="不採択にしますか？理由は審査結果から通知書に載ります。"),
    Transition("start_step2", "ステップ2の決定に付す", ("passed",), "step2_review"),
    Transition("adopt", "採択する（協働事業を作成）", ("step2_review",), "adopted",
               guard="step2_adopted", effects=("create_project",)),
    Transition("not_adopt", "不採用とする", ("step2_review",), "not_adopted",
               guard="step2_not_adopted", style="danger"),
    Transition("repropose", "再提案を作成する", ("returned", "rejected"), None,
               effects=("draft_reproposal",), style="secondary"),
)

PROJECT: tuple[Transition, ...] = (
    Transition("agree", "協定締結済にする", ("planning",), "agreed", guard="agreement_signed"),
    Transition("start", "事業を開始する", ("agreed",), "running"),
    Transition("complete", "事業完了とする", ("running",), "completed",
               effects=("set_completed_on", "create_completion_report"),
               confirm="事業完了にしますか？事業報告書の提出期限が設定されます。",
               date_label="事業完了日"),
    Transition("accept_report", "報告を受理する", ("completed",), "reported",
               guard="report_submitted"),
    # A mistaken 事業完了 (wrong project, wrong day) is undone by the city admin, with the
    # reason, while the report is not yet submitted; the report's due date goes with it.
    Transition("reopen", "事業完了を取り消す", ("completed",), "running",
               roles=frozenset({Role.CITY_ADMIN}), guard="report_not_submitted",
               effects=("undo_completion",), needs_comment=True, style="warning",
               confirm="事業完了を取り消して実施中に戻しますか？事業報告書の提出期限も取り消されます。"),
    Transition("finish_evaluation", "評価済にする", ("reported",), "evaluated",
               guard="both_sides_evaluated"),
    # Between years: the council's continuation review (継続審査) decides, recorded on the
    # year; continuing opens the next fiscal year, planned again (services/programme.py).
    Transition("continue", "次の年度を開始する", ("evaluated",), "planning",
               guard="continuation_decided", effects=("open_next_year",),
               confirm="継続審査の決定により、次の年度を開始しますか？次の年度の事業計画書・協定書を作成します。"),
    Transition("close", "終了する", ("evaluated",), "closed", guard="ends_here"),
)

AGREEMENT: tuple[Transition, ...] = (
    Transition("sign", "締結する", ("draft",), "signed", guard="agreement_complete",
               effects=("set_signed_on", "supersede_previous", "take_agreement_period",
                        "mark_project_agreed"),
               confirm="締結済にしますか？締結後は変更協定で変更します。", date_label="締結日"),
    Transition("amend", "変更協定を作成する", ("signed",), None, effects=("draft_amendment",),
               style="secondary"),
)

#: Table name -> its transitions.
WORKFLOWS: dict[str, tuple[Transition, ...]] = {
    "proposal": PROPOSAL,
    "project": PROJECT,
    "agreement": AGREEMENT,
}


def transitions_of(table: str) -> tuple[Transition, ...]:
    return WORKFLOWS.get(table, ())


def find(table: str, name: str) -> Transition | None:
    return next((t for t in transitions_of(table) if t.name == name), None)
