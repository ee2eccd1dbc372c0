"""The one clock of the app: today and now in the cities' time zone.

Times are stored in UTC and shown, dated and counted in local time — the time of
the cities' offices, Asia/Tokyo unless ``KYODO_TIMEZONE`` says otherwise. Between
00:00 and 09:00 JST the UTC date is still the previous day, so nothing may ask
``date.today()`` (the server's zone) for a 受付日, 締結日, a document's date or a
deadline: it asks ``today()`` here. Tests set the clock with ``time-machine``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Tokyo"

_zone: ZoneInfo = ZoneInfo(DEFAULT_TIMEZONE)


def configure(name: str | None) -> None:
    """Set the zone (from the app's ``KYODO_TIMEZONE``); an unknown name is refused."""
    global _zone
    try:
        _zone = ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"KYODO_TIMEZONE: unknown time zone {name!r}") from exc


def zone() -> ZoneInfo:
    return _zone


def now() -> dt.datetime:
    """The current instant, aware, in UTC (as stored)."""
    return dt.datetime.now(dt.UTC)


def local_now() -> dt.datetime:
    """The current time in the cities' zone."""
    return dt.datetime.now(_zone)


def today() -> dt.date:
    """Today's date in the cities' zone (never the server's)."""
    return local_now().date()


def to_local(value: dt.datetime) -> dt.datetime:
    """The same instant in local time (a naive value, as SQLite returns them, is UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(_zone)


def local_datetime(value: dt.datetime | None, seconds: bool = False) -> str:
    """「2026-11-25 17:16」 in local time; empty for None."""
    if value is None:
        return ""
    return to_local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def datetime_formatter(_view: Any, value: dt.datetime, _name: str) -> str:
    """Flask-Admin type formatter for list, details and CSV export."""
    return local_datetime(value)
