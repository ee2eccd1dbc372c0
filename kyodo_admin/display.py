"""Dates, fiscal years and amounts on a screen, in the language the user chose.

Japanese screens show them as the city's documents print them (令和8年4月1日, 令和8年度,
1,234円, documents/wareki.py); English screens as an English reader expects them (1 Apr 2026,
FY2026, ¥1,234). Documents print in Japanese whoever issues them: ``in_japanese`` wraps
their renderers, so anything of here they use (a checkbox answer's はい) stays Japanese.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import has_request_context
from flask_babel import force_locale, format_date, get_locale, gettext
from markupsafe import Markup

from .documents.wareki import nendo, wareki, yen


def english() -> bool:
    """Whether this request's pages are in English (the CLI and the worker: no)."""
    if not has_request_context():
        return False
    locale = get_locale()
    return locale is not None and locale.language == "en"


def date(day: dt.date | None) -> str:
    """令和8年4月1日 / 1 Apr 2026; empty for no date."""
    if day is None:
        return ""
    return format_date(day, "d MMM y") if english() else wareki(day)


def fiscal_year(year: int | None) -> str:
    """令和8年度 / FY2026 (April 2026 to March 2027); empty for no year."""
    if year is None:
        return ""
    return f"FY{year}" if english() else nendo(year)


def amount(value: int | None) -> str:
    """1,234円 / ¥1,234; empty for no amount."""
    if value is None:
        return ""
    return f"¥{value:,}" if english() else yen(value)


def yes_no(value: bool | None) -> str:
    """はい／いいえ / Yes／No."""
    return gettext("はい") if value else gettext("いいえ")


def own_words() -> Markup:
    """The attribute that marks a city's own words (its form's items, answers, mail texts,
    all Japanese) on an English page, WCAG 2.1 3.1.2; nothing on a Japanese one."""
    return Markup(' lang="ja"') if english() else Markup("")


P = ParamSpec("P")
R = TypeVar("R")


def in_japanese(function: Callable[P, R]) -> Callable[P, R]:
    """A document, ledger or mail made by ``function`` prints in Japanese (dates in 和暦,
    record names, labels), whichever language the user who asks for it reads."""

    @functools.wraps(function)
    def japanese(*args: P.args, **kwargs: P.kwargs) -> R:
        with force_locale("ja"):
            return function(*args, **kwargs)

    return japanese
