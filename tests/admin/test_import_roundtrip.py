"""A city's own export imports back with no choosing: the same column names both ways, for
every kind the import takes, as CSV and as Excel — into another city as new records, and into
the same city as updates of the records it names (nothing changed when nothing was edited)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import (
    AuditEvent,
    CollaborationType,
    Department,
    Organization,
    Project,
    Proposal,
    Role,
)

from ..conftest import enter_city, flashes, form_values
from ..factories import (
    CityFactory,
    CollaborationTypeFactory,
    DepartmentFactory,
    OrganizationFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
)
from .test_import_screen import mapping_page, upload

MODELS = {"organization": Organization, "proposal": Proposal, "project": Project}

#: What each kind's import takes, read back as a clerk would compare it.
FIELDS = {
    "organization": ("name", "name_kana", "org_type", "representative", "postal_code",
                     "address", "phone", "email", "corporate_number"),
    "proposal": ("receipt_number", "title", "proposer_type", "organization", "department",
                 "received_on", "fiscal_year", "needs_budget", "budget_amount", "summary"),
    "project": ("title", "organization", "department", "collaboration_type", "start_date",
                "end_date", "fiscal_year", "budget_amount", "summary"),
}


def snapshot(kind: str) -> list[dict[str, Any]]:
    """The current city's records of ``kind``, field by field (names for linked records)."""
    model = MODELS[kind]
    rows = db.session.execute(select(model).order_by(model.id)).scalars()
    return [{f: (str(v) if (v := getattr(r, f)) is not None and f in (
        "organization", "department", "collaboration_type") else v) for f in FIELDS[kind]}
        for r in rows]


def shared_names(city: Any) -> None:
    """What another city's records name: the same department, type and organization."""
    DepartmentFactory(city=city, name="地域のつながり推進課")
    CollaborationTypeFactory(city=city, name="協働負担事業")


def fill(city: Any) -> None:
    """Records typed the ways people type them: full- and half-width, a leading minus, lines."""
    shared_names(city)
    partner = OrganizationFactory(
        city=city, name="NPO法人 協働ｶﾌｪ（第２期）", name_kana="きょうどうかふぇ",
        org_type="voluntary", representative="山田　花子", postal_code="248-0005",
        address="鎌倉市雪ノ下１丁目", phone="0467-23-3000", email="cafe@example.jp",
        corporate_number="1234567890128")
    department = db.session.execute(select(Department)).scalar_one()
    ProposalFactory(city=city, organization=partner, department=department,
                    receipt_number="2026-007", title="-地域の見守り-（第2期）",
                    proposer_type="joint", received_on=dt.date(2026, 5, 1), fiscal_year=2026,
                    needs_budget=True, budget_amount=1_200_000, summary="一行目\n二行目",
                    status="submitted")
    kind = db.session.execute(select(CollaborationType)).scalar_one()
    ProjectFactory(city=city, organization=partner, department=department,
                   collaboration_type=kind, title="協働ｶﾌｪ事業（第２期）",
                   start_date=dt.date(2026, 4, 1), end_date=dt.date(2027, 3, 31),
                   fiscal_year=2026, budget_amount=2_700_000, summary="居場所づくり")
    db.session.commit()


def exported(client, kind: str, fmt: str) -> bytes:
    response = client.get(f"/admin/{kind}/export/{fmt}/")
    assert response.status_code == 200
    return response.get_data()


def import_file(client, kind: str, data: bytes, filename: str, existing: str | None = None):
    """Upload, take the mapping page as it comes (no choosing), press 取り込む."""
    page = mapping_page(client, upload(client, data, filename, kind))
    html = client.get(page).get_data(as_text=True)
    values = form_values(html)
    if existing is not None:
        values["existing"] = existing
        html = client.post(page, data={**values, "action": "check"}).get_data(as_text=True)
        values = form_values(html)
    return html, client.post(page, data={**values, "action": "import"}, follow_redirects=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["organization", "proposal", "project"])
def test_an_export_imports_into_another_city_as_it_was(client, login_as, kamakura, kind, fmt):
    enter_city(kamakura)
    fill(kamakura)
    before = snapshot(kind)
    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value))
    data = exported(client, kind, fmt)

    other = CityFactory(slug="zushi", name="逗子市")
    enter_city(other)
    shared_names(other)
    if kind != "organization":
        OrganizationFactory(city=other, name="NPO法人 協働ｶﾌｪ（第２期）")
    db.session.commit()
    login_as(UserFactory(city=other, role=Role.CITY_ADMIN.value))
    html, response = import_file(client, kind, data, f"export.{fmt}")
    assert "1行すべてを取り込めます" in html
    assert any("1件の" in m and "を取り込みました" in m
               for m in flashes(response.get_data(as_text=True)))
    assert snapshot(kind) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["organization", "proposal"])
def test_an_export_imported_into_its_own_city_changes_nothing_unless_edited(
        client, login_as, kamakura, kind, fmt):
    enter_city(kamakura)
    fill(kamakura)
    before = snapshot(kind)
    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value))
    data = exported(client, kind, fmt)

    # as it was: refused as already registered, unless the clerk chooses to update
    html, response = import_file(client, kind, data, f"export.{fmt}")
    assert "は既に登録されています" in html and "を取り込みました" not in response.get_data(as_text=True)
    html, response = import_file(client, kind, data, f"export.{fmt}", existing="update")
    assert "1行すべてを取り込めます" in html and "<td>更新</td>" in html
    assert any("1件の" in m and "変更なし1件" in m for m in flashes(response.get_data(as_text=True)))
    assert snapshot(kind) == before
    versions = [r.version for r in db.session.execute(select(MODELS[kind])).scalars()]

    # the export with one cell edited: that field of that record changes, nothing else
    edited = edit_cell(data, fmt, "電話番号" if kind == "organization" else "予算規模（円）",
                       "0467-23-9999" if kind == "organization" else "1500000")
    _html, response = import_file(client, kind, edited, f"export.{fmt}", existing="update")
    assert any("更新1件" in m for m in flashes(response.get_data(as_text=True)))
    after = snapshot(kind)
    field, value = ("phone", "0467-23-9999") if kind == "organization" else ("budget_amount",
                                                                           1_500_000)
    assert after == [{**before[0], field: value}]
    assert [r.version for r in db.session.execute(select(MODELS[kind])).scalars()] == [
        v + 1 for v in versions]
    assert db.session.execute(select(AuditEvent).where(
        AuditEvent.model == MODELS[kind].__tablename__, AuditEvent.action == "update")).first()


def test_an_update_a_proposals_state_does_not_allow_is_refused_with_its_line(
        client, login_as, kamakura):
    enter_city(kamakura)
    fill(kamakura)
    proposal = db.session.execute(select(Proposal)).scalar_one()
    proposal.status = "adopted"  # decided: its record is kept as decided
    db.session.commit()
    before = snapshot("proposal")
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    data = edit_cell(exported(client, "proposal", "xlsx"), "xlsx", "件名", "別の件名")
    _html, response = import_file(client, "proposal", data, "export.xlsx", existing="update")
    page = response.get_data(as_text=True)
    assert "2行目「件名」" in page and "決定済の提案（採択）は変更できません" in page
    assert snapshot("proposal") == before


def edit_cell(data: bytes, fmt: str, header: str, value: str) -> bytes:
    """The export with the first row's cell under ``header`` typed over, saved as it came."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        rows[1][rows[0].index(header)] = value
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=headers.index(header) + 1, value=value)
    out_bytes = io.BytesIO()
    book.save(out_bytes)
    return out_bytes.getvalue()
