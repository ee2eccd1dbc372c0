"""Deadlines on the Japanese calendar: Civil Code month periods, closed days, budget timing."""

from __future__ import annotations

import datetime as dt

import pytest

from kyodo_admin.documents.wareki import wareki
from kyodo_admin.workflow.deadlines import (
    DEFAULT_SETTINGS,
    budget_timing,
    is_closed,
    next_open_day,
    period_end,
    report_due,
    settings_for,
    step2_deadline,
)

D = dt.date


@pytest.mark.parametrize(("completed", "end"), [
    (D(2026, 1, 15), D(2026, 2, 15)),   # the day before 16 February, the corresponding day
    (D(2026, 1, 31), D(2026, 2, 28)),   # no 31 February: the month's end
    (D(2024, 1, 31), D(2024, 2, 29)),   # leap year
    (D(2026, 1, 30), D(2026, 2, 28)),
    (D(2026, 3, 31), D(2026, 4, 30)),
    (D(2026, 12, 31), D(2027, 1, 31)),  # over the year's end
])
def test_one_month_after_completion_as_the_civil_code_counts(completed, end):
    assert period_end(completed, 1) == end


def test_counting_the_completion_day_ends_a_day_earlier():
    assert period_end(D(2026, 1, 15), 1, count_first_day=True) == D(2026, 2, 14)
    assert period_end(D(2026, 1, 31), 1, count_first_day=True) == D(2026, 2, 28)
    due = report_due(D(2026, 1, 15), {"count_completion_day": True})
    assert due == D(2026, 2, 16)  # 14 Feb is a Saturday


def test_month_end_due_date_that_is_open_stays():
    assert report_due(D(2024, 1, 31)) == D(2024, 2, 29)  # a Thursday


def test_month_end_on_a_weekend_moves_to_monday():
    assert report_due(D(2026, 1, 31)) == D(2026, 3, 2)  # 28 Feb 2026 is a Saturday


def test_a_due_date_on_a_national_holiday_moves_past_the_holidays():
    # 4 May 2026 is みどりの日; 5 May こどもの日; 6 May a substitute holiday.
    assert period_end(D(2026, 4, 4), 1) == D(2026, 5, 4)
    assert report_due(D(2026, 4, 4)) == D(2026, 5, 7)


def test_the_year_end_closure_moves_the_due_date_to_january():
    assert period_end(D(2026, 11, 29), 1) == D(2026, 12, 29)
    assert report_due(D(2026, 11, 29)) == D(2027, 1, 4)
    # a city without the closure keeps 29 December (a Tuesday)
    assert report_due(D(2026, 11, 29), {"year_end_closure": False}) == D(2026, 12, 29)
    assert all(is_closed(D(2026, 12, 29) + dt.timedelta(days=i)) for i in range(6))


def test_the_2019_era_change():
    # 30 April 2019 (国民の休日), 1 May (即位の日), 2 May, and Golden Week: open again on 7 May.
    due = report_due(D(2019, 3, 31))
    assert due == D(2019, 5, 7)
    assert wareki(due) == "令和元年5月7日"
    assert wareki(period_end(D(2019, 3, 31), 1)) == "平成31年4月30日"


def test_next_open_day_of_an_open_day_is_itself():
    assert next_open_day(D(2026, 11, 25)) == D(2026, 11, 25)


@pytest.mark.parametrize(("received", "policy", "budget_year", "late"), [
    (D(2026, 4, 30), "next_year", 2027, False),
    (D(2026, 4, 1), "next_year", 2027, False),
    (D(2026, 5, 1), "next_year", 2028, True),
    (D(2026, 5, 1), "flag", 2027, True),
    (D(2027, 3, 31), "next_year", 2028, True),   # still fiscal 2026
    (D(2027, 4, 2), "next_year", 2028, False),   # fiscal 2027, on time
])
def test_budget_proposals_must_arrive_by_30_april(received, policy, budget_year, late):
    timing = budget_timing(received, {"late_budget_proposal": policy})
    assert (timing.budget_year, timing.late) == (budget_year, late)


def test_step2_deadline_and_city_settings():
    assert step2_deadline(2026) == D(2026, 7, 31)
    assert step2_deadline(2026, {"step2_deadline": "08-15"}) == D(2026, 8, 15)

    class City:
        settings = {"report_months": 2, "count_completion_day": "yes", "custom": 1}

    merged = settings_for(City())
    assert merged["report_months"] == 2
    assert merged["count_completion_day"] is DEFAULT_SETTINGS["count_completion_day"]  # bad type
    assert merged["custom"] == 1
