"""Records lead to each other without dead ends: a proposal whose organization is not yet
confirmed is not adopted (the project would have no partner, and its agreement could not be
issued later), and a document whose record lacks what it prints says which record to
complete, in a clerk's words. Run as production runs: each request in the user's city."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from kyodo_admin.extensions import db
from kyodo_admin.models import GeneratedDocument, Project, Proposal, Review, Role
from kyodo_admin.services.documents import SHIPPED, install_shipped_templates
from kyodo_admin.services.form_definitions import current_definition, import_files
from kyodo_admin.tenancy import scoped_to

from ..conftest import csrf_from, flashes
from ..factories import (
    AgreementFactory,
    CityFactory,
    DepartmentFactory,
    ProjectFactory,
    ProposalFactory,
    RoleShareFactory,
    UserFactory,
)


@pytest.fixture
def kamakura(app):
    city = CityFactory(slug="kamakura", name="鎌倉市", head_title="鎌倉市長")
    with scoped_to(city.id):  # what `kyodo cities add --from-seed kamakura` installs
        install_shipped_templates(db.session, city)
        import_files(db.session, sorted((SHIPPED.parent / "forms" / "kamakura").glob("*.yaml")))
        db.session.commit()
    return city


def post_on_page(client, page_url: str, action_url: str, **form):
    html = client.get(page_url).get_data(as_text=True)
    return client.post(action_url, data={"csrf_token": csrf_from(html), **form},
                       follow_redirects=True)


def test_a_proposal_whose_organization_is_not_confirmed_is_not_adopted(kamakura, client, login_as):
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    proposal = ProposalFactory(city=kamakura, organization=None, status="step2_review",
                               title="海辺の子ども自然教室",
                               submitted_by={"organization_name": "NPO法人 うみの会",
                                             "representative": "海野 花子", "org_type": "npo"})
    proposal_id, version = proposal.id, proposal.version
    with scoped_to(kamakura.id):
        db.session.add(Review(city_id=kamakura.id, proposal_id=proposal_id, step=2,
                              result="adopted", decided_on=dt.date(2026, 7, 22)))
        db.session.commit()
    page_url = f"/admin/proposal/details/?id={proposal_id}"

    # the page says beforehand why 採択する cannot fire yet
    assert "提案した団体が、登録済みの団体としてまだ確認されていません" in client.get(
        page_url).get_data(as_text=True)
    response = post_on_page(client, page_url, f"/admin/proposal/transition/{proposal_id}/adopt",
                            loaded_version=str(version))
    shown = " ".join(flashes(response.get_data(as_text=True)))
    assert "「団体がまだ確認されていません」の欄で" in shown
    with scoped_to(kamakura.id):
        assert db.session.get(Proposal, proposal_id).status == "step2_review"
        assert db.session.execute(select(func.count()).select_from(Project)).scalar_one() == 0
        db.session.rollback()

    # confirmed as a new organization from what was entered, it is adopted with its partner
    matched = post_on_page(client, page_url, f"/admin/proposal/match_organization/{proposal_id}",
                           loaded_version=str(version))
    assert "この提案の団体を「NPO法人 うみの会」として確認しました" in " ".join(
        flashes(matched.get_data(as_text=True)))
    with scoped_to(kamakura.id):
        version = db.session.get(Proposal, proposal_id).version
        db.session.rollback()
    adopted = post_on_page(client, page_url, f"/admin/proposal/transition/{proposal_id}/adopt",
                           loaded_version=str(version))
    assert "採択" in " ".join(flashes(adopted.get_data(as_text=True)))
    with scoped_to(kamakura.id):
        project = db.session.execute(select(Project)).scalar_one()
        assert project.organization is not None and project.organization.name == "NPO法人 うみの会"
        db.session.rollback()


def test_an_agreement_of_a_project_without_a_partner_says_which_record_to_complete(
        kamakura, client, login_as):
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    project = ProjectFactory(city=kamakura, organization=None, title="里山の保全活動",
                             department=DepartmentFactory(city=kamakura))
    with scoped_to(kamakura.id):
        definition = current_definition(db.session, kamakura.id, "agreement")
        db.session.rollback()
    agreement = AgreementFactory(city=kamakura, project=project, form_definition=definition,
                                 answers={"personal_information": True})
    RoleShareFactory(city=kamakura, agreement=agreement, item="広報", city_role="市の広報紙",
                     organization_role="チラシ")
    page_url = f"/admin/agreement/details/?id={agreement.id}"
    response = post_on_page(client, page_url,
                            f"/admin/agreement/document/agreement/{agreement.id}")
    shown = " ".join(flashes(response.get_data(as_text=True)))
    assert "協働事業「里山の保全活動」に協働の相手方（団体）が登録されていません" in shown
    assert "協働事業の画面の「編集」で入力してから、もう一度作成してください" in shown
    with scoped_to(kamakura.id):
        assert db.session.execute(select(func.count()).select_from(GeneratedDocument)).scalar_one() == 0
