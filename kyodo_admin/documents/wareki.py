"""Japanese era dates (和暦) and fiscal years (年度) as printed on city documents."""

from __future__ import annotations

import datetime as dt

#: (first day, era name), newest first. 2019-05-01 is 令和元年5月1日.
ERAS: tuple[tuple[dt.date, str], ...] = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
    (dt.date(1873, 1, 1), "明治"),
)


def era_year(day: dt.date) -> tuple[str, int]:
    """The era and the year in it (元年 = 1)."""
    for start, name in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError(f"{day} is before the Japanese calendar used here (1873)")


def _year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


#: What a missing date prints as: the blanks of a paper form, filled in by hand.
BLANK_DATE = "令和　　年　　月　　日"
BLANK_NENDO = "令和　　年度"


def wareki(day: dt.date | None) -> str:
    """令和8年4月1日 (and 令和元年5月1日); a missing date leaves the form's blanks."""
    if day is None:
        return BLANK_DATE
    if day < ERAS[-1][0]:  # before the calendar printed here: shown, never an error
        return f"{day.year}年{day.month}月{day.day}日"
    era, year = era_year(day)
    return f"{era}{_year_text(year)}年{day.month}月{day.day}日"


def wareki_month(year: int, month: int) -> str:
    """令和8年7月: a month, named by the era of its first day (April 2019 is 平成31年4月)."""
    if dt.date(year, month, 1) < ERAS[-1][0]:
        return f"{year}年{month}月"
    era, in_era = era_year(dt.date(year, month, 1))
    return f"{era}{_year_text(in_era)}年{month}月"


def nendo(fiscal_year: int | None) -> str:
    """令和8年度 for the fiscal year starting 1 April 2026.

    A fiscal year is named by the era in force on its 1 April, unless a new era
    began later in that calendar year: April 2019 - March 2020 is 令和元年度,
    while April 1988 - March 1989 stays 昭和63年度.
    """
    if fiscal_year is None:
        return BLANK_NENDO
    if not ERAS[-1][0].year <= fiscal_year <= dt.MAXYEAR - 1:  # shown, never an error
        return f"{fiscal_year}年度"
    day = dt.date(fiscal_year, 4, 1)
    for start, _name in ERAS:
        if day < start <= dt.date(fiscal_year, 12, 31):
            day = start
            break
    era, year = era_year(day)
    return f"{era}{_year_text(year)}年度"


def number(value: float | None) -> str:
    """1,200 for a whole number, 12.5 otherwise; empty for None (indicator values)."""
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def yen(amount: int | None) -> str:
    """1,234,567円."""
    return "" if amount is None else f"{amount:,}円"
