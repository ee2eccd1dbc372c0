"""Cells of the Excel files the back office writes (list exports, the annual ledger), typed
as Excel should read them."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

#: Excel's display of a date in the Japanese era (令和8年4月1日) and of an amount (1,200,000).
WAREKI_FORMAT = '[$-ja-JP-x-gannen]ggge"年"m"月"d"日"'
NUMBER_FORMAT = "#,##0"


def typed(cell: Any, *, amount: bool = True) -> Any:
    """The cell formatted for its value: text stored as text (「=1+1」 is never a formula), a
    date shown in 和暦, a whole number or amount with thousands separators (unless ``amount``
    is false: a year, 2026)."""
    value = cell.value
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, dt.date):
        cell.number_format = WAREKI_FORMAT
    elif amount and isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool):
        cell.number_format = NUMBER_FORMAT
    return cell
