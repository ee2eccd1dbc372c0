"""Deadlines on the Japanese calendar, with each city's settings.

- The completion report is due one month after the completion date, counted as
  the Civil Code counts periods (民法第140条・第143条): the first day is not
  counted (unless the city counts it), the period ends the day before the
  corresponding day of the following month, or at that month's end when it has
  no such day (31 January -> end of February). A due date on a Saturday,
  Sunday, national holiday (``jpholiday``) or 29 December - 3 January moves to
  the next open day (民法第142条 and the city's year-end closure).
- A proposal that needs a budget must arrive by 30 April; a later one is taken
  for the following year or flagged, per the city's setting.
- Step-2 decisions by 31 July.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jpholiday
from flask_babel import gettext

from ..errors import ValidationFailed
from ..models.base import fiscal_year_of

#: The guidelines' defaults; a city's ``settings`` override them key by key.
DEFAULT_SETTINGS: dict[str, Any] = {
    "budget_deadline": "04-30",          # MM-DD: proposals needing a budget
    "late_budget_proposal": "next_year",  # "next_year" or "flag"
    "step2_deadline": "07-31",           # MM-DD: step-2 decisions
    "report_months": 1,                  # the report is due this many months after completion
    "count_completion_day": False,       # 初日算入: the completion day counts as the first day
    "meetings_per_year": 5,
    "year_end_closure": True,            # 29 Dec - 3 Jan are closed days
    "days_ahead": 30,                    # a 締結日 or 完了日 may be this many days ahead
    "head_name": "",                     # the mayor's name, printed after head_title
    "document_number": "",               # 文書番号 before the number: 「鎌地つ第」
    "mail_sender_name": "",              # the From name of notices (default: the section)
    "mail_signature": "",                # the signature under every notice
    # The programme's rule (services/programme.py); a collaboration type may have its own.
    "max_years": 1,                      # fiscal years a project may run (継続できる年度数)
    "yearly_cap": 0,                     # the city's share a year at most, 円 (0: no cap)
    "share_ratios": "",                  # the city's share of a year's cost at most, % per year
}

LATE_BUDGET_CHOICES = {
    "next_year": "次の年度の提案として扱う（予算化は翌々年度）",
    "flag": "今年度の提案のまま、締切後である旨を表示する",
}

SETTING_LABELS = {
    "budget_deadline": "予算を伴う提案の締切（月-日）",
    "late_budget_proposal": "締切後に届いた予算を伴う提案の扱い",
    "step2_deadline": "ステップ2（決定）の期限（月-日）",
    "report_months": "事業報告書の提出期限（完了後の月数）",
    "count_completion_day": "完了日を期間の初日に算入する",
    "meetings_per_year": "年度あたりの会議の予定回数",
    "year_end_closure": "年末年始（12月29日〜1月3日）を閉庁日とする",
    "days_ahead": "締結日・事業完了日として入力できる先の日付（今日から何日後まで）",
    "head_name": "市長（首長）の氏名（通知・協定書の記名に使います）",
    "document_number": "文書番号の記号（例: 鎌地つ第。通知に「鎌地つ第　　号」と印字します）",
    "mail_sender_name": "通知メールの差出人名（空欄なら協働事業の担当課）",
    "mail_signature": "通知メールの署名",
    "max_years": "協働事業を実施できる年度数（最長。継続審査で次の年度へ進めます）",
    "yearly_cap": "市の負担額の上限（1年度あたりの円。0は上限なし）",
    "share_ratios": "市の負担割合の上限（年度ごとの％をカンマ区切りで。例: 80,70,60。空欄は上限なし）",
}


def settings_for(city: Any) -> dict[str, Any]:
    """The city's settings over the defaults (unknown keys are kept, bad types ignored)."""
    stored: Mapping[str, Any] = getattr(city, "settings", None) or {}
    merged = dict(DEFAULT_SETTINGS)
    for key, value in stored.items():
        default = DEFAULT_SETTINGS.get(key)
        if default is None or isinstance(value, type(default)):
            merged[key] = value
    return merged


def month_day(fiscal_year: int, mm_dd: str) -> dt.date:
    """The date of "MM-DD" within a fiscal year (January-March fall in the next year)."""
    month, day = (int(part) for part in mm_dd.split("-"))
    return dt.date(fiscal_year if month >= 4 else fiscal_year + 1, month, day)


def setting_day(settings: Mapping[str, Any], key: str, fiscal_year: int) -> dt.date:
    """The date a city's MM-DD setting (``budget_deadline``, ``step2_deadline``) names in a
    fiscal year; ValidationFailed naming the setting when it is not one (a half-filled or
    hand-edited setting)."""
    value = settings[key]
    try:
        return month_day(fiscal_year, value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            gettext("自治体の設定「%(v1)s」が「%(value)s」になっています。設定 > 自治体の設定・期限で 07-31 のように月-日で入力してください。", v1=SETTING_LABELS.get(key, key), value=value)) from None


def is_closed(day: dt.date, year_end_closure: bool = True) -> bool:
    """Saturday, Sunday, a national holiday, or (by default) 29 December - 3 January."""
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return True
    return year_end_closure and ((day.month == 12 and day.day >= 29)
                                 or (day.month == 1 and day.day <= 3))


def next_open_day(day: dt.date, year_end_closure: bool = True) -> dt.date:
    while is_closed(day, year_end_closure):
        day += dt.timedelta(days=1)
    return day


def add_months(day: dt.date, months: int) -> dt.date | None:
    """The same day ``months`` later, or None when that month has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if day.day > calendar.monthrange(year, month)[1]:
        return None
    return day.replace(year=year, month=month)


def period_end(start: dt.date, months: int, count_first_day: bool = False) -> dt.date:
    """The last day of a period of ``months`` months from ``start`` (民法第140条・第143条)."""
    first = start if count_first_day else start + dt.timedelta(days=1)
    corresponding = add_months(first, months)
    if corresponding is None:
        index = first.month - 1 + months
        year, month = first.year + index // 12, index % 12 + 1
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return corresponding - dt.timedelta(days=1)


def report_due(completed_on: dt.date, settings: Mapping[str, Any] | None = None) -> dt.date:
    """When the completion report is due for a project completed on ``completed_on``."""
    s = {**DEFAULT_SETTINGS, **(settings or {})}
    end = period_end(completed_on, int(s["report_months"]), bool(s["count_completion_day"]))
    return next_open_day(end, bool(s["year_end_closure"]))


@dataclass(frozen=True)
class BudgetTiming:
    """Which fiscal year a proposal that needs a budget is taken for."""

    budget_year: int      # the fiscal year whose budget it goes into
    late: bool            # it arrived after the deadline
    deadline: dt.date     # the deadline it was measured against


def budget_timing(received_on: dt.date, settings: Mapping[str, Any] | None = None) -> BudgetTiming:
    """A proposal received by the deadline goes into next fiscal year's budget; a later one
    into the year after (``next_year``) or stays and is flagged (``flag``)."""
    s = {**DEFAULT_SETTINGS, **(settings or {})}
    year = fiscal_year_of(received_on)
    deadline = setting_day(s, "budget_deadline", year)
    late = received_on > deadline
    budget_year = year + 1
    if late and s["late_budget_proposal"] == "next_year":
        budget_year += 1
    return BudgetTiming(budget_year, late, deadline)


def step2_deadline(fiscal_year: int, settings: Mapping[str, Any] | None = None) -> dt.date:
    s = {**DEFAULT_SETTINGS, **(settings or {})}
    return setting_day(s, "step2_deadline", fiscal_year)


def previous_open_day(day: dt.date, year_end_closure: bool = True) -> dt.date:
    while is_closed(day, year_end_closure):
        day -= dt.timedelta(days=1)
    return day


def _wednesday_from(day: dt.date, year_end_closure: bool) -> dt.date:
    """The first Wednesday on or after ``day`` (the council's usual day), or the next open day."""
    return next_open_day(day + dt.timedelta(days=(2 - day.weekday()) % 7), year_end_closure)


def planned_meeting_dates(fiscal_year: int, settings: Mapping[str, Any] | None = None
                          ) -> list[tuple[dt.date, int]]:
    """A fiscal year's council meetings as (date, step), in date order.

    One step-2 meeting (決定) on the last open day a week before the step-2 deadline;
    the first step-1 meeting in the month after the budget deadline, so that budget
    proposals are reviewed before step 2; the other step-1 meetings spread evenly from
    September to February, on Wednesdays, moved past closed days.
    """
    s = {**DEFAULT_SETTINGS, **(settings or {})}
    closure = bool(s["year_end_closure"])
    count = max(int(s["meetings_per_year"]), 2)
    step2 = previous_open_day(step2_deadline(fiscal_year, s) - dt.timedelta(days=7), closure)
    budget = setting_day(s, "budget_deadline", fiscal_year)
    first = _wednesday_from(budget.replace(day=1) + dt.timedelta(days=31 + 14), closure)
    if not budget < first < step2:
        first = _wednesday_from(budget + (step2 - budget) / 2, closure)
    start, end = dt.date(fiscal_year, 9, 1), dt.date(fiscal_year + 1, 2, 28)
    rest = count - 2
    spacing = (end - start) / max(rest, 1)
    later = [_wednesday_from(start + spacing * (k + 0.5), closure) for k in range(rest)]
    return sorted([(first, 1), (step2, 2), *((day, 1) for day in later)])
