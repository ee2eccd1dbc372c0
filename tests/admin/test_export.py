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
