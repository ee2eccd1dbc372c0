"""Browser fixtures: Debian's Chromium driven by Playwright against a live server.

``page`` is a fresh Japanese-locale page; ``demo_server`` serves the five seed cities'
demo data (``kyodo demo``) on SQLite for the module; ``log_in(page, url, user)`` logs in
by the login form, as a person does.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from kyodo_admin import clock, create_app
from kyodo_admin.extensions import db

from ..conftest import app_config
from . import axe

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = os.environ.get("KYODO_SCREENSHOTS", "/tmp/kyodo-screenshots")


class QuietHandler(WSGIRequestHandler):
    """No access log line per request (a page loads dozens of static files)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    """The demo data of the seed cities, served for the whole module."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    app = create_app(app_config(f"sqlite:///{path}", SERVER_NAME=None,
                                KYODO_ENTRANCE_MIN_INTERVAL=0))
    result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
    assert result.exit_code == 0, result.output
    yield from ((url, app) for url in serve(app))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        message = "Chromium is not installed (Debian package 'chromium'); `make test` installs it in CI"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield browser
        browser.close()


#: Where the browser tests leave what axe-core checked (``kyodo accessibility policy`` reads
#: it): one file per test process (pytest-xdist runs two). Not under build/, which the wheel's
#: test empties.
RESULTS = Path(os.environ.get("KYODO_AXE_RESULTS", Path(__file__).resolve().parents[2]
                              / "test-results" / "accessibility"))
#: Every page axe-core checked in this process, and its violations (none when the run passed).
CHECKED: list[tuple[str, int]] = []


def _write_results(chromium: str) -> None:
    if not CHECKED:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (RESULTS / f"{worker}.json").write_text(json.dumps({
        "date": clock.today().isoformat(), "engine": f"axe-core {axe.version()}",
        "browser": f"Chromium {chromium}", "rules": axe.TAGS,
        "pages": [{"path": path, "violations": found} for path, found in CHECKED]},
        ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A Japanese-locale page in a context of its own (no cookies from other tests).

    axe-core checks every page the test opens (WCAG 2.1 A/AA); the test fails at its end
    when any page had a violation.
    """
    if not axe.available():
        message = f"axe-core is not installed ({axe.AXE_JS}); `make install` runs npm ci"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    checked = axe.watch(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))

    def settle() -> None:
        """Wait for the check of the page loaded last (a goto would cut it short)."""
        for _ in range(200):
            if len(checked.pages) >= len(loads):
                return
            page.wait_for_timeout(50)

    def settled(go: Any) -> Any:
        def leaving(*args: Any, **kwargs: Any) -> Any:
            settle()
            return go(*args, **kwargs)
        return leaving

    for method in ("goto", "reload", "go_back", "go_forward"):
        setattr(page, method, settled(getattr(page, method)))
    yield page
    settle()
    context.close()
    assert len(checked.pages) >= len(loads), (
        f"axe-core checked {len(checked.pages)} of the {len(loads)} pages the test opened: "
        f"{checked.pages} of {loads}")
    CHECKED.extend((path, sum(1 for p, _v in checked.violations if p == path))
                   for path in checked.pages)
    # written after each test: a worker stopped at the end of the run keeps its record too
    _write_results(browser.version)
    checked.check()


def log_in(page: Any, url: str, username: str, password: str) -> None:
    page.context.clear_cookies()  # whoever was logged in before
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"login as {username} failed"


def open_menu(page: Any, label: str) -> None:
    """Open the drop-down menu ``label`` (記録, 選択, 出力…) by a click, once the page's
    scripts have loaded; a click that came before them (a loaded machine) is made again, as
    a person would."""
    page.wait_for_load_state()
    toggle = page.locator("a.dropdown-toggle", has_text=label).first
    for _attempt in range(3):
        toggle.click()
        try:
            page.wait_for_function("(el) => el.getAttribute('aria-expanded') === 'true'",
                                   arg=toggle.element_handle(), timeout=3000)
            return
        except Exception:  # noqa: BLE001 - not opened yet: click again
            continue
    raise AssertionError(f"the menu {label} did not open")


def screenshot(page: Any, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


#: What a clerk types into a required field the page leaves empty, by input type.
FILLERS = {"date": "2026-04-01", "month": "2026-04", "number": "1", "email": "info@example.jp",
           "tel": "0467-00-0000", "url": "https://example.jp/"}


def fill_required(page: Any) -> None:
    """Fill each visible required control the page leaves empty, as a clerk would."""
    empty = page.evaluate("""() => Array.from(document.querySelectorAll('[required]'))
        .filter(e => e.offsetParent !== null)
        .filter(e => e.type === 'checkbox' ? !e.checked
                     : e.type === 'radio' ? !document.querySelector(
                           `[name="${e.name}"]:checked`)
                     : !e.value)
        .map(e => [e.name, e.tagName, e.type || '', e.placeholder || e.min || ''])""")
    for name, tag, kind, placeholder in empty:
        control = page.locator(f"[name='{name}']")
        if tag == "SELECT":
            values = control.first.locator("option").evaluate_all("os => os.map(o => o.value)")
            control.first.select_option(next(v for v in values if v and v != "__None"))
        elif kind in ("checkbox", "radio"):
            control.first.check()
        else:
            example = placeholder.removeprefix("例: ").removeprefix("e.g. ")
            control.first.fill(example or FILLERS.get(kind, "記入例です。"))
    # A required table needs one row; its first row's cells get a value each.
    tables = page.evaluate("""() => Array.from(document.querySelectorAll(
            'table[data-required=true]'))
        .filter(t => t.offsetParent !== null)
        .filter(t => !Array.from(t.querySelectorAll('input, textarea')).some(i => i.value))
        .map(t => t.id)""")
    for table in tables:
        cells = page.locator(f"#{table} tbody tr").first.locator("input, textarea, select")
        for i in range(cells.count()):
            cell = cells.nth(i)
            kind = cell.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
            if kind == "select":
                values = cell.locator("option").evaluate_all("os => os.map(o => o.value)")
                cell.select_option(next(v for v in values if v and v != "__None"))
            elif kind == "checkbox":
                cell.check()
            else:
                cell.fill("1000" if kind == "number" else FILLERS.get(kind, "記入例"))


def city_id_of(app: Flask, slug: str) -> int:
    """A city's id by its slug (a city row belongs to no city's scope)."""
    from sqlalchemy import select

    from kyodo_admin.models import City

    with app.app_context():
        found = db.session.execute(select(City.id).where(City.slug == slug)).scalar_one()
        db.session.remove()
    return int(found)
