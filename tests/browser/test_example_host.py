"""The example host (examples/host_app) by clicks: log in with the host's own login, its own
admin page, then kyodo's proposal list from the host admin's menu 「協働事業」, a proposal and
its Word document, issued — axe-core on each page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from kyodo_admin.cli import kyodo_migrations
from kyodo_admin.extensions import db as kyodo_db

from ..test_example_host import EXAMPLE, host_app
from .conftest import open_menu, screenshot, serve
from .test_cycle import docx_text


@pytest.fixture(scope="module")
def example_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    """The example host on SQLite with kyodo's demo data; the host's alice is a Kamakura
    clerk in kyodo."""
    tmp = tmp_path_factory.mktemp("example-browser")
    mp = pytest.MonkeyPatch()
    mp.setenv("KYODO_INSTANCE_PATH", str(tmp))
    app = host_app.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'host.sqlite3'}",
                               "KYODO_QUEUE_URL": "immediate", "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(directory=str(EXAMPLE / "migrations"))
        with kyodo_migrations(app):
            upgrade()
        host_app.db.session.add(host_app.Staff(
            username="alice", name="鎌倉 花子", kyodo_role="staff", city="kamakura",
            password_hash=generate_password_hash("host-password")))
        host_app.db.session.commit()
    result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
    assert result.exit_code == 0, result.output
    yield from ((url, app) for url in serve(app))
    with app.app_context():
        kyodo_db.session.remove()
        kyodo_db.engine.dispose()
        host_app.db.engine.dispose()
    mp.undo()


def test_the_host_admin_then_kyodos_proposals_and_a_word_document_by_clicks(
        example_server: tuple[str, Flask], page: Any) -> None:
    url, _app = example_server
    page.goto(f"{url}/")
    page.get_by_role("link", name="ログイン").click()
    page.fill("#username", "alice")
    page.fill("#password", "host-password")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()
    assert "鎌倉 花子 さんがログインしています" in page.inner_text("main")

    page.get_by_role("link", name="施設の管理").click()  # the host's own admin page
    page.wait_for_load_state()
    assert "/admin/facility/" in page.url
    assert page.locator("link[href*='kyodo.css']").count() == 0  # Flask-Admin's own look
    screenshot(page, "example-host-01-host-admin")

    open_menu(page, "協働事業")  # kyodo's screens in the host admin's menu
    page.locator(".dropdown-menu.show a", has_text=re.compile(r"^\s*提案\s*$")).click()
    page.wait_for_load_state()
    assert "/admin/proposal/" in page.url
    assert "鎌倉 花子" in page.inner_text("nav")  # the host's user, as kyodo's
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() > 0
    screenshot(page, "example-host-02-kyodo-proposals")
    title_link = page.locator("table.model-list tbody tr td.col-title a").first
    title = title_link.inner_text().strip()
    title_link.click()
    page.wait_for_load_state()
    assert "/admin/proposal/details/" in page.url
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Word文書を作成")).first.click()
    assert download.value.suggested_filename.endswith(".docx")
    assert title in docx_text(download.value.path())
    screenshot(page, "example-host-03-proposal")
