"""The city's own settings: addressee, coordinating section and deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..documents.wareki import nendo, wareki
from ..errors import StaleRecord
from ..models.base import fiscal_year_of
from ..models.city import City
from ..sessions import Session
from ..workflow.deadlines import (
    DEFAULT_SETTINGS,
    budget_timing,
    report_due,
    settings_for,
    step2_deadline,
)


def update_city_settings(session: Session, city: City, *, loaded_version: str,
                         head_title: str, coordinating_section: str,
                         settings: dict[str, Any]) -> None:
    """Store the city's settings if nobody changed them since ``loaded_version`` was read.

    Only known setting keys are taken; keys the city had that this screen does not
    know are kept. The caller commits.
    """
    if loaded_version != str(city.version):
        raise StaleRecord("設定は、画面を開いた後に他の利用者によって変更されました。"
                          "あなたの変更は保存されていません。画面を開き直してから再度変更してください。")
    city.head_title = head_title
    city.coordinating_section = coordinating_section
    known = {key: value for key, value in settings.items() if key in DEFAULT_SETTINGS}
    city.settings = {**(city.settings or {}), **known}  # a new dict, so the change is tracked
    session.flush()


def settings_examples(city: City, today: dt.date) -> list[tuple[str, str]]:
    """What the city's settings mean on concrete dates of this fiscal year (shown under
    the settings form)."""
    settings = settings_for(city)
    year = fiscal_year_of(today)
    late_day = dt.date(year, 5, 15)
    late = budget_timing(late_day, settings)
    completed = dt.date(year + 1, 1, 31)
    return [
        (f"{wareki(late_day)}に届いた予算を伴う提案",
         f"{'締切後' if late.late else '締切内'}（締切 {wareki(late.deadline)}）→ "
         f"{nendo(late.budget_year)}予算の対象"),
        (f"{wareki(completed)}に完了した事業の事業報告書",
         f"提出期限 {wareki(report_due(completed, settings))}"),
        (f"{nendo(year)}のステップ2（決定）", f"期限 {wareki(step2_deadline(year, settings))}"),
    ]
