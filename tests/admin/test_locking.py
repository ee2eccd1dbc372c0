"""Optimistic locking across requests: the second of two saves from the same version is refused."""

from __future__ import annotations

import threading

from kyodo_admin.extensions import db
from kyodo_admin.models import Agreement, Organization, Role
from kyodo_admin.tenancy import scoped_to

from ..conftest import flashes, form_page, login
from ..factories import AgreementFactory, CityFactory, OrganizationFactory, UserFactory


def test_second_save_from_the_same_version_is_refused(app, login_as):
    city = CityFactory()
    alice = UserFactory(city=city, username="alice")
    bob = UserFactory(city=city, username="bob")
    org = OrganizationFactory(city=city, name="NPO法人もとの名前", representative="元の代表")
    org_id, city_id, names = org.id, city.id, (alice.username, bob.username)
    first, second = app.test_client(), app.test_client()
    login(first, names[0])
    login(second, names[1])
    url = f"/admin/organization/edit/?id={org_id}"
    _html, form_a = form_page(first, url)
    _html, form_b = form_page(second, url)
    assert form_a["loaded_version"] == form_b["loaded_version"] == "1"

    form_a["representative"] = "アリスの変更"
    assert first.post(url, data=form_a).status_code == 302

    form_b["representative"] = "ボブの変更"
    response = second.post(url, data=form_b)
    assert response.status_code == 200  # the form comes back with Bob's input kept
    html = response.get_data(as_text=True)
    assert any("他の利用者によって変更されました" in m for m in flashes(html))
    assert "ボブの変更" in html

    with scoped_to(city_id):
        saved = db.session.get(Organization, org_id)
        assert saved.representative == "アリスの変更"
        assert saved.version == 2


def test_editing_only_inline_rows_still_moves_the_version(app, client, login_as):
    city = CityFactory()
    staff = UserFactory(city=city)
    agreement = AgreementFactory(city=city)
    agreement_id, version, city_id = agreement.id, agreement.version, city.id
    login_as(staff)
    url = f"/admin/agreement/edit/?id={agreement_id}"
    _html, values = form_page(client, url)
    values.update({"role_shares-0-item": "広報", "role_shares-0-city_role": "広報紙に掲載",
                   "role_shares-0-organization_role": "SNSで発信", "role_shares-0-sort_order": "0"})
    assert client.post(url, data=values).status_code == 302
    with scoped_to(city_id):
        saved = db.session.get(Agreement, agreement_id)
        assert [r.item for r in saved.role_shares] == ["広報"]
        assert saved.role_shares[0].city_id == city_id
        assert saved.version == version + 1


def test_a_form_without_its_version_is_refused(app, client, login_as):
    city = CityFactory()
    staff = UserFactory(city=city, role=Role.STAFF.value)
    org_id, city_id = OrganizationFactory(city=city, name="元の団体").id, city.id
    login_as(staff)
    url = f"/admin/organization/edit/?id={org_id}"
    _html, values = form_page(client, url)
    values.pop("loaded_version")
    values["name"] = "改ざん"
    assert client.post(url, data=values).status_code == 200
    with scoped_to(city_id):
        assert db.session.get(Organization, org_id).name == "元の団体"


def test_concurrent_saves_wait_instead_of_database_is_locked(app, backend):
    """Two people saving at the same moment, many times: every save lands, none fails
    with "database is locked" (SQLite: WAL, busy timeout, BEGIN IMMEDIATE for writes)."""
    city = CityFactory()
    users = [UserFactory(city=city, username=f"writer{i}").username for i in range(2)]
    orgs = [OrganizationFactory(city=city, name=f"団体{i}").id for i in range(2)]
    errors: list[str] = []

    def save(username: str, org_id: int) -> None:
        client = app.test_client()
        login(client, username)
        url = f"/admin/organization/edit/?id={org_id}"
        for n in range(8):
            _html, values = form_page(client, url)
            values["member_count"] = str(n)
            response = client.post(url, data=values)
            if response.status_code != 302:
                errors.append(" / ".join(flashes(response.get_data(as_text=True))) or
                              str(response.status_code))

    threads = [threading.Thread(target=save, args=(u, o)) for u, o in zip(users, orgs, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.rollback()  # the saves were others' sessions: read afresh
    with scoped_to(city.id):
        assert [db.session.get(Organization, o).member_count for o in orgs] == [7, 7]
