"""Records lead to each other by clicks: adopting a proposal whose organization is not yet
confirmed is held back with what to do, the clerk confirms it on the same page and adopts;
a city's broken mail text is shown to its staff on the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kyodo_admin import clock
from kyodo_admin.extensions import db
from kyodo_admin.models import (
    City,
    Council,
    CouncilMember,
    NoticeTemplate,
    Project,
    Proposal,
)
from kyodo_admin.services.notices import run_notices
from kyodo_admin.tenancy import scoped_to

from ..factories import MeetingFactory, ProposalFactory, ReviewFactory
from .conftest import city_id_of, log_in, open_menu, screenshot

pytestmark = pytest.mark.timeout(180)

ENTERED = {"organization_name": "NPO法人 新しい風", "representative": "風間 一郎",
           "email": "kaze@example.jp", "phone": "0467-00-1111", "address": "鎌倉市御成町1-1"}


def test_an_unconfirmed_organization_holds_adoption_until_confirmed_on_the_page(
        demo_server, page):
    url, app = demo_server
    kamakura = city_id_of(app, "kamakura")
    with app.app_context(), scoped_to(kamakura):
        city = db.session.get(City, kamakura)
        proposal = ProposalFactory(city=city, title="海の見守り隊の提案", organization=None,
                                   receipt_number="2026-901",
                                   status="step2_review", submitted_by=ENTERED)
        ReviewFactory(city=city, proposal=proposal, step=2, result="adopted",
                      meeting=MeetingFactory(city=city), decided_on=dt.date(2026, 7, 1))
        proposal_id = proposal.id
        db.session.remove()

    log_in(page, url, "kamakura-staff", "kyodo-demo")
    page.goto(f"{url}/admin/proposal/details/?id={proposal_id}")
    workflow = page.locator("#workflow")
    adopt = workflow.locator("button", has_text="採択する")
    assert adopt.is_disabled()
    assert "登録済みの団体としてまだ確認されていません" in workflow.inner_text()
    screenshot(page, "dead-ends-1-adoption-held")

    page.get_by_role("button", name="入力された内容で新しい団体として登録").click()
    page.wait_for_load_state()
    assert page.locator("#match-organization").count() == 0
    adopt = page.locator("#workflow button", has_text="採択する")
    assert adopt.is_enabled()
    page.once("dialog", lambda dialog: dialog.accept())
    adopt.click()
    page.wait_for_load_state()
    assert "を行いました" in " ".join(page.locator(".alert").all_inner_texts())
    screenshot(page, "dead-ends-2-adopted")
    with app.app_context(), scoped_to(kamakura):
        adopted = db.session.get(Proposal, proposal_id)
        project = db.session.execute(select(Project).where(
            Project.proposal_id == proposal_id)).scalar_one()
        assert adopted.status == "adopted" and adopted.organization.name == "NPO法人 新しい風"
        assert project.organization_id == adopted.organization_id
        db.session.remove()


def test_the_outbox_shows_a_city_text_that_failed_at_the_scan(demo_server, page):
    url, app = demo_server
    kamakura = city_id_of(app, "kamakura")
    with app.app_context():
        with scoped_to(kamakura):
            city = db.session.get(City, kamakura)
            db.session.add(NoticeTemplate(city_id=city.id, kind="meeting",
                                          subject="{{ meeting.title }}",
                                          body="{{ meeting.held_on|yen }}"))
            council = db.session.execute(select(Council).order_by(Council.id)).scalars().first()
            member = db.session.execute(select(CouncilMember).where(
                CouncilMember.council_id == council.id, CouncilMember.user_id.is_not(None))
            ).scalars().first()
            member.user.email = "takahashi@example.jp"  # a member who gets the notice
            MeetingFactory(city=city, council=council, title="臨時会議",
                           held_on=clock.today() + dt.timedelta(days=3))
            db.session.commit()
        run_notices(app)
        db.session.remove()

    log_in(page, url, "kamakura-staff", "kyodo-demo")
    open_menu(page, "記録")
    page.get_by_role("link", name="送信メール").click()
    warning = page.locator("#text-failure")
    assert "「会議のお知らせ」の文面を差し込めなかったため、既定の文面で送りました" in warning.inner_text()
    assert "|yen は金額に使うフィルターです" in warning.inner_text()
    screenshot(page, "dead-ends-3-text-failed")
