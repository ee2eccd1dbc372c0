"""Pure domain rules: 法人番号 check digit, fiscal years, CSV neutralising, indicators, totals."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kyodo_admin.admin.mixins.export import FORMULA_PREFIXES, neutralize_formula
from kyodo_admin.demo import corporate_number
from kyodo_admin.models import Agreement, CostShare, Indicator, fiscal_year_of
from kyodo_admin.models.organization import corporate_number_is_valid

digits12 = st.text(alphabet="0123456789", min_size=12, max_size=12)


def test_known_corporate_numbers():
    assert corporate_number_is_valid("7000012050002")  # 国税庁
    assert not corporate_number_is_valid("8000012050002")
    assert not corporate_number_is_valid("700001205000")  # 12 digits
    assert not corporate_number_is_valid("７０００１２０５０００２")  # full-width


@given(digits12, st.integers(min_value=1, max_value=8))
def test_only_the_right_check_digit_passes(base, shift):
    number = corporate_number(base)
    assert corporate_number_is_valid(number)
    wrong = str((int(number[0]) + shift) % 10) + base
    assert corporate_number_is_valid(wrong) == (wrong == number)


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_fiscal_year_runs_april_to_march(day):
    year = fiscal_year_of(day)
    assert dt.date(year, 4, 1) <= day < dt.date(year + 1, 4, 1)


def test_fiscal_year_edges():
    assert fiscal_year_of(dt.date(2026, 3, 31)) == 2025
    assert fiscal_year_of(dt.date(2026, 4, 1)) == 2026
    assert fiscal_year_of(None) is None


@given(st.text())
def test_neutralised_text_never_starts_a_formula(text):
    out = neutralize_formula(text)
    assert not out.startswith(FORMULA_PREFIXES)
    if not text.startswith(FORMULA_PREFIXES):
        assert out == text


def test_indicator_achievement():
    assert Indicator(target_value=200, actual_value=150).achievement == 75.0
    assert Indicator(target_value=0, actual_value=5).achievement is None
    assert Indicator(target_value=10, actual_value=None).achievement is None


def test_agreement_cost_totals():
    agreement = Agreement(cost_shares=[CostShare(item="a", city_amount=600_000, organization_amount=0),
                                       CostShare(item="b", city_amount=300_000,
                                                 organization_amount=150_000)])
    assert (agreement.city_cost_total, agreement.organization_cost_total) == (900_000, 150_000)
