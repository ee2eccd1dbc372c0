"""The CSV export streams the list's rows a chunk at a time, reading only exported columns."""

from __future__ import annotations

import csv
import io

from sqlalchemy import event

from kyodo_admin.admin.mixins.export import EXPORT_CHUNK
from kyodo_admin.extensions import db
from kyodo_admin.models import Role

from ..factories import CityFactory, OrganizationFactory, ProposalFactory, UserFactory


def export(client, url: str) -> tuple[list[list[str]], list[str]]:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]))), statements


def test_the_export_reads_no_answers_and_costs_the_same_for_more_rows(client, login_as):
    city = CityFactory()
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    partner = OrganizationFactory(city=city, name="NPO法人 みどりの会")

    def grow(count: int) -> None:
        for i in range(count):
            ProposalFactory(city=city, title=f"提案{i}", organization=partner,
                            answers={"memo": "長い回答" * 100})

    grow(3)
    rows, small = export(client, "/admin/proposal/export/csv/")
    assert len(rows) == 1 + 3 and "NPO法人 みどりの会" in rows[1]
    assert not any("answers" in s for s in small if "FROM proposal" in s)
    grow(EXPORT_CHUNK + 7)  # more than one chunk
    rows, large = export(client, "/admin/proposal/export/csv/")
    assert len(rows) == 1 + EXPORT_CHUNK + 10
    title = rows[0].index("件名")
    assert {r[title] for r in rows[1:]} == {f"提案{i}" for i in range(EXPORT_CHUNK + 7)}
    assert len(large) <= len(small) + 2  # one more fetch per chunk at most, never one per row


def test_a_large_export_is_written_through_a_file_and_arrives_whole(client, login_as,
                                                                     monkeypatch):
    from kyodo_admin.admin.mixins import export as export_mixin

    monkeypatch.setattr(export_mixin, "EXPORT_MEMORY", 512)  # a few rows, then to disk
    city = CityFactory()
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    for i in range(40):
        ProposalFactory(city=city, title=f"ファイル経由の提案{i:02d}")
    rows, _statements = export(client, "/admin/proposal/export/csv/")
    title = rows[0].index("件名")
    assert sorted(r[title] for r in rows[1:]) == [f"ファイル経由の提案{i:02d}" for i in range(40)]


def test_an_excel_export_has_numbers_dates_and_text_as_excel_reads_them(client, login_as):
    import datetime as dt

    from openpyxl import load_workbook

    city = CityFactory()
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    ProposalFactory(city=city, title="=1+1", budget_amount=1_200_000, status="submitted",
                    received_on=dt.date(2026, 5, 1))
    ProposalFactory(city=city, title="見守りの協働", budget_amount=300_000, status="submitted",
                    received_on=dt.date(2026, 6, 2))
    ProposalFactory(city=city, title="絞り込みで外れる提案", budget_amount=999, status="adopted")
    from kyodo_admin.admin.responses import list_url

    with client.application.test_request_context():
        listed = list_url("proposal", ("status", "FilterEqual", "submitted"))
    page = client.get(listed).get_data(as_text=True)
    assert "出力（Excel）" in page and "出力（CSV）" in page
    url = listed.replace("/admin/proposal/", "/admin/proposal/export/xlsx/")
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    title, budget = header.index("件名"), header.index("予算規模（円）")
    received = next(i for i, h in enumerate(header) if "受付日" in str(h))
    assert sorted(r[title] for r in rows[1:]) == ["=1+1", "見守りの協働"]  # the filter applied
    assert sum(r[budget] for r in rows[1:]) == 1_500_000  # amounts are numbers
    assert {r[received] for r in rows[1:]} == {dt.datetime(2026, 5, 1), dt.datetime(2026, 6, 2)}
    cells = {c.value: c for c in sheet[2] + sheet[3]}
    assert cells["=1+1"].data_type == "s"  # text, never a formula
    assert "gg" in sheet.cell(row=2, column=received + 1).number_format  # shown in 和暦
