"""Projects over several years by clicks (Kamakura: up to three years, 500,000円 a year),
axe-core on each page: the continuation review recorded on the project's page of the
evaluated 子育て支援情報発信事業 and year two's agreement over the cap; and a project made by
clicks run through two of its three years under the 80/70/60 % rule."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from kyodo_admin.services.users import DEMO_PASSWORD

from .conftest import fill_required, log_in, screenshot
from .test_cycle import choose, docx_text, fire, flash_text, save


def test_a_continuation_review_opens_year_two_and_its_agreement_keeps_to_the_cap(
        demo_server, page):
    url, _app = demo_server
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(f"{url}/admin/project/")
    page.get_by_role("link", name="子育て支援情報発信事業", exact=True).click()
    page.wait_for_load_state()
    years = page.locator("#project-years")
    assert "第1年度（令和7年度）" in years.inner_text() and "評価済" in years.inner_text()
    assert "最長3年度" in page.locator("#project-rule").inner_text()

    # The review's decision, by clicks: a missing reason is refused, the choice kept.
    form = page.locator("#year-decision")
    form.get_by_role("radio", name="条件付きで継続").check()
    form.get_by_label("決定日").fill("2026-05-25")
    form.get_by_label("継続の条件（条件付きで継続のとき）").fill("相談会の周知方法を見直すこと")
    form.get_by_label("決定の理由（団体への通知に載ります）").fill("冊子の配布が目標を上回ったため。")
    form.get_by_role("button", name="継続審査の結果を記録").click()
    page.wait_for_load_state()
    assert "継続審査の結果（条件付きで継続）を記録しました" in flash_text(page)
    assert "条件付きで継続" in page.locator("#project-years").inner_text()
    assert form.get_by_role("radio", name="条件付きで継続").is_checked()  # shown as decided
    screenshot(page, "years-01-decision")

    fire(page, "次の年度を開始する")
    years = page.locator("#project-years").inner_text()
    assert "第2年度（令和8年度）" in years and "詳細検討中" in years
    screenshot(page, "years-02-year-two")

    # Year two's agreement: 500,001円 for the city is one yen over Kamakura's cap.
    page.get_by_role("link", name="この事業の協定書を作成").click()
    page.wait_for_load_state()
    assert page.locator("input[name='fiscal_year']").input_value() == "2026"
    page.fill("input[name='title']", "子育て支援情報発信事業に関する協定書（第2年度）")
    page.fill("input[name='start_date']", "2026-04-01")
    page.fill("input[name='end_date']", "2027-03-31")
    page.get_by_role("button", name=re.compile("経費負担")).click()
    page.fill("input[name='cost_shares-0-item']", "印刷製本費")
    page.fill("input[name='cost_shares-0-city_amount']", "500001")
    page.fill("input[name='cost_shares-0-organization_amount']", "100000")
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "第2年度（令和8年度）の市の負担額 500,001円 は、1年度の上限 500,000円 を 1円 超えて" \
        in flash_text(page)
    assert page.locator("input[name='cost_shares-0-city_amount']").input_value() == "500001"
    # Nothing typed is lost: the form's own items (様式) are there as they were.
    assert page.locator("[name='answers__form_of_collaboration']").count() > 0
    screenshot(page, "years-03-over-the-cap")
    page.fill("input[name='cost_shares-0-city_amount']", "500000")
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "/new/" not in page.url, flash_text(page)
    assert "500,000円" in page.locator("body").inner_text()
    page.locator("#hub-agreements ~ table a", has_text="（第2年度）").click()
    page.wait_for_load_state()
    assert page.locator("#city-share").inner_text() == \
        "第2年度（令和8年度）の市の負担割合は 83.3％（規定: 1年度500,000円まで）"


TITLE = "地域食堂の協働事業（3か年）"
PARTNER = "NPO法人かまくら子育てネット"  # 高橋 美咲 of the council belongs to it


def fire_on(page, label: str, name: str, day: str) -> None:
    """A workflow button that asks its date (締結日, 事業完了日), pressed on ``day``."""
    page.fill(f"#on-{name}", day)
    fire(page, label)


def plan_year(page, fiscal_year: int, target: int) -> None:
    page.get_by_role("link", name="この事業の事業計画書を作成").click()
    page.wait_for_load_state()
    page.fill("[name='answers__objective']", "子どもと高齢者が一緒に食事できる場を増やす")
    page.fill("[name='answers__goal']", f"延べ{target}人が食堂を利用する")
    page.fill("[name='answers__fiscal_year_planned']", str(fiscal_year))
    page.fill("[name='answers__activities-0-period']", "毎月")
    page.fill("[name='answers__activities-0-content']", "地域食堂の開催")
    page.get_by_role("button", name=re.compile("評価項目及び目標値")).click()
    page.locator("input[name='indicators-0-name']").fill("利用者数")
    page.locator("input[name='indicators-0-unit']").fill("人")
    page.locator("input[name='indicators-0-target_value']").fill(str(target))
    fill_required(page)
    save(page)


def agreement_year(page, fiscal_year: int, city_amount: int, organization_amount: int) -> None:
    page.get_by_role("link", name="この事業の協定書を作成").click()
    page.wait_for_load_state()
    assert page.locator("input[name='fiscal_year']").input_value() == str(fiscal_year)
    page.fill("input[name='title']", f"{TITLE}に関する協定書（{fiscal_year}年度）")
    page.fill("input[name='start_date']", f"{fiscal_year}-04-01")
    page.fill("input[name='end_date']", f"{fiscal_year + 1}-03-31")
    page.fill("input[name='city_signatory']", "鎌倉市長 〇〇 〇〇")
    page.fill("input[name='organization_signatory']", f"{PARTNER} 代表 山田 花子")
    page.get_by_role("button", name=re.compile("役割分担")).click()
    page.fill("input[name='role_shares-0-item']", "会場")
    page.fill("[name='role_shares-0-city_role']", "公民館の確保")
    page.fill("[name='role_shares-0-organization_role']", "食堂の運営")
    page.get_by_role("button", name=re.compile("経費負担")).click()
    page.fill("input[name='cost_shares-0-item']", "食材費")
    page.fill("input[name='cost_shares-0-city_amount']", str(city_amount))
    page.fill("input[name='cost_shares-0-organization_amount']", str(organization_amount))
    fill_required(page)


def sign_run_and_complete(page, project_url: str, fiscal_year: int) -> str:
    """The year's agreement signed on 1 April, the year run and completed on 31 March; the
    report's page it leads to."""
    page.locator("#hub-agreements ~ table a", has_text=f"（{fiscal_year}年度）").click()
    page.wait_for_load_state()
    fire_on(page, "締結する", "sign", f"{fiscal_year}-04-01")
    page.goto(project_url)
    fire(page, "事業を開始する")
    fire_on(page, "事業完了とする", "complete", f"{fiscal_year + 1}-03-31")
    assert "/admin/completion_report/details/" in page.url
    return page.url


def report_and_evaluate(page, project_url: str, report_url: str, fiscal_year: int,
                        actual: int) -> None:
    """The year's report submitted in April, accepted, evaluated by the three sides."""
    page.goto(report_url.replace("/details/", "/edit/"))
    page.fill("[name='submitted_on']", f"{fiscal_year + 1}-04-20")
    page.fill("[name='answers__results']", f"地域食堂を12回開き、延べ{actual}人が利用した。")
    page.check("input[name='answers__goal_achievement'][value='達成']")
    page.get_by_label("実績値: 利用者数").fill(str(actual))
    page.fill("[name='answers__cost_lines-0-item']", "食材費")
    page.fill("[name='answers__cost_lines-0-actual']", "400000")
    fill_required(page)
    save(page)
    page.goto(project_url)
    fire(page, "報告を受理する")
    for side, evaluator in (("担当課（市）による評価", "地域のつながり推進課"),
                            ("団体による評価", PARTNER),
                            ("会議による評価検証", "協働エントランス会議")):
        page.get_by_role("link", name=f"＋ {side}を登録").click()
        page.wait_for_load_state()
        page.fill("input[name='evaluator']", evaluator)
        page.fill("input[name='evaluated_on']", f"{fiscal_year + 1}-05-15")
        choose(page, "rating", "A（目標を上回った）")
        page.locator("input[name='answers__achievement_view']").first.check()
        page.select_option("select[name='answers__next_step']", "継続")
        save(page)
    fire(page, "評価済にする")


def ledger_rows_of(page, url: str, fiscal_year: int) -> dict[str, dict]:
    """The ledger (協働事業一覧) of a fiscal year, downloaded from the home screen."""
    page.goto(f"{url}/admin/?year={fiscal_year}")
    with page.expect_download() as download:
        page.locator("#ledger").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    return {row[0]: dict(zip(rows[1], row, strict=True)) for row in rows[2:] if row[0]}


def test_a_project_over_three_years_by_clicks(demo_server, page):
    """Year one through report, evaluations and the council's continuation review on the
    agenda (the partner's member recused); year two's plan, an agreement over its 70 % share
    refused and corrected, its report and an end decision; the ledger and the disclosure
    page of each year."""
    url, _app = demo_server
    log_in(page, url, "kamakura-admin", DEMO_PASSWORD)
    # The programme's rule of 協働委託事業: 80 %, 70 %, 60 % of a year's cost.
    page.goto(f"{url}/admin/collaboration_type/")
    page.locator("table.model-list a", has_text="協働委託事業").first.click()
    page.wait_for_load_state()
    page.goto(page.url.replace("/details/", "/edit/"))
    page.fill("input[name='share_ratios']", "80,70,60")
    save(page)

    page.goto(f"{url}/admin/project/new/")
    page.fill("input[name='title']", TITLE)
    choose(page, "organization", PARTNER)
    choose(page, "department", "市民活動部 地域のつながり推進課")
    choose(page, "collaboration_type", "協働委託事業")
    page.fill("input[name='start_date']", "2024-04-01")
    page.fill("input[name='end_date']", "2027-03-31")
    save(page)
    page.goto(f"{url}/admin/project/?search={TITLE}")
    page.locator("table.model-list a", has_text=TITLE).first.click()
    page.wait_for_load_state()
    project_url = page.url
    assert "第1年度（令和6年度）" in page.locator("#project-years").inner_text()
    assert "第1年度80％・第2年度70％・第3年度60％まで" in page.locator("#project-rule").inner_text()

    # Year one (令和6年度): plan, agreement at 80 %, signed, run, completed, reported.
    plan_year(page, 2024, 300)
    agreement_year(page, 2024, 400_000, 100_000)
    save(page)
    report_url = sign_run_and_complete(page, project_url, 2024)
    report_and_evaluate(page, project_url, report_url, 2024, 320)
    screenshot(page, "three-years-01-year-one-evaluated")

    # The continuation review on the council's agenda: the partner's member is recused.
    page.goto(f"{url}/admin/meeting/")
    page.locator("table.model-list a", has_text="令和8年度 第1回会議").first.click()
    page.wait_for_load_state()
    row = page.locator("#continuation-agenda ~ table tr", has_text=TITLE)
    assert "高橋 美咲" in row.inner_text() and "第1年度（令和6年度）" in row.inner_text()
    row.get_by_role("link", name=re.compile("継続審査を作成")).click()
    page.wait_for_load_state()
    assert "採択" not in page.locator("select[name='result']").inner_text()  # its kind's only
    choose(page, "result", "継続")
    page.fill("[name='reasons']", "利用者が目標を上回り、地域の担い手も育っているため。")
    fill_required(page)
    save(page)
    page.get_by_role("link", name=f"{TITLE} 第1年度（令和6年度）").first.click()
    page.wait_for_load_state()
    review_url = page.url
    page.get_by_role("link", name="採点する").click()
    page.wait_for_load_state()
    members = page.locator("select[name='member'] option").all_inner_texts()
    assert members and "高橋 美咲" not in members  # recused: not among those who score
    assert "除斥（実施団体の関係者のため採点しません）: 高橋 美咲" in page.locator(
        "#recused-members").inner_text()
    scores = page.locator("select[name^='score_']").all()
    for score in scores:  # the best mark each criterion offers
        score.select_option(score.locator("option").last.get_attribute("value"))
    page.locator("button", has_text="評点を保存").click()
    page.wait_for_load_state()
    assert f"評点を{len(scores)}件保存しました" in flash_text(page)
    assert page.locator("#issue-documents").count() == 0  # its notice is the year's
    assert "除斥: 高橋 美咲" in page.locator("body").inner_text()
    screenshot(page, "three-years-02-continuation-review")
    assert page.url.startswith(review_url.split("?")[0])

    page.goto(project_url)
    assert "継続（令和8年6月10日）" in page.locator("#project-years").inner_text()  # the decision, on the meeting's day
    fire(page, "次の年度を開始する")
    years = page.locator("#project-years").inner_text()
    assert "第2年度（令和7年度）" in years and "詳細検討中" in years

    # Year two (令和7年度): its own plan; 80 % is over year two's 70 %: refused, corrected.
    plan_year(page, 2025, 400)
    agreement_year(page, 2025, 400_000, 100_000)
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "第2年度（令和7年度）の市の負担割合の上限は事業費の70％です（事業費 500,000円 のうち " \
           "350,000円 まで）。市の負担額 400,000円 は 50,000円 超えています" in flash_text(page)
    assert page.locator("input[name='cost_shares-0-city_amount']").input_value() == "400000"
    screenshot(page, "three-years-03-over-the-ratio")
    page.fill("input[name='cost_shares-0-city_amount']", "350000")
    page.fill("input[name='cost_shares-0-organization_amount']", "150000")
    save(page)
    report_url = sign_run_and_complete(page, project_url, 2025)
    report_and_evaluate(page, project_url, report_url, 2025, 410)

    # The end decision on the project's page, then the project ends.
    form = page.locator("#year-decision")
    form.get_by_role("radio", name="終了").check()
    form.get_by_label("決定日").fill("2026-05-25")
    form.get_by_label("決定の理由（団体への通知に載ります）").fill("団体の自主事業として続けられるため。")
    form.get_by_role("button", name="継続審査の結果を記録").click()
    page.wait_for_load_state()
    assert "継続審査の結果（終了）を記録しました" in flash_text(page)
    fire(page, "終了する")
    # The project's period stays the planned three years its agreements ran within.
    assert page.locator("#project-period").inner_text().startswith("令和6年4月1日 〜 令和9年3月31日")
    years = page.locator("#project-years").inner_text()
    assert "継続" in years and "終了" in years
    screenshot(page, "three-years-04-ended")

    # The year's notice to the organization, from the year's page.
    page.get_by_role("link", name="第2年度（令和7年度）").click()
    page.wait_for_load_state()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Word文書を作成（継続審査結果通知書）")).click()
    text = docx_text(download.value.path())
    assert "団体の自主事業として続けられるため。" in text and "第2年度をもって終了" in text

    # The ledger of each year lists the project in that year with that year's figures.
    first = ledger_rows_of(page, url, 2024)[f"{TITLE}（第1年度）"]
    assert (first["状態"], first["市の負担額"], first["団体の負担額"]) == ("継続（次の年度へ）",
                                                                      400_000, 100_000)
    assert first["市の負担割合"] == 0.8
    second = ledger_rows_of(page, url, 2025)[f"{TITLE}（第2年度）"]
    assert (second["状態"], second["市の負担額"], second["市の負担割合"]) == ("終了", 350_000, 0.7)
    assert "利用者数 目標 400人／実績 410人" in second["指標（目標・実績・達成率）"]

    # The disclosure page of each year: the project, which of its years, that year's results.
    for fiscal_year, label, shown, cost in (
            (2024, "令和6年度は第1年度", "延べ320人", "市 400,000円／団体 100,000円"),
            (2025, "令和7年度は第2年度", "延べ410人", "市 350,000円／団体 150,000円")):
        page.goto(f"{url}/disclosure/kamakura/?year={fiscal_year}")
        card = page.locator(".project", has_text=TITLE)
        text = card.inner_text()
        assert label in text and shown in text and f"経費負担（協定）\t{cost}" in text, text
        assert card.locator(".whole-cost").inner_text() == \
            "市 750,000円／団体 250,000円（2年度分の協定）"
    screenshot(page, "three-years-05-disclosure")
