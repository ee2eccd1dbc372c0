"""The import screen's own refusals: a bad file, another user's upload."""

from __future__ import annotations

import io
import logging
import re

from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import Organization, Role

from ..conftest import csrf_from, enter_city, flashes, form_values
from ..factories import OrganizationFactory, UserFactory


def upload(client, data: bytes, filename: str, kind: str = "organization"):
    token = csrf_from(client.get("/admin/import/").get_data(as_text=True))
    return client.post("/admin/import/", data={"csrf_token": token, "kind": kind,
                                               "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_first_page(client, login_as, kamakura):
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    response = upload(client, b"%PDF-1.4", "団体.pdf")
    assert response.status_code == 200
    assert any("Excel（.xlsx）か CSV のファイルを指定してください" in m
               for m in flashes(response.get_data(as_text=True)))


def mapping_page(client, response) -> str:
    """The mapping page an upload leads to, through the page of its reading (a worker's)."""
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    work = response.headers["Location"]
    assert re.search(r"/admin/work/[\w-]+$", work)
    page = client.get(work, follow_redirects=True)
    assert re.search(r"/admin/import/[\w-]+$", page.request.path), page.get_data(as_text=True)
    return page.request.path


def test_an_upload_and_its_work_are_only_its_users(client, login_as, kamakura):
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    response = upload(client, "団体名\nNPO法人うみ\n".encode("cp932"), "団体.csv")
    work = response.headers["Location"]
    page = mapping_page(client, response)
    assert "1行すべてを取り込めます" in client.get(page).get_data(as_text=True)
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    assert client.get(page).status_code == 404
    assert client.get(work).status_code == 404
    login_as(UserFactory(city=kamakura, role=Role.COUNCIL_MEMBER.value))
    assert client.get("/admin/import/").status_code == 403


def _import(client, csv_text: str):
    """Upload a CSV of organizations and press 取り込む on its mapping page, as a clerk does;
    the page the import's work leads to (the list, or the work's page with its error)."""
    page = mapping_page(client, upload(client, csv_text.encode("cp932"), "団体.csv"))
    values = form_values(client.get(page).get_data(as_text=True))
    values["action"] = "import"
    return client.post(page, data=values, follow_redirects=True)


def imported(response) -> bool:
    return any("件の団体を取り込みました" in m for m in flashes(response.get_data(as_text=True)))


def _names() -> list[str]:
    return list(db.session.execute(select(Organization.name).order_by(Organization.id)).scalars())


LEDGER = "団体名,代表者名,電話番号\nNPO法人うみ,山田花子,0467-23-3000\nNPO法人やま,鈴木一郎,0467-23-3001\n"


def test_an_organization_already_registered_is_named_and_nothing_is_imported(
        client, login_as, kamakura):
    enter_city(kamakura)
    OrganizationFactory(city=kamakura, name="NPO法人やま")
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    response = _import(client, LEDGER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "「NPO法人やま」は既に登録されています（同じ名称の団体は登録できません" in html
    assert "3行目" in html
    assert _names() == ["NPO法人やま"]


def test_the_same_ledger_twice_is_refused_the_second_time(client, login_as, kamakura):
    enter_city(kamakura)
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    assert imported(_import(client, LEDGER))
    assert _names() == ["NPO法人うみ", "NPO法人やま"]
    again = _import(client, LEDGER)
    assert again.status_code == 200 and "既に登録されています" in again.get_data(as_text=True)
    assert not imported(again)
    assert _names() == ["NPO法人うみ", "NPO法人やま"]  # nothing doubled, nothing lost


def test_a_name_twice_in_one_file_is_named_with_its_first_line(client, login_as, kamakura):
    enter_city(kamakura)
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    response = _import(client, LEDGER + "NPO法人うみ,佐藤,0467-23-3002\n")
    assert "「NPO法人うみ」は2行目と同じです" in response.get_data(as_text=True)
    assert _names() == []


def test_a_name_registered_meanwhile_is_refused_clearly_and_the_log_holds_no_personal_data(
        client, login_as, kamakura, monkeypatch, caplog):
    """Another clerk registers the same name between the check and the import: the database
    refuses it, the page says so, and no log line holds the file's names or numbers."""
    from kyodo_admin.services import imports

    enter_city(kamakura)
    OrganizationFactory(city=kamakura, name="NPO法人やま")
    monkeypatch.setattr(imports, "UNIQUE", {})  # the check ran before the other clerk saved
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    caplog.set_level(logging.DEBUG)
    response = _import(client, LEDGER)
    assert response.status_code == 200
    assert any("他の人が先に登録したため、取り込みませんでした（1件も登録していません）" in m
               for m in flashes(response.get_data(as_text=True)))
    assert _names() == ["NPO法人やま"]
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "import of organization refused" in logged
    for personal in ("NPO法人うみ", "山田花子", "0467-23-3000", "鈴木一郎"):
        assert personal not in logged


def test_a_failed_statement_is_logged_without_the_values_of_its_row(app, kamakura):
    """What the log gets of any failing statement: the SQL and the constraint, never the
    values (neither the statement's parameters nor the database's DETAIL line)."""
    import io

    from sqlalchemy.exc import IntegrityError

    handler = next(h for h in logging.getLogger("kyodo_admin").handlers
                   if getattr(h, "_kyodo", False))
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        enter_city(kamakura)
        OrganizationFactory(city=kamakura, name="NPO法人やま", representative="山田花子")
        db.session.add(Organization(city_id=kamakura.id, name="NPO法人やま",
                                    representative="山田花子", phone="0467-23-3000"))
        try:
            db.session.flush()
        except IntegrityError:
            app.logger.exception("saving an organization failed")
        db.session.rollback()
    finally:
        handler.setStream(previous)
    logged = written.getvalue()
    assert "saving an organization failed" in logged and "INSERT INTO organization" in logged
    for value in ("山田花子", "NPO法人やま", "0467-23-3000"):
        assert value not in logged, logged


def test_an_upload_is_read_once_by_a_worker_never_by_the_web_request(client, login_as, kamakura,
                                                                      monkeypatch):
    import threading

    from kyodo_admin.services import imports

    readers = []
    original = imports._csv
    monkeypatch.setattr(imports, "_csv", lambda data: readers.append(
        threading.current_thread().name) or original(data))
    enter_city(kamakura)
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    response = _import(client, "団体名,代表者名\nNPO法人ほし,星野\n")  # upload, mapping, 取り込む
    assert imported(response)
    assert _names() == ["NPO法人ほし"]
    assert readers == ["kyodo-run_work"]  # read once, by the queue's task, not at each step


def test_a_past_years_agreement_is_imported_by_the_screens_and_signed(client, login_as, kamakura):
    """The kinds of past years are offered and imported as the others: an agreement's rows
    with its 締結日 arrive signed, and the project agreed."""
    import datetime as dt

    from kyodo_admin.models import Agreement

    from ..factories import ProjectFactory

    enter_city(kamakura)
    ProjectFactory(city=kamakura, title="海辺の清掃", start_date=dt.date(2025, 4, 1),
                   end_date=dt.date(2026, 3, 31))
    db.session.commit()
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    assert 'value="agreement"' in client.get("/admin/import/").get_data(as_text=True)
    ledger = ("事業名,期間（開始日～終了日）,締結日,役割分担の項目,市の役割,団体の役割,費目,市の負担額\n"
              "海辺の清掃,令和7年4月1日～令和8年3月31日,R7.4.1,会場,会場の確保,運営,,\n"
              "海辺の清掃,,,,,,消耗品費,\"50,000\"\n")
    page = mapping_page(client, upload(client, ledger.encode("cp932"), "協定.csv", "agreement"))
    html = client.get(page).get_data(as_text=True)
    assert "2行すべてを取り込めます" in html and "1行に役割分担か費用の1項目を書きます" in html
    values = form_values(html)
    response = client.post(page, data={**values, "action": "import"}, follow_redirects=True)
    assert any("1件の協定を取り込みました" in m for m in flashes(response.get_data(as_text=True)))
    agreement = db.session.execute(select(Agreement)).scalar_one()
    assert (agreement.status, agreement.title, agreement.project.status) == (
        "signed", "海辺の清掃に関する協定書", "agreed")
    assert [(c.item, c.city_amount) for c in agreement.cost_shares] == [("消耗品費", 50_000)]
