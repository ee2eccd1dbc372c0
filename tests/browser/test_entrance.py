"""A citizen sends the entrance form with mistakes: the errors are listed at the top, which
takes the focus, each links to its field, and the fields say they are wrong to a screen
reader (axe-core checks the page as the test goes)."""

from __future__ import annotations

from .conftest import screenshot


def test_a_send_with_mistakes_lists_them_at_the_top_and_leads_to_each_field(demo_server, page):
    url, _app = demo_server
    page.goto(f"{url}/entrance/kamakura/")
    page.fill("input[name=title]", "")
    page.fill("input[name=email]", "not-an-address")
    page.get_by_role("button", name="提案を送信する").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert "入力内容に誤りがあります" in summary.inner_text()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    screenshot(page, "entrance-1-errors")

    summary.get_by_role("link", name="メールアドレス").click()
    email = page.locator("#email")
    assert email.get_attribute("aria-invalid") == "true"
    described = email.get_attribute("aria-describedby").split()
    assert "email-error" in described
    assert "メールアドレスの形式が正しくありません" in page.locator("#email-error").inner_text()
    assert page.evaluate("() => location.hash") == "#email"
