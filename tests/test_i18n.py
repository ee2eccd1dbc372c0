"""Japanese by default; English selectable for the session."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from .conftest import csrf_from
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


def test_flask_admin_messages_missing_from_its_catalog_are_japanese(app, client, login_as):
    """A failed save says so in Japanese (Flask-Admin's ja catalog lacks the message)."""
    login_as(UserFactory(city=CityFactory()))
    html = client.get("/admin/organization/new/").get_data(as_text=True)
    response = client.post("/admin/organization/new/", data={"csrf_token": csrf_from(html), "name": ""})
    text = response.get_data(as_text=True)
    assert "登録できませんでした。赤字の項目を確認してください" in text
    assert "Failed to create record." not in text


def test_the_compiled_catalog_matches_its_source():
    folder = Path(__file__).resolve().parent.parent / "kyodo_admin/translations/ja/LC_MESSAGES"
    source = read_po((folder / "admin.po").open("rb"))
    compiled = read_mo((folder / "admin.mo").open("rb"))
    translations = {m.id: m.string for m in source if m.id}
    assert translations and translations == {m.id: m.string for m in compiled if m.id}, \
        "recompile admin.mo from admin.po (babel.messages.mofile.write_mo)"
