"""Times are stored in UTC and shown in Japan Standard Time, the time of the cities' offices."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def to_local(value: dt.datetime) -> dt.datetime:
    """The same instant in JST (a naive value, as SQLite returns them, is UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(JST)


def local_datetime(value: dt.datetime | None, seconds: bool = False) -> str:
    """「2026-11-25 17:16」 in JST; empty for None."""
    if value is None:
        return ""
    return to_local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def datetime_formatter(_view: Any, value: dt.datetime, _name: str) -> str:
    """Flask-Admin type formatter for list, details and CSV export."""
    return local_datetime(value)
