"""The city's own settings: addressee, coordinating section and deadlines."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..errors import StaleRecord
from ..models.city import City
from ..workflow.deadlines import DEFAULT_SETTINGS


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
