"""English complete: with English chosen, every screen a user reaches by following links from
the home screen, the public pages (entrance, its errors, the status pages, disclosure, login)
and the error pages show no Japanese — except the records' own data (every text stored in
the database: a city's records, forms, criteria, mail texts) and what the page marks as
Japanese (``lang="ja"``: the language switch, a city's form on an English page).

The crawl follows every link of the demo's five cities as each kind of user (two pages at
most of each screen), and sends each create form empty to see its errors.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
import sqlalchemy as sa

from kyodo_admin.extensions import db
from kyodo_admin.services.users import DEMO_PASSWORD
from kyodo_admin.tenancy import all_cities

from .conftest import csrf_from, demo_app_of, login

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]+")
#: Attributes a user meets (read aloud, shown on hover, shown in an empty field, a button).
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-confirm")
#: Links not followed: the language switch, leaving, deleting, files.
NOT_FOLLOWED = re.compile(r"lang=|/logout|/delete|\.(docx|pdf|xlsx|zip|csv|ics)\b|/export/|download"
                          r"|/static/")
PAGES_PER_SCREEN = 2


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The demo's five cities (SQLite: the language does not depend on the database)."""
    yield from demo_app_of("sqlite", tmp_path_factory, "english")


def stored_japanese(app: Any) -> list[str]:
    """Every Japanese text stored in the database, longest first, and each of its lines."""
    texts: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, str):
            if JAPANESE.search(value):
                texts.add(value)
                texts.update(line.strip() for line in value.splitlines() if line.strip())
        elif isinstance(value, dict):
            for key, item in value.items():
                add(key)
                add(item)
        elif isinstance(value, list | tuple):
            for item in value:
                add(item)

    with app.app_context(), all_cities():  # the test reads every city's records
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                for value in row:
                    add(value)
    return sorted(texts, key=len, reverse=True)


@pytest.fixture(scope="module")
def stored_texts(demo: Any) -> list[str]:
    return stored_japanese(demo)


def japanese_shown(html: str, stored: list[str]) -> list[str]:
    """The Japanese a reader of the page meets outside stored texts and lang="ja" parts."""
    document = lxml.html.fromstring(html)
    for element in document.xpath('//script|//style|//template|//*[@lang="ja"]'):
        element.drop_tree()
    texts = list(document.itertext())
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        texts.extend(element.get(name) for name in SHOWN_ATTRIBUTES if element.get(name))
        if element.tag == "input" and element.get("type") in ("submit", "button"):
            texts.append(element.get("value") or "")
        if element.tag == "title":
            texts.append(element.text or "")
    text = "\n".join(texts)
    for stored_text in stored:
        if stored_text in text:
            text = text.replace(stored_text, "\n")
    return JAPANESE.findall(text)


def screen_of(url: str) -> str:
    """A screen, whatever record it shows: /admin/proposal/details/?id=N."""
    parts = urlsplit(url)
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(re.sub(r"\d+", "N", k) for k in keys)


def crawl(client: Any, start: str, stored: list[str]) -> dict[str, list[str]]:
    """Follow every link under /admin from ``start``; Japanese found, by page."""
    found: dict[str, list[str]] = {}
    seen_screens: dict[str, int] = defaultdict(int)
    queue, queued = [start], {start}
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        assert '<html lang="en"' in html, url
        if shown := japanese_shown(html, stored):
            found[url] = shown
        for href in lxml.html.fromstring(html).xpath("//a/@href"):
            link = urljoin(url, href)
            parts = urlsplit(link)
            if (parts.netloc not in ("", "localhost") or not parts.path.startswith("/admin")
                    or NOT_FOLLOWED.search(link)):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            screen = screen_of(link)
            if link in queued or seen_screens[screen] >= PAGES_PER_SCREEN:
                continue
            seen_screens[screen] += 1
            queued.add(link)
            queue.append(link)
    return found


def described(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{url}: {' / '.join(dict.fromkeys(runs))}" for url, runs in found.items())


def english_client(demo: Any, username: str | None = None) -> Any:
    client = demo.test_client()
    if username:
        assert login(client, username, DEMO_PASSWORD).status_code == 302
    client.get("/admin/?lang=en" if username else "/login?lang=en")
    return client


@pytest.mark.parametrize("username", ["admin", "kamakura-admin", "kamakura-staff",
                                      "kamakura-council", "kunitachi-admin"])
def test_every_screen_a_user_reaches_is_in_english(demo, stored_texts, username):
    client = english_client(demo, username)
    found = crawl(client, "/admin/", stored_texts)
    assert not found, described(found)


@pytest.mark.parametrize("username", ["kamakura-admin", "kamakura-staff"])
def test_every_create_form_says_its_errors_in_english(demo, stored_texts, username):
    client = english_client(demo, username)
    html = client.get("/admin/").get_data(as_text=True)
    forms = sorted({urlsplit(urljoin("/admin/", href)).path
                    for href in lxml.html.fromstring(html).xpath("//a/@href")})
    found = {}
    for listing in [path for path in forms if path.startswith("/admin/")]:
        page = client.get(f"{listing}new/")
        if page.status_code != 200:
            continue
        response = client.post(f"{listing}new/", data={
            "csrf_token": csrf_from(page.get_data(as_text=True))})
        if shown := japanese_shown(response.get_data(as_text=True), stored_texts):
            found[listing] = shown
    assert not found, described(found)


PUBLIC = ["/entrance/{slug}/", "/entrance/{slug}/status", "/disclosure/{slug}/",
          "/entrance/{slug}/status/not-a-token", "/entrance/{slug}/no-such-page"]


@pytest.mark.parametrize("slug", ["kamakura", "saitama", "hachioji", "koganei", "kunitachi"])
def test_the_public_pages_are_in_english(demo, stored_texts, slug):
    client = english_client(demo)
    found = {}
    for path in [p.format(slug=slug) for p in PUBLIC] + ["/login"]:
        html = client.get(path).get_data(as_text=True)
        assert '<html lang="en"' in html, path
        if shown := japanese_shown(html, stored_texts):
            found[path] = shown
    for path in ("/entrance/{slug}/", "/entrance/{slug}/status", "/login"):
        path = path.format(slug=slug)
        token = csrf_from(client.get(path).get_data(as_text=True))
        response = client.post(path, data={"csrf_token": token, "email": "not an address"})
        assert response.status_code in (200, 400), path
        if shown := japanese_shown(response.get_data(as_text=True), stored_texts):
            found[f"POST {path}"] = shown
    assert not found, described(found)


def test_documents_and_the_ledger_print_in_japanese_when_english_is_chosen(demo):
    """A clerk reading English issues the city's documents as the city prints them: the
    Word file's dates in 和暦, its title (the record's name) and the ledger in Japanese —
    nothing of the screen's language leaks into what is printed."""
    from urllib.parse import unquote

    from .test_demo_documents import docx_text

    client = english_client(demo, "kamakura-staff")
    listing = client.get("/admin/completion_report/").get_data(as_text=True)
    assert "Completion reports" in listing
    report_id = re.search(r"/admin/completion_report/details/\?id=(\d+)", listing).group(1)
    response = client.post(f"/admin/completion_report/document/completion_report/{report_id}",
                           data={"csrf_token": csrf_from(listing)})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    filename = unquote(response.headers["Content-Disposition"].split("filename*=UTF-8''")[1])
    assert filename.startswith("事業報告書_") and "事業報告書（20" in filename, filename
    assert "completion report" not in filename
    text, _items = docx_text(response.data)
    assert "令和" in text and not re.search(r"\bFY20\d\d\b|\b\d{1,2} [A-Z][a-z]{2} 20\d\d\b", text)
    ledger = client.get("/admin/ledger?format=docx")
    assert ledger.status_code == 200 and "令和" in docx_text(ledger.data)[0]


def test_the_status_page_of_each_stage_is_in_english(demo, stored_texts, monkeypatch):
    """The proposer's status page (受付済, 検討中, 結果のお知らせ済) in English."""
    from kyodo_admin.models import City, Proposal
    from kyodo_admin.services import proposer_status
    from kyodo_admin.services.proposer_status import new_token

    monkeypatch.setattr(proposer_status, "LINK_DAYS", 100_000)  # the demo decided long ago

    stages = {"submitted": "Received", "step1_review": "Under consideration",
              "adopted": "Result sent"}
    tokens = {}
    with demo.app_context(), all_cities():  # the test picks a proposal of each stage
        kamakura = db.session.execute(sa.select(City).where(City.slug == "kamakura")).scalar_one()
        for status in stages:
            proposal = db.session.execute(sa.select(Proposal).where(
                Proposal.city_id == kamakura.id, Proposal.status == status).limit(1)).scalar_one()
            tokens[status] = new_token(proposal)
        db.session.commit()
    client = english_client(demo)
    for status, stage in stages.items():
        html = client.get(f"/entrance/kamakura/status/{tokens[status]}").get_data(as_text=True)
        assert f'<strong id="stage">{stage}</strong>' in html, status
        assert not japanese_shown(html, stored_texts), (status, japanese_shown(html, stored_texts))
