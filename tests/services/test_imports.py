"""Importing a city's spreadsheets: every row checked first, the line and column of each
error named, then all or nothing; Shift_JIS CSV and .xlsx; dates and amounts as people
write them."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from kyodo_admin import tenancy
from kyodo_admin.errors import ValidationFailed
from kyodo_admin.extensions import db
from kyodo_admin.formschema import cells
from kyodo_admin.models import AuditEvent, Organization, Proposal
from kyodo_admin.services.form_definitions import import_files
from kyodo_admin.services.imports import (
    Sheet,
    auto_mapping,
    check,
    import_table,
    read_sheet,
    read_table,
    saved_mapping,
    targets,
)

from ..conftest import enter_city
from ..factories import CityFactory, DepartmentFactory, OrganizationFactory, UserFactory


def clerk(city):
    """The staff member importing (received proposals are theirs to have received)."""
    return UserFactory(city=city, role="staff")

HEADERS = ["提案事業名", "団体名", "受付日", "予算規模", "予算措置の要否", "提案の目的", "開始予定時期"]


def xlsx(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def city(app):
    from pathlib import Path

    city = CityFactory(slug="kamakura", name="鎌倉市")
    enter_city(city)
    forms = Path(__file__).resolve().parents[2] / "forms" / "kamakura"
    import_files(db.session, [forms / "basic_sheet.yaml"])
    OrganizationFactory(city=city, name="NPO法人うみ")
    DepartmentFactory(city=city, name="青少年課")
    db.session.commit()
    return city


def proposals() -> int:
    with tenancy.all_cities():
        return db.session.execute(select(func.count()).select_from(Proposal)).scalar_one()


def five_hundred(bad_line: int | None = None) -> bytes:
    rows = []
    for n in range(500):
        amount = -5 if n + 2 == bad_line else 100_000 + n
        date = ["2026/4/1", "令和8年4月2日", "R8.4.3", dt.datetime(2026, 4, 4)][n % 4]
        rows.append([f"取込の提案{n}", "NPO法人うみ", date, f"{amount:,}円" if n % 2 else amount,
                     "○" if n % 3 else "不要", f"地域の課題{n}を解決する", "2026/7"])
    return xlsx(rows)


def test_500_rows_with_one_bad_row_change_nothing_then_all_arrive(city):
    with tenancy.scoped_to(city.id):
        table = read_table("提案一覧.xlsx", five_hundred(bad_line=123))
        found = targets(db.session, city.id, "proposal")
        mapping = auto_mapping(found, table.headers, saved_mapping(city, "proposal"))
        assert mapping["answers.purpose"] == "提案の目的"  # by the form item's label
        assert mapping["answers.start_month"] == "開始予定時期"
        with pytest.raises(ValidationFailed) as refused:
            import_table(db.session, city, "proposal", table, mapping, "提案一覧.xlsx", clerk(city))
        db.session.rollback()
    message = str(refused.value)
    assert "1件の誤りがあるため、取り込みませんでした（1件も登録していません）" in message
    assert "123行目「予算規模」: 金額がマイナスです（「-5円」）" in message
    assert proposals() == 0

    with tenancy.scoped_to(city.id):
        table = read_table("提案一覧.xlsx", five_hundred())
        assert import_table(db.session, city, "proposal", table, mapping, "提案一覧.xlsx", clerk(city)) == (500, 0, 0)
        db.session.commit()
    assert proposals() == 500
    with tenancy.scoped_to(city.id):
        rows = db.session.execute(select(Proposal).order_by(Proposal.id)).scalars().all()
        assert {p.city_id for p in rows} == {city.id}
        assert [p.received_on for p in rows[:4]] == [dt.date(2026, 4, d) for d in (1, 2, 3, 4)]
        assert rows[1].budget_amount == 100_001 and rows[1].needs_budget is True
        assert rows[0].needs_budget is False and rows[0].fiscal_year == 2026
        assert rows[0].answers == {"purpose": "地域の課題0を解決する", "start_month": "2026-07"}
        assert rows[0].form_definition is not None and rows[0].organization.name == "NPO法人うみ"
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "import")).scalars().all()
        assert len(events) == 500 and "提案一覧.xlsx の2行目から取込" in {e.comment for e in events}
        # each dated proposal was received through the workflow, audited as by hand
        received = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "transition")).scalars().all()
        assert len(received) == 500 and {e.comment for e in received} >= {
            "受付する: 提案一覧.xlsx の2行目から取込"}
        assert {tuple(e.changes["status"]) for e in received} == {("draft", "submitted")}
        assert saved_mapping(city, "proposal")["answers.purpose"] == "提案の目的"  # kept for next time


def test_a_shift_jis_csv_of_organizations(city):
    text = "団体名,団体の種別,代表者,郵便番号,電話番号\n" \
           "ＮＰＯ法人　かわ,NPO法人,山田 花子,248-0012,0467-00-0000\n,,,,\n" \
           "鎌倉ボランティアの会,任意団体,佐藤 一郎,,\n"
    with tenancy.scoped_to(city.id):
        table = read_table("団体.csv", text.encode("cp932"))
        assert [line for line, _ in table.rows] == [2, 4]  # the empty line is skipped
        mapping = auto_mapping(targets(db.session, city.id, "organization"), table.headers, {})
        assert import_table(db.session, city, "organization", table, mapping, "団体.csv", clerk(city)) == (2, 0, 0)
        db.session.commit()
        names = db.session.execute(select(Organization.name, Organization.org_type)
                                   .order_by(Organization.id)).all()
    assert ("ＮＰＯ法人　かわ", "npo") in names  # kept as the clerk typed it


@pytest.mark.parametrize("written,expected", [
    ("2026/4/1", dt.date(2026, 4, 1)), ("2026-04-01", dt.date(2026, 4, 1)),
    ("令和8年4月1日", dt.date(2026, 4, 1)), ("R8.4.1", dt.date(2026, 4, 1)),
    ("r8.4.1", dt.date(2026, 4, 1)), ("令和元年5月1日", dt.date(2019, 5, 1)),
    ("H31.4.30", dt.date(2019, 4, 30)), ("２０２６年４月１日", dt.date(2026, 4, 1)),
    (dt.datetime(2026, 4, 1, 0, 0), dt.date(2026, 4, 1)),
    ("令和8年4月1日(水)", dt.date(2026, 4, 1)), ("令和8年4月1日（水曜日）", dt.date(2026, 4, 1)),
    ("2026/4/1 (水)", dt.date(2026, 4, 1)),
])
def test_dates_as_people_write_them(written, expected):
    assert cells.parse_date(written) == expected


@pytest.mark.parametrize("written,message", [
    ("4月1日", "日付として読めません"), ("2026/2/30", "ない日付です"), ("令和8年13月1日", "ない日付です"),
    ("令和7年2月30日", "ない日付です"), ("令和8年4月1日～令和9年3月31日", "期間が書かれています"),
])
def test_dates_that_cannot_be_read(written, message):
    with pytest.raises(ValueError, match=message):
        cells.parse_date(written)


@pytest.mark.parametrize("written,expected", [
    ("1,200,000", 1_200_000), ("1,200,000円", 1_200_000), ("1,200,000 円", 1_200_000),
    ("１，２００，０００円", 1_200_000), ("120万円", 1_200_000), ("120万5000円", 1_205_000),
    ("1.5万円", 15_000), ("￥1,200,000", 1_200_000), (2700000, 2_700_000),
])
def test_amounts_as_people_write_them(written, expected):
    assert cells.parse_amount(written) == expected


@pytest.mark.parametrize("written,message", [
    ("△50,000", "金額がマイナスです"), ("▲50,000円", "金額がマイナスです"), ("-1", "金額がマイナスです"),
    ("百円", "金額として読めません"), ("1.5円", "円単位の整数"), ("120万円くらい", "金額として読めません"),
])
def test_amounts_that_are_refused(written, message):
    with pytest.raises(ValueError, match=message):
        cells.parse_amount(written)


def test_a_period_in_one_cell_and_an_end_before_its_start():
    assert cells.parse_period("令和8年4月1日～令和9年3月31日") == (
        dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert cells.parse_period("2026/4/1 ~ 2027/3/31") == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert cells.parse_period("R8.4.1から R9.3.31まで") == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    with pytest.raises(ValueError, match="終わりの日が始まりの日より前です"):
        cells.parse_period("令和9年3月31日～令和8年4月1日")
    with pytest.raises(ValueError, match="期間として読めません"):
        cells.parse_period("令和8年4月1日")


def test_names_are_kept_as_typed_and_found_whatever_their_width(city):
    """（第2期）, ㈱, ①, ～ are stored as written; a name typed in another width (ｶﾌｪ,
    full-width brackets) finds the organization, and names one already registered."""
    from kyodo_admin.models import Project

    OrganizationFactory(city=city, name="NPO法人カフェ（第2期）")
    db.session.commit()
    data = xlsx([["海辺の清掃（第2期）～① ㈱協賛", "NPO法人ｶﾌｪ(第2期)", "R8.4.1", "R9.3.31"],
                 ["山の学校", "NPO法人カフェ（第2期）", "令和8年4月1日～令和9年3月31日", ""]],
                headers=["事業名", "団体名", "開始日", "終了日"])
    with tenancy.scoped_to(city.id):
        table = read_table("事業.xlsx", data)
        mapping = auto_mapping(targets(db.session, city.id, "project"), table.headers, {})
        found = check(db.session, city, "project", table, mapping)
        assert [str(e) for e in found.errors] == [
            "3行目「開始日」: 期間が書かれています（開始日と終了日を別の列にするか、「期間」の列に当ててください）"
            "（「令和8年4月1日～令和9年3月31日」）"]
        table.rows = table.rows[:1]
        assert import_table(db.session, city, "project", table, mapping, "事業.xlsx", clerk(city)) == (1, 0, 0)
        db.session.commit()
        project = db.session.execute(select(Project)).scalar_one()
        assert project.title == "海辺の清掃（第2期）～① ㈱協賛"
        assert project.organization.name == "NPO法人カフェ（第2期）"
        orgs = xlsx([["ＮＰＯ法人カフェ(第2期)"]], headers=["団体名"])
        table = read_table("団体.xlsx", orgs)
        mapping = auto_mapping(targets(db.session, city.id, "organization"), table.headers, {})
        assert [str(e) for e in check(db.session, city, "organization", table, mapping).errors] == [
            "2行目「団体名」: 「ＮＰＯ法人カフェ(第2期)」は既に登録されています（同じ名称の団体は登録できません。"
            "この行を除くか、登録済みのものを直してください。ファイルの値で直すときは"
            "「登録済みの記録を、ファイルの値で更新する」を選びます）"]


def test_a_period_column_a_column_mapped_twice_and_an_end_before_the_start(city):
    data = xlsx([["海辺の清掃", "令和8年4月1日～令和9年3月31日", "R8.4.1", "R8.3.31"]],
                headers=["事業名", "期間", "開始日", "終了日"])
    with tenancy.scoped_to(city.id):
        table = read_table("事業.xlsx", data)
        twice = {"title": "事業名", "start_date": "開始日", "end_date": "開始日"}
        assert [str(e) for e in check(db.session, city, "project", table, twice).errors] == [
            "見出し「開始日」: 同じ列を2つ以上の項目に当てています（「開始日」「終了日」）。1つにしてください"]
        late = {"title": "事業名", "start_date": "開始日", "end_date": "終了日"}
        assert [str(e) for e in check(db.session, city, "project", table, late).errors] == [
            "2行目「終了日」: 終了日が開始日より前です"]
        period = {"title": "事業名", "period": "期間"}
        found = check(db.session, city, "project", table, period)
        assert not found.errors
        assert found.records[0][1]["start_date"] == dt.date(2026, 4, 1)
        assert found.records[0][1]["end_date"] == dt.date(2027, 3, 31)


def test_each_bad_cell_is_named_and_nothing_is_written(city):
    data = xlsx([["提案A", "NPO法人うみ", "2026/4/1", 100, "○", "目的", ""],
                 ["", "NPO法人うみ", "2026/4/1", 100, "○", "目的", ""],
                 ["提案C", "知らない団体", "4月1日", "百円", "たぶん", "目的", ""]])
    with tenancy.scoped_to(city.id):
        table = read_table("x.xlsx", data)
        mapping = auto_mapping(targets(db.session, city.id, "proposal"), table.headers, {})
        errors = [str(e) for e in check(db.session, city, "proposal", table, mapping).errors]
    assert errors == [
        "3行目「提案事業名」: 空欄です（必須）",
        "4行目「団体名」: 団体「知らない団体」が登録されていません（先に団体を取り込むか、団体名を確認してください）",
        "4行目「受付日」: 日付として読めません（2026/4/1、令和8年4月1日、R8.4.1 のように）（「4月1日」）",
        "4行目「予算規模」: 金額として読めません（1200000、1,200,000円、120万円 のように）（「百円」）",
        "4行目「予算措置の要否」: はい／いいえ（○／×、必要／不要）のどれかにしてください（「たぶん」）",
    ]
    assert proposals() == 0


def test_a_missing_required_column_is_named(city):
    with tenancy.scoped_to(city.id):
        table = read_table("x.xlsx", xlsx([["NPO法人うみ"]], headers=["団体名"]))
        errors = check(db.session, city, "proposal", table, {"organization": "団体名"}).errors
    assert [str(e) for e in errors] == ["見出し「提案事業名」: この項目に当てる列を選んでください（必須）"]


def test_merged_header_cells_name_each_column_and_formulas_are_read(city):
    book = Workbook()
    sheet = book.active
    sheet.append(["提案事業名", "連絡先", None, "予算規模"])
    sheet.merge_cells("B1:C1")
    sheet.append(["提案A", "電話", "メール", 1000])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table("x.xlsx", buffer.getvalue())
    assert table.headers == ["提案事業名", "連絡先", "連絡先(2)", "予算規模"]
    # a formula whose result was never saved (a file not saved by Excel) is refused by cell
    sheet["D2"] = "=1000*2"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ValidationFailed, match="2行目 D列の数式に、計算した値が保存されていません"):
        read_table("x.xlsx", buffer.getvalue())


def test_files_that_are_not_read(city):
    with pytest.raises(ValidationFailed, match="ファイルが大きすぎます（10MBまで）"):
        read_table("big.csv", b"a" * (50 * 1024 * 1024))
    with pytest.raises(ValidationFailed, match="Excel（.xlsx）か CSV"):
        read_table("x.pdf", b"%PDF-1.4")
    with pytest.raises(ValidationFailed, match="Excel（.xlsx）として読めません"):
        read_table("x.xlsx", b"PK\x03\x04broken")
    with pytest.raises(ValidationFailed, match="文字コードを判別できません"):
        read_table("x.csv", b"\xff\xfe\x00\x81\x00")


def test_projects_with_their_partner_department_and_collaboration_type(city):
    from kyodo_admin.models import Project

    from ..factories import CollaborationTypeFactory

    CollaborationTypeFactory(city=city, name="協働委託事業")
    data = xlsx([["海辺の自然教室", "NPO法人うみ", "青少年課", "協働委託事業", "実施中", "R8.4.1",
                  "令和9年3月31日", "1,500,000円"],
                 ["山の学校", "NPO法人うみ", "青少年課", "協働補助", "実施中", "2026/4/1", "", ""]],
                headers=["事業名", "団体名", "担当課", "協働の形態", "状態", "開始日", "終了日",
                         "事業費"])
    with tenancy.scoped_to(city.id):
        table = read_table("事業.xlsx", data)
        mapping = auto_mapping(targets(db.session, city.id, "project"), table.headers, {})
        with pytest.raises(ValidationFailed, match="3行目「協働の形態」: 協働の形態「協働補助」がありません"):
            import_table(db.session, city, "project", table, mapping, "事業.xlsx", clerk(city))
        db.session.rollback()
        table.rows = table.rows[:1]
        assert import_table(db.session, city, "project", table, mapping, "事業.xlsx", clerk(city)) == (1, 0, 0)
        db.session.commit()
        project = db.session.execute(select(Project)).scalar_one()
    # 実施中 in the file is not taken: a project's state follows its workflow (the agreement
    # signed, the start), each step audited as by hand
    assert "status" not in mapping and "状態" not in mapping.values()
    assert (project.status, project.start_date, project.end_date, project.fiscal_year) == (
        "planning", dt.date(2026, 4, 1), dt.date(2027, 3, 31), 2026)
    assert project.budget_amount == 1_500_000 and project.organization.name == "NPO法人うみ"
    assert project.department.name == "青少年課" and project.collaboration_type.name == "協働委託事業"


def test_a_line_break_in_a_name_becomes_a_space_and_an_address_with_one_is_refused(city):
    """Excel's Alt+Enter inside a cell: a name is kept on one line; a mail address with a
    second line (a header smuggled into a mail) is refused, naming the line."""
    headers = ["団体名", "代表者", "メールアドレス"]
    named = xlsx([["NPO法人\nそら", "山田\r\n花子", "sora@example.jp"]], headers)
    table = read_table("団体.xlsx", named)
    mapping = auto_mapping(targets(db.session, city.id, "organization"), table.headers, {})
    assert import_table(db.session, city, "organization", table, mapping, "団体.xlsx",
                        clerk(city)) == (1, 0, 0)
    db.session.commit()
    sora = db.session.execute(select(Organization).where(
        Organization.email == "sora@example.jp")).scalar_one()
    assert (sora.name, sora.representative) == ("NPO法人 そら", "山田 花子")

    smuggled = xlsx([["NPO法人くも", "田中", "kumo@example.jp\nBcc: evil@example.jp"]], headers)
    table = read_table("団体.xlsx", smuggled)
    with pytest.raises(ValidationFailed) as refused:
        import_table(db.session, city, "organization", table, mapping, "団体.xlsx", clerk(city))
    db.session.rollback()
    assert "2行目" in str(refused.value) and "メールアドレスの形式が正しくありません" in str(refused.value)
    assert db.session.execute(select(func.count()).select_from(Organization).where(
        Organization.name == "NPO法人くも")).scalar_one() == 0


def _with_sheet(sheet_xml: bytes) -> bytes:
    """A real .xlsx whose first worksheet is ``sheet_xml``."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx([["海辺の清掃", "NPO法人うみ"]], ["提案事業名", "団体名"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as packed:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = sheet_xml
            packed.writestr(info.filename, content, compresslevel=9)
    return out.getvalue()


SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
         b'org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>')


def test_an_xlsx_of_sixty_megabytes_of_whitespace_in_150_kb_is_refused_unread(monkeypatch):
    import openpyxl

    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(1))
    bomb = _with_sheet(SHEET % (b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                                + b" " * (60 * 1024 * 1024)))
    assert len(bomb) < 200 * 1024  # small on disk
    with pytest.raises(ValidationFailed, match="圧縮爆弾の疑い"):
        read_table("台帳.xlsx", bomb)
    assert opened == []  # openpyxl never saw it


def test_three_hundred_thousand_rows_are_refused_before_they_are_read(monkeypatch):
    import openpyxl

    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(1))
    rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
                    for n in range(1, 300_001))
    many = _with_sheet(SHEET % rows)
    with pytest.raises(ValidationFailed, match="行が多すぎます（10000行まで）"):
        read_table("台帳.xlsx", many)
    assert opened == []


def test_a_real_ledger_of_ten_thousand_rows_is_still_read():
    rows = [[f"事業{n}", "NPO法人うみ", "2026/4/1", 100000, "要", "目的", "4月"] for n in range(10000)]
    table = read_table("台帳.xlsx", xlsx(rows))
    assert len(table.rows) == 10000


def ledger_with_title(two_rows: bool = False) -> bytes:
    """A ledger as cities keep it: a title merged over the columns, the date it was made,
    an empty line, then the headers (in two lines when asked) and the rows."""
    book = Workbook()
    sheet = book.active
    sheet.append(["令和7年度 協働事業提案 受付台帳"])
    sheet.merge_cells("A1:E1")
    sheet.append(["作成日", dt.datetime(2025, 4, 1)])
    sheet.append([])
    if two_rows:
        sheet.append(["提案事業名", "団体", None, "受付", None])
        sheet.merge_cells("B4:C4")
        sheet.merge_cells("D4:E4")
        sheet.append([None, "名称", "代表者", "受付日", "予算規模"])
        sheet.merge_cells("A4:A5")
    else:
        sheet.append(["提案事業名", "団体名", "代表者", "受付日", "予算規模"])
    sheet.append(["海辺の清掃（第2期）", "NPO法人うみ", "山田", dt.datetime(2025, 4, 22), 2700000])
    sheet.append(["森の学校", "NPO法人うみ", "山田", "R7.5.1", "1,200,000円"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_ledger_with_a_title_above_its_headers_is_read_from_its_header_line():
    sheet = read_sheet("台帳.xlsx", ledger_with_title())
    assert sheet.guess_header() == (4, 1)
    table = sheet.table()
    assert table.headers == ["提案事業名", "団体名", "代表者", "受付日", "予算規模"]
    assert [line for line, _row in table.rows] == [5, 6]  # lines as the clerk sees them in Excel
    # what the clerk chooses wins over the guess
    assert sheet.table(header_line=1).headers[0] == "令和7年度 協働事業提案 受付台帳"
    with pytest.raises(ValidationFailed, match="3行目は空の行です"):
        sheet.table(header_line=3)


def test_headers_over_two_lines_name_each_column_by_both():
    sheet = read_sheet("台帳.xlsx", ledger_with_title(two_rows=True))
    assert sheet.guess_header() == (4, 2)
    table = sheet.table()
    assert table.headers == ["提案事業名", "団体 名称", "団体 代表者", "受付 受付日", "受付 予算規模"]
    assert [line for line, _row in table.rows] == [6, 7]
    assert sheet.table(header_line=5).headers == ["", "名称", "代表者", "受付日", "予算規模"]


def test_a_csv_with_a_title_line_and_a_sheet_kept_as_json_reads_the_same():
    text = "令和7年度 団体名簿,,\n団体名,代表者,設立日\nNPO法人うみ,山田,2020/4/1\n"
    sheet = read_sheet("団体.csv", text.encode("cp932"))
    assert sheet.table().headers == ["団体名", "代表者", "設立日"]
    excel = read_sheet("台帳.xlsx", ledger_with_title(two_rows=True))
    again = Sheet.from_json(json.loads(json.dumps(excel.as_json())))  # as the database keeps it
    assert again == excel and again.table() == excel.table()
    assert again.table().rows[0][1][3] == dt.datetime(2025, 4, 22)


def test_a_name_longer_than_its_record_holds_is_named_and_nothing_is_written(city):
    data = xlsx([["NPO法人" + "う" * 300, "山田"]], headers=["団体名", "代表者"])
    with tenancy.scoped_to(city.id):
        table = read_table("団体.xlsx", data)
        mapping = auto_mapping(targets(db.session, city.id, "organization"), table.headers, {})
        before = db.session.execute(select(func.count()).select_from(Organization)).scalar_one()
        with pytest.raises(ValidationFailed, match="2行目「団体名」: 305文字あります（200文字まで）"):
            import_table(db.session, city, "organization", table, mapping, "団体.xlsx", clerk(city))
        db.session.rollback()
        assert db.session.execute(select(func.count()).select_from(Organization)).scalar_one() == before


def test_a_cell_merged_down_over_rows_is_named_and_nothing_is_written(city):
    """A ledger whose 団体名 is merged over the rows of one organization's proposals: only
    the first row holds the name, so the rows below would lose it."""
    book = Workbook()
    sheet = book.active
    sheet.append(["提案事業名", "団体名", "受付日"])
    sheet.append(["海の学校", "NPO法人うみ", "R8.4.1"])
    sheet.append(["川の学校", None, "R8.4.2"])
    sheet.merge_cells("B2:B3")
    buffer = io.BytesIO()
    book.save(buffer)
    with tenancy.scoped_to(city.id):
        table = read_table("台帳.xlsx", buffer.getvalue())
        mapping = auto_mapping(targets(db.session, city.id, "proposal"), table.headers, {})
        before = proposals()
        with pytest.raises(ValidationFailed, match="2行目「団体名」: 2行目から3行目までのセルが結合されています"):
            import_table(db.session, city, "proposal", table, mapping, "台帳.xlsx", clerk(city))
        db.session.rollback()
        assert proposals() == before
        # unmapped, it is no concern of the import
        del mapping["organization"]
        assert not check(db.session, city, "proposal", table, mapping).errors
