"""The accessibility check every browser test runs finds what it is there to find."""

from __future__ import annotations

from flask import Flask

from . import axe
from .conftest import serve

UNLABELLED = """<!DOCTYPE html><html><head><title>x</title></head><body><main>
<h1>申請</h1><input name="title"><a href="/next">次へ</a></main></body></html>"""


def test_a_page_with_an_unlabelled_field_and_no_lang_is_reported(browser):
    app = Flask(__name__)
    app.add_url_rule("/", "bad", lambda: UNLABELLED)
    app.add_url_rule("/next", "next", lambda: UNLABELLED.replace("<html>", '<html lang="ja">'))
    context = browser.new_context()
    found = axe.watch(context)
    try:
        for url in serve(app):
            page = context.new_page()
            page.goto(url)
            page.click("text=次へ")  # a page reached by a click is checked too
            page.wait_for_url("**/next")
            page.wait_for_timeout(500)
    finally:
        context.close()
    assert found.pages == ["/", "/next"]
    rules = {(path, v["id"]) for path, v in found.violations}
    assert rules == {("/", "html-has-lang"), ("/", "label"), ("/next", "label")}
    assert "/: label (critical, 1×) Form elements must have labels — input" in found.summary()
