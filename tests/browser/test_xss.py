"""What a city admin types into a form definition never runs as script in anyone's browser
(Flask-Admin prints a field's description with |safe: help texts are escaped first)."""

from __future__ import annotations

import pytest

from kyodo_admin import create_app
from kyodo_admin.extensions import db
from kyodo_admin.models import Base

from ..conftest import TEST_PASSWORD, app_config
from ..factories import CityFactory, FormDefinitionFactory, ProposalFactory, UserFactory
from .conftest import log_in, serve

PAYLOAD = '"><img src=x onerror="window.__xss=(window.__xss||0)+1">'
HOSTILE = {"sections": [{"title": f"概要{PAYLOAD}", "fields": [
    {"name": "purpose", "label": f"目的{PAYLOAD}", "type": "textarea", "help": f"説明{PAYLOAD}"},
    {"name": "field", "label": "分野", "type": "select", "choices": ["環境", f"子育て{PAYLOAD}"],
     "help": "<script>window.__xss=99</script>"},
]}]}


@pytest.fixture
def hostile_server(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path / 'xss.sqlite3'}", SERVER_NAME=None))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        city = CityFactory(name="鎌倉市", slug="kamakura")
        UserFactory(city=city, username="xss-staff")
        FormDefinitionFactory(city=city, kind="basic_sheet", status="published", schema=HOSTILE)
        ProposalFactory(city=city, title="海辺の清掃")
        db.session.remove()
    yield from serve(app)


def test_help_labels_choices_and_section_titles_do_not_run(hostile_server, page):
    url = hostile_server
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("/entrance/kamakura/",):
        page.goto(url + path)
        assert page.evaluate("window.__xss") is None
        assert page.locator("img[onerror], script:not([src])").count() == 0
        assert f"説明{PAYLOAD}" in page.locator("body").inner_text()
    log_in(page, url, "xss-staff", TEST_PASSWORD)
    page.goto(f"{url}/admin/proposal/new/")
    page.wait_for_load_state()
    assert page.evaluate("window.__xss") is None, "a city admin's help text ran as script"
    assert page.locator("img[onerror]").count() == 0
    text = page.locator("body").inner_text()
    assert f"説明{PAYLOAD}" in text  # shown as the text it is
    assert "<script>window.__xss=99</script>" in text
    assert dialogs == []
