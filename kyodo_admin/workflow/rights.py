"""Rights follow the state: for each state of a proposal, project, agreement and report — and
of the records that hang on them (a project's plan, indicators, report and evaluations; a
proposal's reviews and their scores) — which roles may edit which of its fields through its
form (as Hypha's phases carry their view/edit/review permissions). A record that nobody may
edit in its state is not deleted either (``permissions.can_delete``).

The role matrix (``permissions.py``) says who may edit a kind of record at all; this table
narrows it by the record's state. A state not listed keeps the matrix's rights on every
field. What happens to a record beyond that goes through a transition (a 変更協定…).
``permissions.can_edit`` consults the table, the views offer only the fields it allows
and refuse a save of a record nobody may edit in its state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from ..models.project import YEAR_CONTINUED
from ..models.user import Role

#: Every field of the record.
EVERY: None = None
Fields = frozenset[str] | None


@dataclass(frozen=True)
class StateRights:
    """Who may edit which fields in one state: ``edit`` maps a role to its fields (``EVERY``
    or a set); a role not named edits nothing. ``reason`` tells the others why, and the
    named roles what is locked."""

    reason: str
    edit: Mapping[Role, Fields] = field(default_factory=dict)


def coordinators(fields: Fields = EVERY, reason: str = "") -> StateRights:
    """The coordinating section (staff and city admins) edits ``fields``."""
    return StateRights(reason, {Role.STAFF: fields, Role.CITY_ADMIN: fields})


def nobody(reason: str) -> StateRights:
    return StateRights(reason)


OPEN = coordinators()
#: A proposal under the council's review: what the council scores stays as it was received;
#: the coordinating section still records whose it is and who handles it.
UNDER_REVIEW = coordinators(
    frozenset({"organization", "department", "collaboration_type", "parent"}),
    "審査中の提案は、審査の対象（事業の名称・概要・予算・様式の回答など）を変更できません。"
    "変更できるのは団体・担当課・協働の形態・元の提案だけです。")

#: A project's record of an earlier year (the project has gone on to a next year): what that
#: year planned, reported and evaluated is its record.
EARLIER_YEAR = nobody("前の年度（継続審査により次の年度へ進んだ年度）の記録は変更できません。")

#: A continuation review once its year has gone on to the next, or the project was closed.
YEAR_REVIEWED = nobody("次の年度へ進んだ（または終了した）協働事業の継続審査は変更できません。")

#: Table -> state -> rights. A completion report follows its project's state (``STATE_FROM``).
EDIT_RIGHTS: dict[str, dict[str, StateRights]] = {
    "proposal": {
        "draft": OPEN, "submitted": OPEN, "returned": OPEN,
        "step1_review": UNDER_REVIEW, "passed": UNDER_REVIEW, "step2_review": UNDER_REVIEW,
        "adopted": nobody("決定済の提案（採択）は変更できません。"),
        "not_adopted": nobody("決定済の提案（不採用）は変更できません。"),
        "rejected": nobody(
            "不採択となった提案は変更できません。「再提案を作成する」で新しい提案にしてください。"),
    },
    "project": {
        "planning": OPEN, "agreed": OPEN, "running": OPEN,
        "completed": coordinators(
            frozenset({"department", "completed_on", "summary"}),
            "完了した協働事業で変更できるのは、担当課・事業完了日・概要だけです。"),
        # After the report is accepted, only the city admin corrects the handling section
        # and the summary.
        "reported": StateRights(
            "報告を受理した協働事業は、自治体管理者が担当課と概要だけを変更できます。",
            {Role.CITY_ADMIN: frozenset({"department", "summary"})}),
        "evaluated": StateRights(
            "評価済の協働事業は、自治体管理者が担当課と概要だけを変更できます。",
            {Role.CITY_ADMIN: frozenset({"department", "summary"})}),
        "closed": nobody("終了した協働事業は変更できません。"),
    },
    "agreement": {
        "draft": OPEN,
        "signed": nobody(
            "締結済の協定書は変更できません。変更するときは「変更協定を作成する」を使ってください。"),
        "amended": nobody("変更協定により変更された旧版の協定書です。変更できません。"),
    },
    "completion_report": {  # the project's state
        "planning": OPEN, "agreed": OPEN, "running": OPEN, "completed": OPEN,
        "reported": nobody("受理した事業報告書は変更できません。"),
        "evaluated": nobody("評価済の事業報告書は変更できません。"),
        "closed": nobody("終了した協働事業の事業報告書は変更できません。"),
        YEAR_CONTINUED: EARLIER_YEAR,
    },
    "project_plan": {  # the project's state: the plan is what was agreed and carried out
        "planning": OPEN, "agreed": OPEN, "running": OPEN,
        **{state: nobody("完了した協働事業の事業計画書は変更できません。")
           for state in ("completed", "reported", "evaluated", "closed")},
        YEAR_CONTINUED: EARLIER_YEAR,
    },
    "indicator": {  # the project's state (through its plan): actuals come after completion
        "planning": OPEN, "agreed": OPEN, "running": OPEN,
        "completed": coordinators(frozenset({"actual_value"}),
                                  "完了した協働事業の評価項目で変更できるのは実績値だけです。"),
        **{state: nobody("報告を受理した協働事業の評価項目は変更できません。")
           for state in ("reported", "evaluated", "closed")},
        YEAR_CONTINUED: EARLIER_YEAR,
    },
    "evaluation": {  # the project's state: written until the project is closed
        "closed": nobody("終了した協働事業の評価は変更できません。"),
        YEAR_CONTINUED: EARLIER_YEAR,
    },
    "review": {  # the proposal's state: a decided proposal's reviews are its record
        **{state: nobody("決定した提案の審査結果は変更できません。")
           for state in ("returned", "rejected", "adopted", "not_adopted")},
        YEAR_CONTINUED: YEAR_REVIEWED,
    },
    "review_score": {  # the proposal's state (through its review)
        **{state: nobody("決定した提案の審査の点数は変更できません。")
           for state in ("returned", "rejected", "adopted", "not_adopted")},
        YEAR_CONTINUED: YEAR_REVIEWED,
    },
}
#: Records whose state is another record's: table -> the path (relationships) to the record
#: holding that state.
STATE_FROM: dict[str, str] = {"completion_report": "project", "role_share": "agreement",
                              "cost_share": "agreement", "project_plan": "project",
                              "indicator": "project_plan.project", "evaluation": "project",
                              "review": "proposal", "review_score": "review.proposal"}
#: Rows that share their parent's rights whole (the role and cost rows of an agreement).
RIGHTS_OF: dict[str, str] = {"role_share": "agreement", "cost_share": "agreement"}


def state_table_of(table: str) -> str:
    """The table whose ``status`` decides the rights of ``table``'s records."""
    return STATE_FROM[table].rsplit(".", 1)[-1] if table in STATE_FROM else table


def _table(record: Any) -> str:
    return getattr(type(record), "__tablename__", "")


#: Where a project's record names its fiscal year (a path of relationships, then the column).
YEAR_OF: dict[str, str] = {"project_plan": "fiscal_year", "completion_report": "fiscal_year",
                           "indicator": "project_plan.fiscal_year",
                           "evaluation": "completion_report.fiscal_year"}


def _fiscal_year_of(table: str, record: Any) -> int | None:
    """The fiscal year a project's record names (``YEAR_OF``)."""
    value = record
    for step in YEAR_OF[table].split("."):
        value = getattr(value, step, None)
    return value


def rights_for(record: Any) -> StateRights | None:
    """The rights of the record's state (its project's, for a record of a project: the state
    of the year it is of); None when its state narrows nothing."""
    table = _table(record)
    holder = record
    for step in STATE_FROM.get(table, "").split(".") if table in STATE_FROM else ():
        holder = getattr(holder, step, None)
    state = getattr(holder, "status", None) or ""
    if _table(holder) == "project" and table in YEAR_OF:  # the state of the record's year
        state = holder.year_state(_fiscal_year_of(table, record))
    review = record if table == "review" else getattr(record, "review", None)
    if table in ("review", "review_score") and review is not None and review.is_continuation:
        year = review.project_year  # a continuation review: open until its year is done
        done = year is not None and (year.project.status == "closed" or year.project.year_state(
            year.fiscal_year) == YEAR_CONTINUED)
        state = YEAR_CONTINUED if done else ""
    return EDIT_RIGHTS.get(RIGHTS_OF.get(table, table), {}).get(state)


def _as_role(role: Any) -> Role | None:
    try:
        role = Role(role)
    except ValueError:
        return None
    # The system administrator has a city admin's rights on a city's records.
    return Role.CITY_ADMIN if role is Role.SYSTEM_ADMIN else role


def editable_fields(role: Any, record: Any) -> Fields | frozenset[str]:
    """The fields ``role`` may edit in the record's state: ``EVERY``, a set, or none."""
    rights = rights_for(record)
    if rights is None:
        return EVERY
    as_role = _as_role(role)
    if as_role is None or as_role not in rights.edit:
        return frozenset()
    fields = rights.edit[as_role]
    if fields is not EVERY and RIGHTS_OF.get(_table(record)):
        return frozenset()  # a row of its parent is edited whole or not at all
    return fields


def may_edit_field(role: Any, record: Any, name: str) -> bool:
    fields = editable_fields(role, record)
    return fields is EVERY or name in fields


def read_only_reason(record: Any, role: Any = None) -> str | None:
    """Why the record may not be edited in its state (by ``role``; without a role, by
    anyone), or None."""
    rights = rights_for(record)
    if rights is None:
        return None
    if role is None:
        return None if rights.edit else gettext(rights.reason)
    return None if editable_fields(role, record) != frozenset() else gettext(rights.reason)


def locked_reason(role: Any, record: Any) -> str | None:
    """What a user who may edit some fields is told about the others, or None."""
    rights = rights_for(record)
    fields = editable_fields(role, record)
    return gettext(rights.reason) if rights is not None and fields and rights.reason else None


def check_table(states: Mapping[str, Mapping[str, Any]], columns: Mapping[str, set[str]]
                ) -> list[str]:
    """Problems with the table: a state the kind does not have, a field it does not have.
    ``states``: table -> its states; ``columns``: table -> its field names."""
    problems = []
    for table, by_state in EDIT_RIGHTS.items():
        state_table = state_table_of(table)
        for state, rights in by_state.items():
            if state not in states.get(state_table, {}) and state != YEAR_CONTINUED:
                problems.append(f"{table}: unknown state {state!r}")
            for fields in rights.edit.values():
                unknown = set(fields or ()) - columns.get(table, set())
                if unknown:
                    problems.append(f"{table}.{state}: unknown fields {sorted(unknown)}")
    return problems
