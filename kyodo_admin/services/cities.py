"""The city's own settings: addressee, coordinating section and deadlines."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import gettext

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
        raise StaleRecord(gettext("設定は、画面を開いた後に他の利用者によって変更されました。"
                          "あなたの変更は保存されていません。画面を開き直してから再度変更してください。"))
    city.head_title = head_title
    city.coordinating_section = coordinating_section
    known = {key: value for key, value in settings.items() if key in DEFAULT_SETTINGS}
    city.settings = {**(city.settings or {}), **known}  # a new dict, so the change is tracked
    session.flush()


def settings_examples(city: City, today: dt.date) -> list[tuple[str, str]]:
    from ..display import date, fiscal_year
    from .programme import rule_for

    """What the city's settings mean on concrete dates of this fiscal year (shown under
    the settings form)."""
    settings = settings_for(city)
    year = fiscal_year_of(today)
    late_day = dt.date(year, 5, 15)
    late = budget_timing(late_day, settings)
    completed = dt.date(year + 1, 1, 31)
    return [
        (gettext("%(day)sに届いた予算を伴う提案", day=date(late_day)),
         gettext("%(when)s（締切 %(deadline)s）→ %(year)s予算の対象",
                 when=gettext("締切後") if late.late else gettext("締切内"),
                 deadline=date(late.deadline), year=fiscal_year(late.budget_year))),
        (gettext("%(day)sに完了した事業の事業報告書", day=date(completed)),
         gettext("提出期限 %(day)s", day=date(report_due(completed, settings)))),
        (gettext("%(year)sのステップ2（決定）", year=fiscal_year(year)),
         gettext("期限 %(day)s", day=date(step2_deadline(year, settings)))),
        (gettext("協働事業の年度と市の負担（形態ごとの規定がなければ）"), rule_for(city).describe()),
    ]


#: A city's identifier in URLs (/entrance/<slug>/) and commands: lowercase letters first
#: (the cities screen and the commands alike).
SLUG_PATTERN = re.compile(r"[a-z][a-z0-9-]{1,39}\Z")


def seed_cities() -> list[str]:
    """The cities whose forms and Word templates ship with the product (forms/<slug>/)."""
    from ..demo import CITIES

    return [spec["slug"] for spec in CITIES]


def add_city(session: Session, slug: str, name: str, *, head_title: str = "",
             coordinating_section: str = "", seed: str | None = None) -> City:
    """A new city: blank, or with a seed city's forms, Word templates, collaboration types,
    review criteria and council (not its departments, organizations or records). Refuses a
    bad or taken slug or name, and an unknown seed, before creating anything; the caller
    commits."""
    from sqlalchemy import select

    from ..demo import CITIES, FORMS_DIR
    from ..errors import ValidationFailed
    from ..models.council import Council, Criterion
    from ..models.project import CollaborationType
    from ..tenancy import scoped_to
    from .documents import install_shipped_templates
    from .form_definitions import publish_definition, read_definition_file

    name = name.strip()
    if not SLUG_PATTERN.fullmatch(slug):
        raise ValidationFailed(gettext("自治体の識別子「%(slug)s」は使えません。半角英小文字で始まる、英小文字・数字・ハイフンの2〜40文字にしてください（例: kamakura）。", slug=slug),
                               field="slug")
    if not name:
        raise ValidationFailed(gettext("自治体の名称を入力してください。"), field="name")
    for column, value, label in ((City.slug, slug, "識別子"), (City.name, name, "名称")):
        if session.execute(select(City.id).where(column == value)).first():
            raise ValidationFailed(gettext("自治体の%(label)s「%(value)s」は既に登録されています。", label=label, value=value),
                                   field=column.key)
    spec = next((s for s in CITIES if s["slug"] == seed), None) if seed else None
    if seed and spec is None:
        raise ValidationFailed(gettext("元にする自治体「%(seed)s」はありません。使えるのは %(v3)s です。", seed=seed, v3=', '.join(seed_cities())), field="seed")
    city = City(slug=slug, name=name, head_title=head_title or f"{name}長",
                coordinating_section=coordinating_section,
                settings=dict(spec.get("programme", {})) if spec else {})
    session.add(city)
    session.flush()
    if spec is None:
        return city
    with scoped_to(city.id):
        for path in sorted((FORMS_DIR / spec["slug"]).glob("*.yaml")):
            publish_definition(session, city, read_definition_file(path))
        install_shipped_templates(session, city, from_slug=spec["slug"])
        session.add_all(CollaborationType(city=city, name=type_name, sort_order=i)
                        for i, type_name in enumerate(spec["collaboration_types"]))
        session.add_all(Criterion(city=city, name=criterion, description=description,
                                  sort_order=i, kind=kind[0] if kind else "score")
                        for i, (criterion, description, *kind) in enumerate(spec["criteria"]))
        session.add(Council(city=city, name=spec["council"],
                            description=f"{name}の{spec['council']}"))
        session.flush()
    return city
