"""A citizen sends the entrance form with mistakes: the errors are listed at the top, which
takes the focus, each links to its field, and the fields say they are wrong to a screen
reader (axe-core checks the page as the test goes)."""

from __future__ import annotations

from .conftest import fill_required, screenshot


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


#: What a citizen types into each kind of control of the entrance (by its name, else type).
TYPED = {"email": "info@umi.example.jp", "tel": "0467-00-0000", "phone": "0467-00-0000",
         "postal_code": "248-0005", "number": "300000", "date": "2027-04-01",
         "month": "2027-04", "url": "https://example.jp/"}


def test_a_proposal_is_sent_by_keyboard_alone_and_followed_on_its_status_page(demo_server,
                                                                            page):
    """From the first field to 送信 with Tab, typing, Space and Enter only (no mouse): every
    required item is reached and filled; then the proposer's mail leads to the status page
    (受付済), and a new link is asked for by receipt number and address."""
    from sqlalchemy import select

    from kyodo_admin.extensions import db
    from kyodo_admin.models import Notice, Proposal
    from kyodo_admin.tenancy import all_cities

    url, app = demo_server
    page.goto(f"{url}/entrance/kamakura/")
    page.keyboard.press("Tab")  # into the page from its top
    sent = False
    for _ in range(400):
        focused = page.evaluate("""() => { const e = document.activeElement;
            const group = e.type === 'radio'
                ? document.querySelector(`[name="${e.name}"]:checked`) !== null : null;
            return {tag: e.tagName, type: e.type || '', name: e.name || '', value: e.value || '',
                    required: e.required || e.closest('table[data-required=true]') !== null,
                    text: e.innerText || '', group, checked: e.checked || false,
                    inTable: e.closest('table') !== null}; }""")
        if focused["tag"] == "BUTTON" and "提案を送信する" in focused["text"]:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            sent = True
            break
        wanted = focused["required"] or focused["name"] in (
            "title", "summary", "representative", "email", "organization_name")
        if focused["tag"] in ("INPUT", "TEXTAREA") and focused["type"] not in (
                "radio", "checkbox", "hidden", "file", "submit") and not focused["value"] \
                and (wanted or (focused["inTable"] and "-0-" in focused["name"])):
            short = focused["name"].removeprefix("answers__").rsplit("-", 1)[-1]
            page.keyboard.type(TYPED.get(short) or TYPED.get(focused["type"]) or (
                "地域の見守り" if focused["tag"] == "INPUT" else "地域で高齢者を見守る担い手を増やします。"))
        elif focused["required"] and (  # a choice not made yet: Space picks it
                (focused["type"] == "radio" and not focused["group"])
                or (focused["type"] == "checkbox" and not focused["checked"])):
            page.keyboard.press("Space")
        elif focused["tag"] == "SELECT" and wanted and not focused["value"]:
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
    assert sent, "the send button was never reached by Tab"
    assert "/received" in page.url, page.locator(".alert, #error-summary").all_inner_texts()
    receipt = page.locator("#receipt-number").inner_text().removeprefix("受付番号 ").strip()
    assert "状況のページのリンクを送り直す" in page.locator("#mail-sent").inner_text()
    screenshot(page, "entrance-2-sent-by-keyboard")

    with app.app_context(), all_cities():
        proposal = db.session.execute(select(Proposal).where(
            Proposal.receipt_number == receipt)).scalar_one()
        notice = db.session.execute(select(Notice).where(
            Notice.kind == "proposal_received", Notice.record_id == proposal.id)).scalar_one()
        link = next(word for word in notice.body.split() if "/status/" in word)
        db.session.remove()
    page.goto(url + "/entrance/" + link.split("/entrance/", 1)[1])
    assert page.locator("#stage").inner_text() == "受付済"
    assert receipt in page.locator("#proposal-status").inner_text()
    screenshot(page, "entrance-3-status")

    page.goto(f"{url}/entrance/kamakura/status")
    page.fill("input[name=receipt_number]", receipt)
    page.fill("input[name=email]", TYPED["email"])
    page.get_by_role("button", name="リンクを送る").click()
    page.wait_for_load_state()
    assert "一致する場合は" in page.locator("#status-asked").inner_text()
    page.goto(url + "/entrance/" + link.split("/entrance/", 1)[1])  # replaced by the new one
    assert "このリンクは使えません" in page.locator("#status-gone").inner_text()


def test_the_public_pages_fit_a_phone_without_sideways_scrolling(demo_server, page):
    """At 320 CSS pixels (a phone, or 1280 at 400 % zoom; WCAG 2.1 1.4.10) the entrance, the
    disclosure page and the status link's form scroll only up and down; a wide table scrolls
    within its own box."""
    url, _app = demo_server
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/entrance/kamakura/", "/disclosure/kamakura/", "/entrance/kamakura/status"):
        page.goto(url + path)
        page.wait_for_load_state()
        sideways = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert sideways <= 0, (path, sideways)
    screenshot(page, "entrance-4-phone")


def test_the_entrance_and_the_back_office_in_english_by_the_language_switch(demo_server, page):
    """A proposer who reads English switches the entrance to English on the page, sends a
    proposal with a mistake and then without, reads the receipt and asks for the status link
    again — every page in English but the city's own form items (marked lang="ja"); a clerk
    switches the login page to English and works in English."""
    from kyodo_admin.services.users import DEMO_PASSWORD

    from ..test_english import japanese_shown, stored_japanese

    url, app = demo_server
    stored = {"texts": stored_japanese(app)}  # read again once the proposal is stored

    def english_only(where: str) -> None:
        assert page.evaluate("() => document.documentElement.lang") == "en", where
        shown = japanese_shown(page.content(), stored["texts"])
        assert not shown, (where, shown)

    page.goto(f"{url}/entrance/kamakura/")
    assert page.evaluate("() => document.documentElement.lang") == "ja"
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert "Collaboration entrance" in page.locator("h2").first.inner_text()
    assert page.locator("#form-language").is_visible()  # the city's items are in Japanese
    english_only("entrance")

    page.fill("input[name=email]", "not-an-address")
    page.get_by_role("button", name="Send the proposal").click()
    page.wait_for_load_state()
    assert "There are errors" in page.locator("#error-summary").inner_text()
    assert "This is not a valid e-mail address." in page.locator("#email-error").inner_text()
    english_only("entrance with errors")
    screenshot(page, "english-1-entrance-errors")

    page.fill("input[name=email]", "info@umi.example.jp")
    page.fill("input[name=title]", "Beach clean-up with the neighbourhood")
    fill_required(page)
    fill_required(page)  # what an answer made visible (予算措置が必要な理由)
    page.get_by_role("button", name="Send the proposal").click()
    page.wait_for_load_state()
    assert not page.locator("#error-summary").count(), page.locator("#error-summary").inner_text()
    assert "Proposal received" in page.locator("h2").inner_text()
    receipt = page.locator("#receipt-number").inner_text().split()[-1]
    stored["texts"] = stored_japanese(app)  # the answers just sent are the records' own data
    english_only("received")
    screenshot(page, "english-2-received")

    page.get_by_role("link", name="Send the status link again").click()
    page.wait_for_load_state()
    page.get_by_label("Receipt no.").fill(receipt)
    page.get_by_label("E-mail address given in the proposal").fill("info@umi.example.jp")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_load_state()
    assert "a link to its status page has been sent" in page.locator("#status-asked").inner_text()
    english_only("link asked")

    page.context.clear_cookies()  # a clerk, on another machine
    page.goto(f"{url}/login")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    page.get_by_label("Username").fill("kamakura-staff")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_load_state()
    assert "at a glance" in page.locator("h2").first.inner_text()
    english_only("home")
    page.get_by_role("link", name="日本語").click()
    page.wait_for_load_state()
    assert page.evaluate("() => document.documentElement.lang") == "ja"
    assert "の状況" in page.locator("h2").first.inner_text()
    screenshot(page, "english-3-back-to-japanese")
