"""The programme's rule for a project's years (つながる鎌倉エール事業: up to three years and
500,000円 a year; 千曲市: 80 %, 70 %, 60 % of the cost in years one to three): how many
fiscal years a project may run, and the most the city bears in each. The city sets it
(自治体の設定); a collaboration type may set its own (協働の形態), field by field."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from .. import display
from ..documents.wareki import yen
from ..errors import ValidationFailed
from ..models.project import YEAR_DECISIONS
from ..workflow.deadlines import settings_for

#: The continuation review's decisions that open a next year.
CONTINUING = frozenset({"continue", "continue_with_conditions"})
#: The most years a city may set (the guidelines' programmes run three; some five).
MAX_YEARS_LIMIT = 10


@dataclass(frozen=True)
class Rule:
    max_years: int
    #: The city's share a year at most (円); None: no cap.
    yearly_cap: int | None
    #: The city's share of a year's cost at most, in percent, year by year; the last holds
    #: for the later years; empty: no ratio.
    ratios: tuple[int, ...]

    def ratio_for(self, year_number: int) -> int | None:
        if not self.ratios:
            return None
        return self.ratios[min(year_number, len(self.ratios)) - 1]

    def describe(self) -> str:
        """The rule in a sentence, for the settings and the project page."""
        parts = [gettext("最長%(n)s年度", n=self.max_years)]
        if self.yearly_cap:
            parts.append(gettext("市の負担は1年度%(amount)sまで",
                                 amount=display.amount(self.yearly_cap)))
        if self.ratios:
            parts.append(gettext("事業費に対する市の負担割合は%(ratios)sまで", ratios=gettext("・").join(
                gettext("第%(n)s年度%(ratio)s％", n=n, ratio=r)
                for n, r in enumerate(self.ratios, start=1))))
        return gettext("、").join(parts)


def parse_ratios(text: str | None) -> tuple[int, ...]:
    """「80,70,60」 (full-width digits and 、 too) as (80, 70, 60); each 1 to 100."""
    text = unicodedata.normalize("NFKC", text or "").replace("、", ",").replace("%", "")
    ratios = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 100:
            raise ValidationFailed(gettext("負担割合「%(part)s」は、1から100までの整数（％）で、年度ごとにカンマで区切って書いてください（例: 80,70,60）。", part=part),
                                   field="share_ratios")
        ratios.append(int(part))
    return tuple(ratios)


def rule_for(city: Any, collaboration_type: Any = None) -> Rule:
    """The city's rule, with what the collaboration type sets of its own."""
    settings = settings_for(city)
    max_years = settings["max_years"]
    cap = settings["yearly_cap"]
    ratios = settings["share_ratios"]
    if collaboration_type is not None:
        if collaboration_type.max_years is not None:
            max_years = collaboration_type.max_years
        if collaboration_type.yearly_cap is not None:
            cap = collaboration_type.yearly_cap
        if collaboration_type.share_ratios is not None:
            ratios = collaboration_type.share_ratios
    try:
        parsed = parse_ratios(ratios)
    except ValidationFailed:  # checked where it is set; a bad stored value sets no ratio
        parsed = ()
    return Rule(max_years=max(1, int(max_years or 1)), yearly_cap=int(cap) if cap else None,
                ratios=parsed)


def project_rule(project: Any) -> Rule:
    return rule_for(project.city, project.collaboration_type)


def year_name(year_number: int, fiscal_year: int) -> str:
    """A year of a project in words: 「第2年度（令和8年度）」."""
    return gettext("第%(n)s年度（%(year)s）", n=year_number, year=display.fiscal_year(fiscal_year))


def year_problem(project: Any, fiscal_year: int | None, what: str) -> str | None:
    """Why a record of ``what`` cannot be for that fiscal year of the project (a year it
    does not run in), or None."""
    if project.year_number_of(fiscal_year) is not None:
        return None
    years = gettext("・").join(display.fiscal_year(y.fiscal_year)
                               for y in project.years) or gettext("なし")
    shown = display.fiscal_year(fiscal_year) if fiscal_year else gettext("（未入力）")
    return gettext("%(what)sの年度（%(shown)s）は、この協働事業の年度（%(years)s）にありません。"
                   "次の年度は、継続審査で継続と決めてから「次の年度を開始する」で開きます。",
                   what=gettext(what), shown=shown, years=years)


def city_share_problem(rule: Rule, year_number: int, fiscal_year: int, city_amount: int,
                       organization_amount: int) -> str | None:
    """Why the city's share of a year's cost table breaks the programme's rule, naming the
    year, the rule and the amount over it; None when it keeps to it."""
    year = year_name(year_number, fiscal_year)
    if rule.yearly_cap is not None and city_amount > rule.yearly_cap:
        return (f"{year}の市の負担額 {yen(city_amount)} は、1年度の上限 {yen(rule.yearly_cap)} を"
                f" {yen(city_amount - rule.yearly_cap)} 超えています。経費負担の表を直してください。")
    ratio = rule.ratio_for(year_number)
    total = city_amount + organization_amount
    if ratio is not None and city_amount * 100 > ratio * total:
        allowed = total * ratio // 100
        return (f"{year}の市の負担割合の上限は事業費の{ratio}％です（事業費 {yen(total)} のうち"
                f" {yen(allowed)} まで）。市の負担額 {yen(city_amount)} は {yen(city_amount - allowed)}"
                " 超えています。経費負担の表を直してください。")
    return None


def city_share_text(agreement: Any) -> str:
    """The city's share of the agreement's year in words, beside the programme's rule for
    that year: 「第2年度（令和8年度）の市の負担割合は 75.0％（規定: 70％まで、1年度500,000円まで）」."""
    total = agreement.city_cost_total + agreement.organization_cost_total
    number = agreement.project.year_number_of(agreement.fiscal_year) \
        if agreement.project is not None else None
    if not total or number is None:
        return ""
    rule = project_rule(agreement.project)
    limits = [gettext("%(ratio)s％まで", ratio=ratio)
              for ratio in [rule.ratio_for(number)] if ratio is not None]
    if rule.yearly_cap:
        limits.append(gettext("1年度%(amount)sまで", amount=display.amount(rule.yearly_cap)))
    shown = gettext("（規定: %(limits)s）", limits=gettext("、").join(limits)) if limits else ""
    return gettext("%(year)sの市の負担割合は %(share)s％", year=year_name(
        number, agreement.fiscal_year), share=f"{agreement.city_cost_total * 100 / total:.1f}") + shown


def year_agreement(session: Any, project: Any, fiscal_year: int | None) -> Any:
    """The agreement of the project's year whose costs count: the signed one (the newest),
    else the newest draft."""
    from sqlalchemy import select

    from ..models.agreement import Agreement

    return session.execute(select(Agreement).where(
        Agreement.project_id == project.id, Agreement.fiscal_year == fiscal_year,
        Agreement.status.in_(("signed", "draft")))
        .order_by((Agreement.status == "signed").desc(), Agreement.id.desc())
        .limit(1)).scalar_one_or_none()


def check_agreement(agreement: Any) -> None:
    """An agreement is for one of its project's years, and its cost table keeps to the
    programme's rule for that year (``ValidationFailed`` naming the year and the rule)."""
    project = agreement.project
    agreement.derive()  # made without its year: the year the project is in
    problem = year_problem(project, agreement.fiscal_year, "協定書")
    if problem:
        raise ValidationFailed(problem, field="fiscal_year")
    number = project.year_number_of(agreement.fiscal_year)
    assert number is not None
    problem = city_share_problem(project_rule(project), number, agreement.fiscal_year,
                                 agreement.city_cost_total, agreement.organization_cost_total)
    if problem:
        raise ValidationFailed(problem, field="cost_shares")


def record_decision(project: Any, decision: str, decided_on: dt.date | None, reasons: str,
                    conditions: str) -> str:
    """The council's continuation review of the year the project is in (継続審査), once the
    year is evaluated: continue, continue with conditions, or end. Refuses (naming the
    year and the rule) a decision to continue in the programme's last year, a missing
    reason or condition, and a year not yet evaluated; returns the message to show."""
    year = project.current_year
    name = year_name(year.year_number, year.fiscal_year) if year else "この年度"
    if year is None or project.status != "evaluated":
        raise ValidationFailed(gettext("継続審査の結果は、%(name)sの事業報告書の評価が済んだ（評価済の）協働事業に記録します。", name=name))
    if decision not in YEAR_DECISIONS:
        raise ValidationFailed(gettext("継続審査の結果（継続・条件付きで継続・終了）を選んでください。"),
                               field="decision")
    rule = project_rule(project)
    if decision in CONTINUING and year.year_number >= rule.max_years:
        raise ValidationFailed(gettext("%(name)sは、この事業の最終年度です（規定: %(v2)s）。継続とは決められません。", name=name, v2=rule.describe()), field="decision")
    if decided_on is None:
        raise ValidationFailed(gettext("決定日を入力してください。"), field="decided_on")
    if year.completed_on is not None and decided_on < year.completed_on:
        raise ValidationFailed(gettext("決定日は%(name)sの事業完了日（%(completed_on)s）より後にしてください。", name=name, completed_on=display.date(year.completed_on)), field="decided_on")
    reasons, conditions = reasons.strip(), conditions.strip()
    if not reasons:
        raise ValidationFailed(gettext("決定の理由を入力してください（団体への通知に載ります）。"),
                               field="decision_reasons")
    if decision == "continue_with_conditions" and not conditions:
        raise ValidationFailed(gettext("継続の条件を入力してください。"), field="decision_conditions")
    year.decision, year.decided_on = decision, decided_on
    year.decision_reasons = reasons
    year.decision_conditions = conditions if decision == "continue_with_conditions" else ""
    then = (gettext("「次の年度を開始する」で次の年度へ進めます。") if decision in CONTINUING
            else gettext("「終了する」で協働事業を終了します。"))
    return gettext("%(year)sの継続審査の結果（%(decision)s）を記録しました。", year=name,
                   decision=gettext(YEAR_DECISIONS[decision])) + then


def year_states(project: Any) -> dict[int, str]:
    """Each year's state in words: the year the project is in has the project's state, an
    earlier one was continued (継続)."""
    from ..models.project import PROJECT_STATES

    current = project.current_year
    return {year.id: (gettext(PROJECT_STATES.get(project.status, project.status)) if year is current
                      else gettext("継続（%(decision)s）",
                                   decision=gettext(YEAR_DECISIONS.get(year.decision, "継続"))))
            for year in project.years}
