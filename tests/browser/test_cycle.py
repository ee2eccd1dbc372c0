"""Kamakura's cycle by clicks in Chromium, as the people who do each step, at 06:54 JST — when
the UTC date is still the previous day, so every date the screens write must be Japan's.

Covered so far: the public entrance with table rows and a hidden conditional field → the
coordinating section finds the proposal from home → step 1 from the meeting's agenda (review
created from the agenda, a member's scores, the result with the hidden conditional field left
hidden) → step 2 → adoption → the project page → its plan created from the hub.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from kyodo_admin.documents.wareki import wareki
from kyodo_admin.extensions import db
from kyodo_admin.models import Meeting, Proposal
from kyodo_admin.services.users import DEMO_PASSWORD
from kyodo_admin.tenancy import scoped_to

from .conftest import city_id_of, fill_required, log_in, screenshot

JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def dawn():
    """Today (Japan's date) at 06:54 JST: UTC is still on yesterday. The date is today's so
    that the browser, whose own clock is not moved, keeps the session cookie."""
    today = dt.datetime.now(JST).date()
    with time_machine.travel(dt.datetime.combine(today, dt.time(6, 54), JST), tick=True):
        assert dt.datetime.now(dt.UTC).date() == today - dt.timedelta(days=1)
        yield today


def docx_text(path) -> str:
    """Every paragraph and table cell of a .docx, as the city will print it."""
    import docx

    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def flash_text(page) -> str:
    return " ".join(page.locator(".alert").all_inner_texts())


def fire(page, label: str) -> None:
    """Press a workflow button on a record's page, accepting its confirmation."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#workflow button", has_text=label).click()
    page.wait_for_load_state()
    assert "を行いました" in flash_text(page), (label, flash_text(page))


def choose(page, name: str, label: str) -> None:
    """Pick an option of a Select2 drop-down (Flask-Admin's selects) as a person does: open
    it, type to search, click the option."""
    page.locator(f"#s2id_{name} .select2-choice").click()
    # the open one: a closed drop-down stays in the page, hidden, still marked active
    page.locator(".select2-drop-active:visible .select2-input").fill(label)
    page.locator(".select2-drop-active:visible .select2-result-label",
                 has_text=re.compile(f"^{re.escape(label)}$")).first.click()
    assert page.locator(f"#s2id_{name} .select2-chosen").inner_text().strip() == label


def save(page) -> None:
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "/new/" not in page.url and "/edit/" not in page.url, (
        page.url, page.locator(".invalid-feedback, .alert").all_inner_texts())


def test_kamakuras_cycle_by_clicks(demo_server, page, dawn):
    url, app = demo_server
    wareki_today = f"令和{dawn.year - 2018}年{dawn.month}月{dawn.day}日"

    # 1. An NPO proposes at the public entrance, with two schedule rows, no budget.
    page.goto(f"{url}/entrance/kamakura/")
    for name, value in (("title", "海辺の子ども自然教室"), ("summary", "磯の生き物の観察会を開く。"),
                        ("organization_name", "NPO法人 湘南の海の学校"),
                        ("representative", "海野 花子"), ("email", "info@umi.example.jp"),
                        ("phone", "0467-11-2222"), ("address", "鎌倉市材木座1-1-1"),
                        ("answers__purpose", "子どもが海の自然を身近に感じる"),
                        ("answers__need", "海辺で遊ぶ機会が減っている"),
                        ("answers__plan", "夏休みに観察会を3回開く"),
                        ("answers__independence", "会費と寄付で運営している"),
                        ("answers__continuity", "毎年続ける"),
                        ("answers__profile", "2015年設立の環境教育団体"),
                        ("answers__contact_person", "海野 花子"),
                        ("answers__contact_phone", "0467-11-2222")):
        page.fill(f"[name='{name}']", value)
    page.fill("[name='answers__schedule-0-period']", "7月")
    page.fill("[name='answers__schedule-0-activity']", "磯の観察会")
    page.fill("[name='answers__schedule-1-period']", "8月")
    page.fill("[name='answers__schedule-1-activity']", "海辺の清掃と報告会")
    page.check("input[name='answers__budget_measure'][value='不要']")
    assert page.locator("[name='answers__budget_reason']").is_hidden()
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/received")
    receipt = re.search(r"受付番号\s*(\d{4}-\d{3})", page.content()).group(1)
    screenshot(page, "cycle-01-received")
    with app.app_context(), scoped_to(city_id_of(app, "kamakura")):
        proposal = db.session.execute(select(Proposal).where(
            Proposal.receipt_number == receipt)).scalar_one()
        assert proposal.received_on == dawn  # Japan's date, not UTC's yesterday
        assert [r["period"] for r in proposal.answers["schedule"]] == ["7月", "8月"]
        assert "budget_reason" not in proposal.answers
        proposal_id = proposal.id
        db.session.remove()

    # 2. The coordinating section finds it from home and puts it to step 1.
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(f"{url}/admin/")
    page.get_by_role("link", name="受付済").first.click()
    page.wait_for_load_state()
    assert "海辺の子ども自然教室" in page.content()
    page.locator(f"a[href*='/admin/proposal/details/?id={proposal_id}']").first.click()
    page.wait_for_load_state()
    assert wareki_today in page.content() or dawn.isoformat() in page.content()
    # A new NPO: staff register it from what the proposer entered (a typed name is no proof).
    page.get_by_role("button", name="入力された内容で新しい団体として登録").click()
    page.wait_for_load_state()
    assert "「NPO法人 湘南の海の学校」として確認しました" in flash_text(page)
    fire(page, "ステップ1の検討に付す")
    screenshot(page, "cycle-02-step1")

    # 3. The next step-1 meeting's agenda lists it; the review is created from the agenda.
    with app.app_context(), scoped_to(proposal.city_id):
        meeting = db.session.execute(select(Meeting).where(
            Meeting.step == 1, Meeting.held_on >= dawn).order_by(Meeting.held_on)).scalars().first()
        assert meeting is not None, "the demo has an upcoming step-1 meeting"
        meeting_id = meeting.id
        db.session.remove()
    page.goto(f"{url}/admin/meeting/details/?id={meeting_id}")
    row = page.locator("#agenda ~ table tr", has_text="海辺の子ども自然教室")
    row.get_by_role("link", name="審査を作成").click()
    page.wait_for_load_state()
    assert "/admin/review/new/" in page.url
    assert page.locator("[name='answers__overall']").count() == 0  # one result field: 結果
    assert page.locator("[name='answers__conditions']").is_hidden()
    save(page)
    screenshot(page, "cycle-03-review")

    # A council member from the proposing NPO is recused (除斥): staff record the tie.
    page.goto(f"{url}/admin/council_member/")
    page.locator("table.model-list a", has_text="伊藤 健").first.click()
    page.wait_for_load_state()
    page.goto(page.url.replace("/details/", "/edit/"))
    choose(page, "organization", "NPO法人 湘南の海の学校")
    save(page)
    page.goto(f"{url}/admin/meeting/details/?id={meeting_id}")
    row = page.locator("#agenda ~ table tr", has_text="海辺の子ども自然教室")
    assert "伊藤 健" in row.inner_text()  # listed as recused on the agenda
    page.goto(f"{url}/admin/review/")

    # 4. A council member's scores, on the scoring screen reached from the review.
    page.get_by_title("記録を表示").first.click() if page.get_by_title("記録を表示").count() \
        else page.locator("a[href*='/admin/review/details/']").first.click()
    page.wait_for_load_state()
    review_url = page.url
    page.get_by_role("link", name="採点する").click()
    page.wait_for_load_state()
    offered = page.locator("select#member option").all_inner_texts()
    assert "伊藤 健" not in offered and "高橋 美咲" in offered  # the recused member cannot score
    assert "伊藤 健" in page.locator("#recused-members").inner_text()
    with page.expect_navigation():
        page.select_option("select#member", label="高橋 美咲")
    for select_ in page.locator("select[name^='score_']").all():
        values = select_.locator("option").evaluate_all("os => os.map(o => o.value)")
        select_.select_option([v for v in values if v][-1])
    page.locator("button", has_text="評点を保存").click()
    page.wait_for_load_state()
    assert "保存" in flash_text(page), flash_text(page)
    screenshot(page, "cycle-04-scores")

    # 5. The result: passed, decided today; then step 1 passed and step 2 from the proposal.
    page.goto(review_url.replace("/details/", "/edit/"))
    choose(page, "result", "通過")
    page.fill("input[name='decided_on']", dawn.isoformat())
    assert page.locator("[name='answers__conditions']").is_hidden()
    save(page)
    page.goto(f"{url}/admin/proposal/details/?id={proposal_id}")
    fire(page, "ステップ1通過とする")
    fire(page, "ステップ2の決定に付す")
    screenshot(page, "cycle-05-step2")

    # 6. Step 2 from the decision meeting's agenda; adoption creates the project.
    with app.app_context(), scoped_to(proposal.city_id):
        meeting_id = db.session.execute(select(Meeting.id).where(Meeting.step == 2)
                                        .order_by(Meeting.held_on.desc())).scalars().first()
        db.session.remove()
    page.goto(f"{url}/admin/meeting/details/?id={meeting_id}")
    page.locator("#agenda ~ table tr", has_text="海辺の子ども自然教室") \
        .get_by_role("link", name="審査を作成").click()
    page.wait_for_load_state()
    choose(page, "result", "採択")
    page.fill("input[name='decided_on']", dawn.isoformat())
    save(page)
    page.goto(f"{url}/admin/proposal/details/?id={proposal_id}")
    fire(page, "採択する")
    assert "/admin/project/details/" in page.url  # straight to the new project's page
    project_url = page.url
    hub = page.locator("#project-hub")
    assert "海辺の子ども自然教室" in hub.inner_text() and receipt in hub.inner_text()
    assert "未定" not in page.locator("#project-period").inner_text()  # a provisional period
    screenshot(page, "cycle-06-project")

    # 7. The plan, from the project's page: the project is chosen, its form asked once.
    page.get_by_role("link", name="この事業の事業計画書を作成").click()
    page.wait_for_load_state()
    assert page.locator("#s2id_project .select2-chosen").inner_text().strip() == "海辺の子ども自然教室"
    page.fill("[name='answers__objective']", "子どもが海の自然を身近に感じる")
    page.fill("[name='answers__goal']", "夏休みに3回、延べ200人が参加する")
    page.fill("[name='answers__fiscal_year_planned']", str(dawn.year if dawn.month >= 4 else dawn.year - 1))
    page.fill("[name='answers__activities-0-period']", "7月")
    page.fill("[name='answers__activities-0-content']", "磯の観察会")
    page.get_by_role("button", name=re.compile("評価項目及び目標値")).click()
    page.locator("input[name='indicators-0-name']").fill("参加者数")
    page.locator("input[name='indicators-0-unit']").fill("人")
    page.locator("input[name='indicators-0-target_value']").fill("200")
    save(page)
    assert "/admin/project/details/" in page.url  # back on the project's page
    plans = page.locator("#project-hub").inner_text()
    assert "参加者数" in plans and "200人" in plans and "200.0" not in plans
    screenshot(page, "cycle-07-plan")

    # 8. The agreement, from the project's page, with role and cost rows; issued as Word.
    start, end = dawn, dawn + dt.timedelta(days=60)
    page.get_by_role("link", name="この事業の協定書を作成").click()
    page.wait_for_load_state()
    page.fill("input[name='title']", "海辺の子ども自然教室に関する協定書")
    assert page.locator("input[name='start_date']").get_attribute("type") == "date"
    page.fill("input[name='start_date']", start.isoformat())
    page.fill("input[name='end_date']", end.isoformat())
    page.fill("input[name='city_signatory']", "鎌倉市長 〇〇 〇〇")
    page.fill("input[name='organization_signatory']", "NPO法人 湘南の海の学校 代表 海野 花子")
    page.get_by_role("button", name=re.compile("役割分担")).click()
    page.fill("input[name='role_shares-0-item']", "会場")
    page.fill("[name='role_shares-0-city_role']", "海岸使用の調整")
    page.fill("[name='role_shares-0-organization_role']", "観察会の運営")
    page.get_by_role("button", name=re.compile("経費負担")).click()
    page.fill("input[name='cost_shares-0-item']", "講師謝礼")
    page.fill("input[name='cost_shares-0-city_amount']", "300000")
    page.fill("input[name='cost_shares-0-organization_amount']", "50000")
    assert page.locator("[name='answers__personal_information_measures']").is_hidden()
    save(page)
    assert "/admin/project/details/" in page.url
    page.locator("#hub-agreements ~ table a", has_text="海辺の子ども自然教室に関する協定書").click()
    page.wait_for_load_state()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Word文書を作成（協定書）")).click()
    text = docx_text(download.value.path())
    assert "海辺の子ども自然教室" in text and wareki(start) in text and wareki(end) in text
    assert "会場" in text and "300,000円" in text
    assert text.count("令和　　年") == 1  # only the signing date, left for the pen until signed

    # 9. Signed with the date asked beside the button (today in Japan by default).
    assert page.locator("input[name='on']").input_value() == dawn.isoformat()
    fire(page, "締結する")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Word文書を作成（協定書）")).click()
    text = docx_text(download.value.path())
    assert "令和　　年" not in text and text.count(wareki(dawn)) >= 2  # signed today, starts today
    screenshot(page, "cycle-09-signed")

    # 10. The project runs and is completed today; the report is created with its due date.
    page.goto(project_url)
    fire(page, "事業を開始する")
    assert page.locator("input[name='on']").input_value() == dawn.isoformat()
    assert page.locator("input[name='on']").get_attribute("min") == start.isoformat()
    fire(page, "事業完了とする")
    assert "事業報告書" in flash_text(page)
    assert "/admin/completion_report/details/" in page.url  # straight to the new report
    report_url = page.url

    # 11. The report: result 達成 (the shortfall reason stays hidden), the indicator's actual.
    page.goto(report_url.replace("/details/", "/edit/"))
    page.fill("[name='submitted_on']", dawn.isoformat())
    page.fill("[name='answers__results']", "観察会を3回開き、延べ230人が参加した。")
    page.check("input[name='answers__goal_achievement'][value='達成']")
    assert page.locator("[name='answers__shortfall_reason']").is_hidden()
    actual = page.get_by_label("実績値: 参加者数")
    assert "目標値 200人" in page.content()
    actual.fill("230")
    page.fill("[name='answers__cost_lines-0-item']", "講師謝礼")
    page.fill("[name='answers__cost_lines-0-actual']", "300000")
    save(page)
    page.goto(report_url)
    assert "230人" in page.content() and "115%" in page.content()
    screenshot(page, "cycle-11-report")

    # 12. The report is accepted; the department and the organization evaluate, from the hub.
    page.goto(project_url)
    fire(page, "報告を受理する")
    for side, evaluator, rating in (("担当課（市）による評価", "地域のつながり推進課", "A（目標を上回った）"),
                                    ("団体による評価", "NPO法人 湘南の海の学校", "B（目標どおり）")):
        page.get_by_role("link", name=f"＋ {side}を登録").click()
        page.wait_for_load_state()
        assert page.locator("#s2id_project .select2-chosen").inner_text().strip() == "海辺の子ども自然教室"
        page.fill("input[name='evaluator']", evaluator)
        page.fill("input[name='evaluated_on']", dawn.isoformat())
        choose(page, "rating", rating)
        page.locator("input[name='answers__achievement_view']").first.check()
        next_step = page.locator("select[name='answers__next_step'] option").evaluate_all(
            "os => os.map(o => o.value).filter(v => v)")
        page.select_option("select[name='answers__next_step']", next_step[0])
        save(page)
        assert "/admin/project/details/" in page.url
    fire(page, "評価済にする")
    screenshot(page, "cycle-12-evaluated")

    # 13. A council member verifies (評価検証) from the project's page: only that is offered.
    log_in(page, url, "kamakura-council", DEMO_PASSWORD)
    assert page.locator("#reviews-to-score, #member-meetings").count()  # the member's own home
    screenshot(page, "cycle-13-member-home")
    page.goto(project_url)
    offered = page.locator("#hub-new-evaluations a").all_inner_texts()
    assert offered == ["＋ 会議による評価検証を登録"], offered
    page.get_by_role("link", name="＋ 会議による評価検証を登録").click()
    page.wait_for_load_state()
    page.fill("input[name='evaluator']", "協働エントランス会議")
    page.fill("input[name='evaluated_on']", dawn.isoformat())
    choose(page, "rating", "A（目標を上回った）")
    page.locator("input[name='answers__achievement_view']").first.check()
    page.select_option("select[name='answers__next_step']", "継続")
    save(page)

    # 14. The coordinating section closes the project; the whole cycle is on its page.
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(project_url)
    fire(page, "終了する")
    hub = page.locator("#project-hub").inner_text()
    for seen in ("担当課（市）", "団体", "会議（評価検証）", "230人", "協定書", "事業報告書"):
        assert seen in hub, seen
    assert page.locator("#workflow").count() == 0  # nothing left to do
    assert "終了" in page.locator("table").first.inner_text()  # 状態
    screenshot(page, "cycle-14-closed")


def test_a_rejection_with_reasons_its_notice_and_the_reproposal_by_clicks(demo_server, page, dawn):
    url, app = demo_server
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(f"{url}/admin/")
    page.get_by_role("link", name="ステップ1検討中").first.click()
    page.wait_for_load_state()
    page.locator("a[href*='/admin/proposal/details/']").first.click()
    page.wait_for_load_state()
    proposal_url = page.url
    title = page.locator("table").first.inner_text()
    assert "高齢者の見守り協働事業" in title

    # The review, from the proposal's own page: 不採択 with reasons and advice.
    page.get_by_role("link", name="＋ ステップ1の審査を作成").click()
    page.wait_for_load_state()
    assert page.locator("#s2id_proposal .select2-chosen").inner_text().strip().endswith(
        "高齢者の見守り協働事業")
    choose(page, "result", "不採択")
    page.fill("[name='reasons']", "既存の見守り事業と対象が重なり、協働の必要性が示されていない。")
    page.fill("[name='advice']", "対象を単身の高齢者に絞り、地域包括支援センターとの役割分担を示すこと。")
    page.fill("input[name='decided_on']", dawn.isoformat())
    save(page)
    assert page.url.startswith(proposal_url.split("?")[0])  # back on the proposal's page
    fire(page, "不採択とする")
    review_link = page.locator("#proposal-reviews ~ table a").first
    review_link.click()
    page.wait_for_load_state()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Word文書を作成（検討結果通知書）")).click()
    notice = docx_text(download.value.path())
    assert "既存の見守り事業と対象が重なり" in notice and "地域包括支援センター" in notice
    assert wareki(dawn) in notice

    # The re-proposal: drafted from the old one, showing the advice it answers.
    page.goto(proposal_url)
    fire(page, "再提案を作成する")
    assert "/admin/proposal/details/" in page.url and page.url != proposal_url
    reproposal_url = page.url
    assert "地域包括支援センター" in page.locator("#answered-advice").inner_text()
    assert "高齢者の見守り協働事業" in page.locator("#lineage + ol").inner_text()
    # Edited without a budget: the hidden reason field does not block 保存.
    page.get_by_role("link", name="編集").first.click()
    page.wait_for_load_state()
    page.check("input[name='answers__budget_measure'][value='不要']")
    assert page.locator("[name='answers__budget_reason']").is_hidden()
    page.fill("[name='answers__purpose']", "単身の高齢者が地域で孤立しないようにする")
    fill_required(page)  # what the old proposal left empty
    save(page)
    page.goto(reproposal_url)
    fire(page, "受付する")
    assert "受付済" in page.locator("table").first.inner_text()
    screenshot(page, "cycle-reproposal-received")
