"""Japanese by default; English selectable for the session."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
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


@pytest.mark.parametrize("catalog", ["ja/LC_MESSAGES/admin", "en/LC_MESSAGES/messages"])
def test_the_compiled_catalogs_match_their_source(catalog):
    base = Path(__file__).resolve().parent.parent / "kyodo_admin/translations" / catalog
    with Path(f"{base}.po").open("rb") as po, Path(f"{base}.mo").open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    translations = {(m.context, str(m.id)): m.string for m in source if m.id}
    assert translations and translations == {
        (m.context, str(m.id)): m.string for m in compiled if m.id}, \
        f"recompile {catalog}.mo from its .po (babel.messages.mofile.write_mo)"


def test_choices_record_kinds_and_buttons_follow_the_chosen_language(client, login_as):
    from kyodo_admin.models import Role

    from .factories import AgreementFactory, RoleShareFactory

    city = CityFactory()
    agreement = AgreementFactory(city=city)
    RoleShareFactory(city=city, agreement=agreement)
    url = f"/admin/agreement/details/?id={agreement.id}"
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    japanese = client.get(url).get_data(as_text=True)
    assert "現在の状態" in japanese and ">締結する</button>" in japanese
    assert "Word文書を作成（協定書）" in japanese
    english = client.get(url + "&lang=en").get_data(as_text=True)
    assert "Current state: <strong>Draft</strong>" in english
    workflow = english[english.index('id="workflow"'):english.index('id="issue-documents"')]
    assert ">Sign</button>" in workflow and ">Signed</label>" in workflow
    assert 'data-confirm="Sign this agreement?' in workflow
    assert "Issue Word document (Agreement)" in english and "History" in english
    assert "締結する" not in english and "現在の状態" not in english
    listing = client.get("/admin/proposal/?lang=en").get_data(as_text=True)
    assert "Proposals" in listing
    client.get("/admin/?lang=ja")


def test_every_message_marked_in_the_code_and_templates_has_its_english():
    """Babel's own extraction (Python and Jinja, as ``pybabel extract`` reads them): every
    message marked for translation, in a template or the code, has its English."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = Path(__file__).resolve().parent.parent / "kyodo_admin"
    with (root / "translations/en/LC_MESSAGES/messages.po").open("rb") as po:
        known = {(m.context, str(m.id)) for m in read_po(po) if m.id and m.string}
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None,
                "lazy_pgettext": ((1, "c"), 2)}
    marked = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            str(root), method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
            keywords=keywords):
        text = message[0] if isinstance(message, tuple) else message
        if text and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text):
            marked.add((context, text))
    assert len(marked) > 600 and marked <= known, sorted(marked - known)


def test_dates_years_and_amounts_on_screens_follow_the_language(app):
    import datetime as dt

    from flask_babel import refresh

    from kyodo_admin import display
    from kyodo_admin.templating import kyodo_environment

    day = dt.date(2026, 4, 1)
    with app.test_request_context("/admin/?lang=en"):
        refresh()
        assert (display.date(day), display.fiscal_year(2026), display.amount(1234567)) == (
            "1 Apr 2026", "FY2026", "¥1,234,567")
        template = kyodo_environment(app).from_string("[{{ _(label) }}][{{ day|wareki }}]")
        assert template.render(label="", day=day) == "[][1 Apr 2026]"  # not the catalog's header
        assert display.in_japanese(display.date)(day) == "令和8年4月1日"  # what documents print
    with app.test_request_context("/admin/?lang=ja"):
        refresh()  # the test's app context outlives the first request's choice
        assert (display.date(day), display.fiscal_year(2026), display.amount(1234567)) == (
            "令和8年4月1日", "令和8年度", "1,234,567円")


def test_the_language_switch_keeps_the_page_and_its_filters(client, login_as):
    login_as(UserFactory(city=CityFactory()))
    html = client.get("/admin/proposal/?search=abc&page_size=20").get_data(as_text=True)
    assert 'href="/admin/proposal/?search=abc&amp;page_size=20&amp;lang=en" lang="en">English</a>' \
        in html
    html = client.get("/admin/proposal/?search=abc&lang=en").get_data(as_text=True)
    assert 'href="/admin/proposal/?search=abc&amp;lang=ja" lang="ja">日本語</a>' in html
