"""Japanese by default; English selectable for the session."""

from __future__ import annotations

from .factories import CityFactory, UserFactory


def test_japanese_by_default_and_english_on_request(client, login_as):
    login_as(UserFactory(city=CityFactory()))
    html = client.get("/admin/proposal/").get_data(as_text=True)
    assert "受付番号" in html and "作成" in html and "Receipt no." not in html
    html = client.get("/admin/proposal/?lang=en").get_data(as_text=True)
    assert "Receipt no." in html and "Create" in html and "Proposals" in html
    # the choice sticks for the session, and can be switched back
    assert "Organizations" in client.get("/admin/organization/").get_data(as_text=True)
    assert "団体" in client.get("/admin/organization/?lang=ja").get_data(as_text=True)
