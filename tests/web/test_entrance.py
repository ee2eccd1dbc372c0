"""The public entrance: anyone submits a basic sheet; bad submissions change nothing."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from kyodo_admin import create_app
from kyodo_admin.extensions import db
from kyodo_admin.models import AuditEvent, Organization, Proposal, Role

from ..conftest import IsolatedClient, app_config, csrf_from, enter_city, flashes
from ..factories import CityFactory, FormDefinitionFactory, UserFactory

SCHEMA = {"sections": [{"title": "提案の内容", "fields": [
    {"name": "purpose", "label": "提案の目的", "type": "textarea", "required": True},
    {"name": "field", "label": "活動分野", "type": "select", "choices": ["子育て", "環境"]},
    {"name": "budget_lines", "label": "収支予算", "type": "table", "columns": [
        {"name": "item", "label": "費目", "type": "text"},
        {"name": "amount", "label": "金額", "type": "money"}]},
]}]}


@pytest.fixture
def city(app):
    city = CityFactory(slug="minato", name="みなと市", coordinating_section="市民協働課")
    enter_city(city)
    FormDefinitionFactory(city=city, kind="basic_sheet", status="published", schema=SCHEMA,
                          title="基本シート", form_number="様式第1号")
    return city


def proposals() -> int:
    return db.session.execute(select(func.count()).select_from(Proposal)).scalar_one()


def valid(client, **changes) -> dict:
    html = client.get("/entrance/minato/").get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "title": "川辺の清掃と自然観察", "proposer_type": "npo",
            "organization_name": "NPO法人 川を守る会", "org_type": "npo",
            "representative": "川田 花子", "email": "info@kawa.example.jp", "phone": "03-1234-5678",
            "postal_code": "105-0001", "address": "みなと市1-2-3", "budget_amount": "300000",
            "summary": "川辺の清掃と観察会を市と協働で行う。",
            "answers__purpose": "川を身近に感じる人を増やす", "answers__field": "環境",
            "answers__budget_lines-0-item": "資材費", "answers__budget_lines-0-amount": "50000"}
    data.update(changes)
    return data


def test_the_form_shows_the_citys_current_basic_sheet(client, city):
    response = client.get("/entrance/minato/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "みなと市 協働エントランス" in html and "提案の目的" in html and "収支予算" in html
    assert 'name="csrf_token"' in html


def test_a_submission_arrives_as_received_with_a_receipt_number(client, city, login_as):
    response = client.post("/entrance/minato/", data=valid(client))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert f"受付番号 {proposal.receipt_number}" in page and "川辺の清掃と自然観察" in page
    copy = page[page.index('id="submitted-copy"'):]  # the proposer's copy of what was sent
    assert "NPO法人 川を守る会" in copy and "川を身近に感じる人を増やす" in copy and "資材費" in copy
    assert proposal.status == "submitted" and proposal.city_id == city.id
    assert proposal.receipt_number.endswith("-001") and proposal.budget_amount == 300_000
    assert proposal.answers == {"purpose": "川を身近に感じる人を増やす", "field": "環境",
                                "budget_lines": [{"item": "資材費", "amount": 50000}]}
    assert proposal.form_definition.schema == SCHEMA
    assert proposal.organization is None  # matched by staff, not by the name typed here
    assert (proposal.submitted_by["organization_name"], proposal.submitted_by["email"]) == (
        "NPO法人 川を守る会", "info@kawa.example.jp")
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.model == "proposal", AuditEvent.action == "transition")).scalar_one()
    assert event.actor == "協働エントランス（公開）"
    # the receipt is shown once; reloading goes back to the form
    assert client.get("/entrance/minato/received").status_code == 302
    # the coordinating section sees it in the back office
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    listed = client.get("/admin/proposal/").get_data(as_text=True)
    assert "川辺の清掃と自然観察" in listed and proposal.receipt_number in listed


def test_a_registered_name_is_suggested_and_staff_confirm_it(client, city, login_as):
    from ..factories import OrganizationFactory

    existing = OrganizationFactory(city=city, name="NPO法人 川を守る会", email="real@kawa.jp")
    client.post("/entrance/minato/", data=valid(client, email="someone-else@example.jp"))
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert proposal.organization_id is None  # anyone can type a registered NPO's name
    assert db.session.get(Organization, existing.id).email == "real@kawa.jp"  # untouched
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    html = client.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    assert "登録済みの「NPO法人 川を守る会」として確認" in html
    response = client.post(f"/admin/proposal/match_organization/{proposal.id}", data={
        "csrf_token": csrf_from(html), "organization_id": str(existing.id),
        "loaded_version": str(proposal.version)}, follow_redirects=True)
    assert "として確認しました" in " ".join(flashes(response.get_data(as_text=True)))
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).organization_id == existing.id


def test_staff_register_a_new_organization_from_what_was_entered(client, city, login_as):
    client.post("/entrance/minato/", data=valid(client))
    proposal = db.session.execute(select(Proposal)).scalar_one()
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    html = client.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    response = client.post(f"/admin/proposal/match_organization/{proposal.id}", data={
        "csrf_token": csrf_from(html), "loaded_version": str(proposal.version)},
        follow_redirects=True)
    assert "として確認しました" in " ".join(flashes(response.get_data(as_text=True)))
    db.session.expire_all()
    organization = db.session.get(Proposal, proposal.id).organization
    assert (organization.name, organization.representative, organization.address) == (
        "NPO法人 川を守る会", "川田 花子", "みなと市1-2-3")


def test_simultaneous_submissions_naming_the_same_new_organization_all_arrive(app, city):
    import threading

    barrier, codes, errors = threading.Barrier(5), [], []

    def submit(i: int) -> None:
        try:
            client = app.test_client()
            data = valid(client, title=f"同時の提案{i}")
            barrier.wait(timeout=20)
            codes.append(client.post("/entrance/minato/", data=data, environ_base={
                "REMOTE_ADDR": f"198.51.100.{i + 1}"}).status_code)  # five proposers
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and codes == [302] * 5, (errors, codes)
    db.session.rollback()
    assert proposals() == 5


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": ""}, "この項目は必須です"),
    ({"email": "not-an-address"}, "メールアドレスの形式が正しくありません"),
    ({"postal_code": "1234"}, "郵便番号は「123-4567」の形で"),
    ({"budget_amount": "-5"}, "0以上の金額"),
    ({"answers__purpose": ""}, "この項目は必須です"),
    ({"answers__field": "宇宙開発"}, "選択肢にない値です"),
    ({"answers__budget_lines-0-amount": "たくさん"}, "無効な整数です"),
    ({"reproposal_of": "前回の提案"}, "受付番号は「2025-012」の形で入力してください"),
])
def test_a_submission_failing_validation_changes_nothing(client, city, changes, message):
    response = client.post("/entrance/minato/", data=valid(client, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    # the errors listed at the top, each linking to its field, and the field marked for a
    # screen reader (aria-invalid, its error as its description)
    summary = html[html.index('id="error-summary"'):html.index("<form")]
    assert "入力内容に誤りがあります（1件）" in summary and message in summary
    name = next(iter(changes)).split("-")[0]
    assert f'href="#{name}"' in summary
    if "-" not in next(iter(changes)) and name not in ("answers__field",):
        control = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{name}"[^>]*>', html)
        assert control and 'aria-invalid="true"' in control.group(0), control
        assert f'aria-describedby="{name}-error' in control.group(0)
        assert f'id="{name}-error"' in html
    assert message in html
    assert "川辺の清掃と自然観察" in html or changes.get("title") == ""  # kept for correction
    assert proposals() == 0
    assert db.session.execute(select(func.count()).select_from(Organization)).scalar_one() == 0


def test_a_repeated_submission_too_fast_is_refused(client, city):
    client.post("/entrance/minato/", data=valid(client))
    response = client.post("/entrance/minato/", data=valid(client, title="もう一度"))
    assert any("続けて送信されました" in m for m in flashes(response.get_data(as_text=True)))
    assert proposals() == 1


def test_a_too_large_submission_is_refused(app, client, city):
    data = valid(client)
    data["attachment"] = (io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)), "big.pdf")
    response = client.post("/entrance/minato/", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "送信内容が大きすぎます" in response.get_data(as_text=True)
    assert proposals() == 0


def test_a_submission_without_csrf_is_refused(client, city):
    data = valid(client)
    data.pop("csrf_token")
    response = client.post("/entrance/minato/", data=data)
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert proposals() == 0


def test_an_unknown_city_is_not_found(client, city):
    assert client.get("/entrance/nowhere/").status_code == 404


def test_submissions_are_rate_limited_per_address(app, city):
    limited = create_app(app_config(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_ENABLED=True,
                                    KYODO_ENTRANCE_RATE_LIMIT="2 per minute",
                                    KYODO_ENTRANCE_MIN_INTERVAL=0))
    limited.test_client_class = IsolatedClient
    client = limited.test_client()
    codes = [client.post("/entrance/minato/", data=valid(client, title=f"提案{i}")).status_code
             for i in range(3)]
    assert codes == [302, 302, 429]
    assert "操作が多すぎます" in client.post("/entrance/minato/", data=valid(client)).get_data(as_text=True)
    assert proposals() == 2
    with limited.app_context():
        db.engine.dispose()


def test_the_form_shows_its_sections_with_their_headings(client, city):
    html = client.get("/entrance/minato/").get_data(as_text=True)
    assert '<legend class="h6 w-auto px-2 mb-0">提案の内容</legend>' in html
    assert html.index("提案の内容</legend>") < html.index("提案の目的")


def test_the_copy_keeps_everything_the_proposer_entered(client, city):
    from ..factories import OrganizationFactory

    OrganizationFactory(city=city, name="NPO法人 川を守る会", representative="前の代表",
                        phone="03-0000-0000")  # registered before, with other details
    response = client.post("/entrance/minato/", data=valid(client, reproposal_of="2025-012"))
    copy = client.get(response.headers["Location"]).get_data(as_text=True)
    copy = copy[copy.index('id="submitted-proposer"'):]
    for entered in ("川田 花子", "info@kawa.example.jp", "03-1234-5678", "105-0001",
                    "みなと市1-2-3", "2025-012", "団体（NPO等）"):
        assert entered in copy, entered
    assert "前の代表" not in copy
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert proposal.submitted_by["representative"] == "川田 花子"
    assert proposal.submitted_by["address"] == "みなと市1-2-3"
    assert proposal.claimed_parent_receipt == "2025-012" and proposal.parent_id is None


def _claimed(client, city, receipt: str):
    client.post("/entrance/minato/", data=valid(client, reproposal_of=receipt))
    return db.session.execute(select(Proposal).where(
        Proposal.claimed_parent_receipt == receipt)).scalar_one()


def _confirm(client, proposal):
    html = client.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    db.session.refresh(proposal)
    return client.post(f"/admin/proposal/confirm_reproposal/{proposal.id}", data={
        "csrf_token": csrf_from(html), "loaded_version": str(proposal.version)},
        follow_redirects=True).get_data(as_text=True), html


def test_staff_confirm_the_named_earlier_proposal_and_they_are_linked(client, city, login_as):
    from ..factories import ProposalFactory

    earlier = ProposalFactory(city=city, receipt_number="2025-012", title="前回の川辺の提案",
                              status="returned")
    proposal = _claimed(client, city, "2025-012")
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    page, before = _confirm(client, proposal)
    assert "受付番号 <strong>2025-012</strong> の再提案としています" in before
    assert "「2025-012 前回の川辺の提案」の再提案として結び付けました" in " ".join(flashes(page))
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).parent_id == earlier.id
    assert "前回の川辺の提案" in page[page.index('id="lineage"'):]


@pytest.mark.parametrize("receipt,message", [
    ("2025-999", "受付番号 2025-999 の提案は見つかりません"),
])
def test_an_unknown_earlier_receipt_number_is_refused(client, city, login_as, receipt, message):
    from ..factories import ProposalFactory

    ProposalFactory(city=CityFactory(), receipt_number=receipt)  # another city's: not found
    proposal = _claimed(client, city, receipt)
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    page, _html = _confirm(client, proposal)
    assert message in " ".join(flashes(page))
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).parent_id is None


def test_a_proposal_cannot_be_its_own_earlier_proposal(client, city, login_as):
    proposal = _claimed(client, city, "2024-001")
    proposal.claimed_parent_receipt = proposal.receipt_number  # its own receipt number
    db.session.commit()
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    page, _html = _confirm(client, proposal)
    assert "この提案自身やその再提案を、前の提案にすることはできません" in " ".join(flashes(page))
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).parent_id is None


def test_thirty_thousand_table_rows_are_refused_and_nothing_is_stored(client, city):
    data = valid(client)
    for i in range(30_000):
        data[f"answers__budget_lines-{i}-item"] = f"費目{i}"
        data[f"answers__budget_lines-{i}-amount"] = "1"
    response = client.post("/entrance/minato/", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "行は100行までです" in html
    assert proposals() == 0
    assert db.session.execute(select(func.count()).select_from(Organization)).scalar_one() == 0


def test_a_tables_own_max_rows_is_enforced_on_the_server(client, city):
    from kyodo_admin.models import FormDefinition

    definition = db.session.execute(select(FormDefinition)).scalar_one()
    schema = {"sections": [{"title": "予算", "fields": [
        {**SCHEMA["sections"][0]["fields"][2], "max_rows": 3}]}]}
    definition.schema = schema
    db.session.commit()
    data = valid(client)
    for i in range(4):  # one more than the browser's 「＋ 行を追加」 allows
        data[f"answers__budget_lines-{i}-item"] = f"費目{i}"
    response = client.post("/entrance/minato/", data=data)
    assert response.status_code == 400 and "行は3行までです" in response.get_data(as_text=True)
    assert proposals() == 0


def test_control_characters_never_reach_the_record(client, city):
    response = client.post("/entrance/minato/", data=valid(
        client, title="川辺の\x00清掃", summary="観察会\x07を開く。\n二行目",
        answers__purpose="川を\x0b身近に\tする"))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert proposal.title == "川辺の清掃" and proposal.summary == "観察会を開く。\n二行目"
    assert proposal.answers["purpose"] == "川を身近に\tする"


def test_a_basic_sheet_before_the_organization_is_confirmed_prints_what_was_entered(client, city):
    from kyodo_admin.documents.context import basic_sheet

    client.post("/entrance/minato/", data=valid(client))
    proposal = db.session.execute(select(Proposal)).scalar_one()
    organization = basic_sheet(proposal)["organization"]
    assert (organization["name"], organization["representative"], organization["address"]) == (
        "NPO法人 川を守る会", "川田 花子", "みなと市1-2-3")


def test_the_minimum_interval_counts_per_address_not_per_cookie(client, city):
    first = client.post("/entrance/minato/", data=valid(client))
    assert first.status_code == 302
    fresh_browser = client.application.test_client()  # no cookie from the first submission
    response = fresh_browser.post("/entrance/minato/", data=valid(fresh_browser, title="もう一度"))
    assert any("続けて送信されました" in m for m in flashes(response.get_data(as_text=True)))
    assert proposals() == 1
    elsewhere = client.application.test_client()
    response = elsewhere.post("/entrance/minato/", data=valid(elsewhere, title="別の人の提案"),
                              environ_base={"REMOTE_ADDR": "198.51.100.77"})
    assert response.status_code == 302 and proposals() == 2
