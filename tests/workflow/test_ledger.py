"""The annual ledger (協働事業一覧): the year's projects on one sheet, as the home screen counts
them, with partner, costs as numbers, indicators, report date and evaluations."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import pytest
from openpyxl import load_workbook

from kyodo_admin import clock
from kyodo_admin.models import Role
from kyodo_admin.models.base import fiscal_year_of

from ..conftest import csrf_from
from ..factories import (
    AgreementFactory,
    CityFactory,
    CompletionReportFactory,
    CostShareFactory,
    EvaluationFactory,
    IndicatorFactory,
    OrganizationFactory,
    ProjectFactory,
    ProjectPlanFactory,
    RoleShareFactory,
    UserFactory,
)

YEAR = fiscal_year_of(clock.today())


def test_the_ledger_has_the_years_projects_as_the_home_screen_counts_them(client, login_as):
    city = CityFactory(name="みなと市")
    partner = OrganizationFactory(city=city, name="NPO法人 川を守る会")
    start = dt.date(YEAR, 4, 1)
    river = ProjectFactory(city=city, title="川辺の協働事業", organization=partner,
                           status="reported", start_date=start, end_date=dt.date(YEAR, 12, 31))
    agreement = AgreementFactory(city=city, project=river, status="signed")
    RoleShareFactory(city=city, agreement=agreement, item="観察会", city_role="会場の確保",
                     organization_role="企画と運営")
    CostShareFactory(city=city, agreement=agreement, city_amount=400_000,
                     organization_amount=100_000)
    CostShareFactory(city=city, agreement=agreement, city_amount=50_000, organization_amount=0)
    plan = ProjectPlanFactory(city=city, project=river, fiscal_year=YEAR)
    IndicatorFactory(city=city, project_plan=plan, name="参加者", unit="人", target_value=100,
                     actual_value=120)
    report = CompletionReportFactory(city=city, project=river, fiscal_year=YEAR,
                                     submitted_on=dt.date(YEAR + 1, 1, 20))
    EvaluationFactory(city=city, project=river, completion_report=report, side="city",
                      rating="A")
    planning = ProjectFactory(city=city, title="計画中の事業", status="planning", start_date=start)
    IndicatorFactory(city=city, name="講座の回数", unit="回", target_value=6,
                     project_plan=ProjectPlanFactory(city=city, project=planning, fiscal_year=YEAR))
    ProjectFactory(city=city, title="前年度の事業", status="closed",
                   start_date=dt.date(YEAR - 1, 4, 1))
    ProjectFactory(city=CityFactory(), title="他市の事業", status="running", start_date=start)
    login_as(UserFactory(city=city, role=Role.STAFF.value))

    home = client.get("/admin/").get_data(as_text=True)
    link = re.search(r'id="ledger" href="([^"]+)"', home).group(1).replace("&amp;", "&")
    counted = sum(int(n) for n in re.findall(
        r'<td class="text-right">(\d+)</td>', home.split("協働事業（状態別）")[1].split("</table>")[0]))
    response = client.get(link)
    assert response.status_code == 200
    assert "filename*=UTF-8''%E5%8D%94%E5%83%8D" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("みなと市 協働事業一覧（令和")
    header = rows[1]
    projects = [r for r in rows[2:] if r[0] != "合計"]
    assert sorted(r[0] for r in projects) == ["川辺の協働事業", "計画中の事業"]
    assert len(projects) == counted  # as many as the home screen's projects of the year
    river_row = dict(zip(header, next(r for r in projects if r[0] == "川辺の協働事業"), strict=True))
    assert river_row["協働の相手方"] == "NPO法人 川を守る会"
    assert (river_row["市の負担額"], river_row["団体の負担額"]) == (450_000, 100_000)
    assert river_row["市の負担割合"] == pytest.approx(450_000 / 550_000)  # shown as 81.8%
    assert planned_share(sheet, header) == "0.0%"
    assert river_row["開始日"] == dt.datetime(YEAR, 4, 1)
    assert river_row["役割分担"] == "観察会：市 会場の確保／団体 企画と運営"
    assert river_row["指標（目標・実績・達成率）"] == "参加者 目標 100人／実績 120人（120%）"
    assert river_row["事業報告書の提出日"] == dt.datetime(YEAR + 1, 1, 20)
    assert "A" in river_row["評価"]
    planned = dict(zip(header, next(r for r in projects if r[0] == "計画中の事業"), strict=True))
    assert planned["指標（目標・実績・達成率）"] == "講座の回数 目標 6回"  # no report yet: targets
    total = rows[-1]
    # the totals are values (a formula would be blank where nothing recalculates it)
    assert total[0] == "合計" and (total[8], total[9]) == (
        sum(r[8] or 0 for r in projects), sum(r[9] or 0 for r in projects))
    assert total[8] >= 450_000
    assert "gg" in sheet.cell(row=3, column=6).number_format  # dates shown in 和暦

    # the same ledger as a Word table for printing: a row per project, 和暦, totals
    response = client.get(link + "&format=docx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".docx")
    document = docx.Document(io.BytesIO(response.data))
    assert document.sections[0].page_width > document.sections[0].page_height  # landscape
    table = document.tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == [header for header in rows[1]]
    words = {row[0]: dict(zip(cells[0], row, strict=True)) for row in cells[1:]}
    assert set(words) == {"川辺の協働事業", "計画中の事業", "合計"}
    assert words["川辺の協働事業"]["市の負担額"] == "450,000円"
    assert words["川辺の協働事業"]["開始日"].startswith("令和")
    assert words["合計"]["団体の負担額"] == "100,000円"
    assert words["川辺の協働事業"]["市の負担割合"] == "81.8％"
    assert words["合計"]["市の負担割合"] == "81.8％"  # the only agreement of the year
    assert "みなと市 協働事業一覧（令和" in document.paragraphs[0].text
    assert client.get(link + "&format=pdfx").status_code == 404


def planned_share(sheet, header) -> str:
    """The number format of the city's share in the first project's row."""
    return sheet.cell(row=3, column=header.index("市の負担割合") + 1).number_format


def test_the_ledger_is_not_for_council_members_or_cityless_users(client, login_as):
    city = CityFactory()
    login_as(UserFactory(city=city, role=Role.COUNCIL_MEMBER.value))
    assert client.get("/admin/ledger").status_code == 404
    login_as(UserFactory(city=None, role=Role.SYSTEM_ADMIN.value))
    assert client.get("/admin/ledger").status_code == 404
    login_as(UserFactory(city=city, role=Role.VIEWER.value))
    assert client.get("/admin/ledger?year=abc").status_code == 200  # this year, then


@pytest.mark.pdf
def test_the_ledger_as_pdf_is_made_by_a_worker_and_downloaded_from_its_page(client, login_as):
    """The 一覧（PDF） button: a worker converts it (the queue runs at once in the tests), its
    page downloads the PDF."""
    from ..documents.test_pdf import needs_libreoffice, pdf_text_and_fonts

    needs_libreoffice()
    city = CityFactory(name="みなと市")
    ProjectFactory(city=city, title="川辺の清掃と自然観察", status="running",
                   start_date=dt.date(2026, 4, 1), end_date=dt.date(2027, 3, 31))
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    home = client.get("/admin/?year=2026").get_data(as_text=True)
    assert 'id="ledger-pdf"' in home
    response = client.post("/admin/ledger/pdf?year=2026", data={"csrf_token": csrf_from(home)})
    assert response.status_code == 302 and "/admin/batch/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PDFの作成（協働事業一覧_令和8年度）" in page and "PDFをダウンロード" in page
    assert "PDFを作成しました。" in page and "発行文書" not in page.split('id="batch"')[1]
    download = client.get(response.headers["Location"] + "/zip")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "協働事業一覧_令和8年度.pdf" in download.headers["Content-Disposition"] or \
        "filename*" in download.headers["Content-Disposition"]
    assert "川辺の清掃と自然観察" in pdf_text_and_fonts(download.data)[0].replace("\n", "")  # may wrap
    # another city's user does not reach it
    login_as(UserFactory(city=CityFactory(), role=Role.STAFF.value))
    assert client.get(response.headers["Location"]).status_code == 404
