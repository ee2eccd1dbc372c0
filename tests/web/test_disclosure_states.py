"""The public sees only what is final: for every state of a project, its report (written but
not accepted, or accepted), its evaluations and its agreement (draft, signed, superseded)
are on the disclosure page exactly when ``workflow/publicity.py`` says so. The page is read
as the public reads it: an anonymous request naming its city."""

from __future__ import annotations

import datetime as dt

import pytest

from kyodo_admin.models.agreement import AGREEMENT_STATES
from kyodo_admin.models.project import PROJECT_STATES, YEAR_STATES
from kyodo_admin.workflow.publicity import PUBLIC_WHEN, is_public

from ..factories import (
    AgreementFactory,
    CityFactory,
    CompletionReportFactory,
    CostShareFactory,
    EvaluationFactory,
    ProjectFactory,
    ProjectPlanFactory,
)


def test_every_kind_of_the_disclosure_has_a_rule_by_a_known_state():
    states = {"project": YEAR_STATES, "agreement": AGREEMENT_STATES}  # a year's states
    for kind, (decider, shown) in PUBLIC_WHEN.items():
        assert shown <= set(states[decider]), kind


@pytest.mark.parametrize("state", list(PROJECT_STATES))
def test_a_report_and_its_evaluations_are_public_only_once_final(client, state):
    city = CityFactory(slug="minato", name="みなと市")
    project = ProjectFactory(city=city, title="川辺の清掃と自然観察", status=state,
                             fiscal_year=2026)
    ProjectPlanFactory(city=city, project=project, purpose="川を身近に感じる人を増やす")
    report = CompletionReportFactory(city=city, project=project, fiscal_year=2026,
                                     submitted_on=dt.date(2027, 4, 20),
                                     summary="清掃を12回、観察会を4回行った（下書き）。")
    EvaluationFactory(city=city, project=project, completion_report=report, side="city",
                      rating="a", comment="担当課の所見：地域の参加が広がった。")
    page = client.get("/disclosure/minato/?year=2026").get_data(as_text=True)

    assert ("川辺の清掃と自然観察" in page) == is_public("project", state)
    assert ("川を身近に感じる人を増やす" in page) == is_public("project_plan", state)
    report_shown = is_public("completion_report", state) and is_public("project", state)
    assert ("清掃を12回、観察会を4回行った（下書き）。" in page) == report_shown
    assert ("令和8年度の実績と評価" in page) == report_shown
    assert ("担当課の所見：地域の参加が広がった。" in page) == (
        report_shown and is_public("evaluation", state))


@pytest.mark.parametrize("state", list(AGREEMENT_STATES))
def test_an_agreement_s_cost_sharing_is_public_only_once_signed(client, state):
    city = CityFactory(slug="minato", name="みなと市")
    project = ProjectFactory(city=city, title="川辺の清掃と自然観察", status="running",
                             fiscal_year=2026)
    agreement = AgreementFactory(city=city, project=project, status=state)
    CostShareFactory(city=city, agreement=agreement, item="資材費", city_amount=123_456,
                     organization_amount=7_890)
    page = client.get("/disclosure/minato/?year=2026").get_data(as_text=True)
    assert "川辺の清掃と自然観察" in page
    assert ("市 123,456円" in page) == is_public("agreement", state)
