"""Example records (never saved) for the placeholder reference, previews and test renders.

They carry the city's own name, addressee, coordinating section and settings (and one of
its departments) so that a clerk of 八王子市 sees 八王子市 in the reference; the partner is
a neutral example organization. Without a city (``kyodo templates check`` with no
``--city``) the city is 〇〇市.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models import (
    Agreement,
    City,
    CompletionReport,
    CostShare,
    Department,
    Evaluation,
    Indicator,
    Meeting,
    Organization,
    Project,
    ProjectPlan,
    ProjectYear,
    Proposal,
    Review,
    RoleShare,
)
from ..workflow.deadlines import settings_for

#: The city of examples when none is known.
NO_CITY = {"name": "〇〇市", "slug": "example", "head_title": "〇〇市長",
           "coordinating_section": "市民協働課"}


def example_city(city: City | None) -> City:
    """A copy of the city (never the session's row, which an example must not touch)."""
    if city is None:
        return City(**NO_CITY, settings={})
    return City(name=city.name, slug=city.slug, head_title=city.head_title or f"{city.name}長",
                coordinating_section=city.coordinating_section, settings=dict(city.settings or {}))


def _base(city: City | None, department: Department | None) -> dict[str, Any]:
    city = example_city(city)
    organization = Organization(name="特定非営利活動法人 まちの子育てネット", representative="山田 花子",
                                postal_code="100-0001", address=f"{city.name}中央一丁目2番3号",
                                phone="03-0000-0000", email="info@example.jp",
                                corporate_number="7000012050002", org_type="npo")
    department = Department(name=department.name if department else "子ども家庭課",
                            phone=department.phone if department else "03-0000-1111")
    project = Project(city=city, title="子育て支援情報発信事業", organization=organization,
                      department=department, start_date=dt.date(2026, 4, 1),
                      end_date=dt.date(2027, 3, 31), completed_on=dt.date(2027, 3, 31),
                      fiscal_year=2026, budget_amount=1_200_000, summary="情報を冊子とウェブで発信する。")
    return {"city": city, "organization": organization, "department": department,
            "project": project}


def example_answers(definition: Any) -> dict[str, Any]:
    """An answer for every field of a form definition, for the reference and test renders."""
    from ..formschema.definition import fields_of
    from ..formschema.types import REGISTRY

    if definition is None:
        return {}
    return {f["name"]: REGISTRY[f["type"]].example(f) for f in fields_of(definition.schema)}


def example_for(kind: str, city: City | None = None, department: Department | None = None) -> Any:
    """An example record of the kind, in the city (and with the department) given."""
    base = _base(city, department)
    city, project = base["city"], base["project"]
    proposal = Proposal(city=city, receipt_number="2026-001", title="子育て支援情報発信事業",
                        proposer_type="npo", organization=base["organization"],
                        department=base["department"], received_on=dt.date(2026, 4, 10),
                        fiscal_year=2026, budget_amount=1_200_000, status="submitted",
                        summary="子育て世帯に必要な情報を届ける。", answers={})
    if kind == "basic_sheet":
        return proposal
    if kind == "review_result_notice":
        return Review(city=city, proposal=proposal, step=1, result="returned",
                      meeting=Meeting(title="令和8年度 第1回会議", held_on=dt.date(2026, 6, 10)),
                      decided_on=dt.date(2026, 6, 10), reasons="費用分担が明確ではないため。",
                      advice="担当課と役割分担を話し合ってください。", answers={})
    if kind == "project_plan":
        return ProjectPlan(city=city, project=project, fiscal_year=2026, purpose="目的",
                           target="目標", content="内容", schedule="予定", answers={},
                           indicators=[Indicator(name="冊子配布部数", unit="部", target_value=3000,
                                                 actual_value=3200)])
    if kind == "agreement":
        return Agreement(city=city, project=project, title="子育て支援情報発信事業に関する協定書",
                         start_date=dt.date(2026, 4, 1), end_date=dt.date(2027, 3, 31),
                         signed_on=dt.date(2026, 4, 1),
                         city_signatory=f"{city.head_title}　{settings_for(city)['head_name'] or '〇〇 〇〇'}",
                         organization_signatory="代表 山田 花子", responsibility="甲乙協議のうえ負担する。",
                         answers={},
                         role_shares=[RoleShare(item="広報", city_role="広報紙に掲載",
                                                organization_role="SNSで発信")],
                         cost_shares=[CostShare(item="印刷製本費", city_amount=600_000,
                                                organization_amount=0, note="")])
    if kind == "completion_report":
        return CompletionReport(city=city, project=project, fiscal_year=2026,
                                due_on=dt.date(2027, 4, 30), submitted_on=dt.date(2027, 4, 20),
                                summary="冊子を3,200部配布した。", actual_cost=1_150_000, answers={})
    if kind == "evaluation":
        return Evaluation(city=city, project=project, side="city", evaluator=base["department"].name,
                          evaluated_on=dt.date(2027, 5, 20), rating="B", comment="おおむね達成。",
                          answers={})
    if kind == "continuation_notice":
        year = ProjectYear(city=city, project=project, fiscal_year=2026, year_number=1,
                           completed_on=dt.date(2027, 3, 31), decision="continue_with_conditions",
                           decided_on=dt.date(2027, 5, 20),
                           decision_reasons="冊子の配布部数が目標を上回り、利用者の評価も高いため。",
                           decision_conditions="配布先に地域の子育て支援拠点を加えること。")
        project.years = [year]
        return year
    raise KeyError(kind)


def printed(value: Any) -> str:
    """An example as ``{{ name }}`` prints it (a typed answer in its Japanese form)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


def formatted(name: str, value: Any) -> str:
    """The placeholder with the filter that prints a raw value in Japanese form, and what it
    prints; "" when it prints so already."""
    from .render import checkbox
    from .values import YesNo
    from .wareki import nendo, wareki, yen

    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, YesNo):
        return f"{{{{ {name}|checkbox }}}} → {checkbox(value)}"
    if type(value) is dt.date:
        return f"{{{{ {name}|wareki }}}} → {wareki(value)}"
    if type(value) is int and name.endswith("fiscal_year"):
        return f"{{{{ {name}|nendo }}}} → {nendo(value)}"
    if type(value) is int and ("amount" in name or name.endswith("total")):
        return f"{{{{ {name}|yen }}}} → {yen(value)}"
    return ""
