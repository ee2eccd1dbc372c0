"""Every background job with three cities having work at the same moment, each run in the
scope production runs it in (a city's request, a queued task naming its city): a document
batch, an Excel import, the ledger, the cached home figures and disclosure pages. Each row
lands under its own record's city, each file and page holds its city's records only."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from kyodo_admin import tenancy
from kyodo_admin.extensions import db
from kyodo_admin.models import (
    Agreement,
    AuditEvent,
    City,
    DocumentBatch,
    GeneratedDocument,
    Meeting,
    Organization,
    Project,
)

from ..conftest import csrf_from, demo_app_of, form_values, login

CITIES = ("kamakura", "saitama", "hachioji")


@pytest.fixture(scope="module")
def seed(backend, tmp_path_factory):
    """The seed cities' demo data; every bulk issue is a batch for the queue."""
    yield from demo_app_of(backend, tmp_path_factory, "jobs", KYODO_BATCH_SYNC_LIMIT=0)


def at_once(work: Callable[[str], Any]) -> dict[str, Any]:
    """``work(slug)`` for each city, all started together (threads released at one barrier)."""
    barrier = threading.Barrier(len(CITIES))
    results: dict[str, Any] = {}
    failures: list[BaseException] = []

    def run(slug: str) -> None:
        try:
            barrier.wait(30)
            results[slug] = work(slug)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(slug,)) for slug in CITIES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    return results


def staff_client(app, slug: str):
    client = app.test_client()
    login(client, f"{slug}-staff", "kyodo-demo")
    return client


def city_ids(app) -> dict[str, int]:
    with app.app_context():
        return {c.slug: c.id for c in db.session.execute(select(City)).scalars()}


def every_city(app, stmt) -> list[Any]:
    """Rows of every city, read by the test (which inspects them all at once)."""
    with app.app_context(), tenancy.all_cities():
        rows = list(db.session.execute(stmt).scalars())
        db.session.expunge_all()
        return rows


def test_three_cities_batches_at_once_archive_each_document_under_its_city(seed):
    cities = city_ids(seed)
    agreements = {slug: [a.id for a in every_city(seed, select(Agreement).where(
        Agreement.city_id == cities[slug]))] for slug in CITIES}
    assert all(agreements.values())

    def issue(slug: str) -> int:
        client = staff_client(seed, slug)
        token = csrf_from(client.get("/admin/agreement/").get_data(as_text=True))
        response = client.post("/admin/agreement/action/", data={
            "csrf_token": token, "action": "issue_documents", "url": "/admin/agreement/",
            "rowid": [str(i) for i in agreements[slug]]})
        assert response.status_code == 302 and "/batch/" in response.headers["Location"]
        return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    batches = at_once(issue)
    by_id = {b.id: b for b in every_city(seed, select(DocumentBatch))}
    documents = every_city(seed, select(GeneratedDocument).where(
        GeneratedDocument.record_type == "agreement"))
    owner = {a.id: a.city_id for a in every_city(seed, select(Agreement))}
    for slug, batch_id in batches.items():
        batch = by_id[batch_id]
        assert batch.status == "done" and batch.city_id == cities[slug]
        made = [d for d in documents if d.id in batch.document_ids]
        assert sorted(d.record_id for d in made) == sorted(agreements[slug])
        assert {d.city_id for d in made} == {cities[slug]}
    assert all(d.city_id == owner[d.record_id] for d in documents)


def through_work(client, response) -> Any:
    """Follow a POST that handed work to the queue: its page, then where it leads."""
    assert response.status_code == 302 and "/admin/work/" in response.headers["Location"], \
        response.get_data(as_text=True)
    return client.get(response.headers["Location"], follow_redirects=True)


def test_three_cities_import_at_once_each_row_and_event_under_its_city(seed):
    """Each city's clerk imports a ledger by the screens at the same moment: the file read
    and the rows imported by the queue's task, each in the city of the clerk's upload."""
    cities = city_ids(seed)

    def import_organizations(slug: str) -> str:
        text = f"団体名,団体の種別,代表者\n{slug}の取込団体1,NPO法人,山田 花子\n" \
               f"{slug}の取込団体2,任意団体,佐藤 一郎\n"
        client = staff_client(seed, slug)
        token = csrf_from(client.get("/admin/import/").get_data(as_text=True))
        read = through_work(client, client.post("/admin/import/", data={
            "csrf_token": token, "kind": "organization",
            "file": (io.BytesIO(text.encode("cp932")), "団体.csv")},
            content_type="multipart/form-data"))
        values = form_values(read.get_data(as_text=True))
        values["action"] = "import"
        done = through_work(client, client.post(read.request.path, data=values))
        return re.findall(r"\d+件の団体を取り込みました", done.get_data(as_text=True))[0]

    assert at_once(import_organizations) == dict.fromkeys(CITIES, "2件の団体を取り込みました")
    imported = every_city(seed, select(Organization).where(Organization.name.like("%の取込団体%")))
    assert sorted((o.name, o.city_id) for o in imported) == sorted(
        (f"{slug}の取込団体{i}", cities[slug]) for slug in CITIES for i in (1, 2))
    events = every_city(seed, select(AuditEvent).where(AuditEvent.action == "import"))
    city_of = {str(o.id): o.city_id for o in imported}
    assert len(events) == 6 and all(e.city_id == city_of[e.record_id] for e in events)
    by_actor = {(e.actor, e.city_id) for e in events}
    assert by_actor == {(f"{slug}-staff", cities[slug]) for slug in CITIES}, by_actor


def test_three_cities_upload_templates_at_once_each_under_its_city(seed):
    """Each city's admin uploads a Word template at the same moment: checked, test-rendered
    and registered by the queue's task as the next revision of that city's own."""
    from kyodo_admin.models import DocumentTemplate
    from tests.documents.bad_templates import clean_template

    cities = city_ids(seed)
    before = {t.id for t in every_city(seed, select(DocumentTemplate))}

    def upload(slug: str) -> str:
        client = seed.test_client()
        login(client, f"{slug}-admin", "kyodo-demo")
        token = csrf_from(client.get("/admin/document_template/new/").get_data(as_text=True))
        data = clean_template(f"{slug}の協定書 {{{{ organization.name }}}}")
        done = through_work(client, client.post("/admin/document_template/new/", data={
            "csrf_token": token, "kind": "agreement", "note": f"{slug}の新様式",
            "upload": (io.BytesIO(data), "協定書.docx")}, content_type="multipart/form-data"))
        return re.findall(r"第\d+版として登録しました", done.get_data(as_text=True))[0]

    assert set(at_once(upload).values()) == {"第2版として登録しました"}
    added = [t for t in every_city(seed, select(DocumentTemplate)) if t.id not in before]
    assert sorted((t.note, t.city_id, t.revision) for t in added) == sorted(
        (f"{slug}の新様式", cities[slug], 2) for slug in CITIES)


def test_three_cities_ledgers_at_once_list_their_own_projects(seed):
    cities = city_ids(seed)
    projects = every_city(seed, select(Project))

    def ledger(slug: str) -> set[str]:
        response = staff_client(seed, slug).get("/admin/ledger?year=2026")
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
        return {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell}

    printed = at_once(ledger)
    for slug in CITIES:
        own = {p.title for p in projects if p.city_id == cities[slug] and p.fiscal_year == 2026}
        others = {p.title for p in projects if p.city_id != cities[slug]} - own
        assert own and own <= printed[slug]
        assert not others & printed[slug]


def test_three_cities_home_and_disclosure_keep_their_own_cached_figures(seed):
    cities = city_ids(seed)
    clients = {slug: staff_client(seed, slug) for slug in CITIES}

    def pages(slug: str) -> tuple[str, str]:
        """The two pages as shown (without each response's own CSRF token and nonce)."""
        home = clients[slug].get("/admin/").get_data(as_text=True)
        public = seed.test_client().get(f"/disclosure/{slug}/").get_data(as_text=True)
        return tuple(re.sub(r'(nonce|value)="[^"]*"', "", page) for page in (home, public))

    first = at_once(pages)
    again = at_once(pages)  # from each process's cache now
    assert first == again
    names = {"kamakura": "鎌倉市", "saitama": "埼玉県", "hachioji": "八王子市"}
    for slug in CITIES:
        home, public = first[slug]
        assert names[slug] in home and names[slug] in public
        assert not any(names[o] in home for o in CITIES if o != slug)

    # Kamakura renames its next meeting: its home shows it at once, the others' are unchanged
    meeting = every_city(seed, select(Meeting).where(
        Meeting.city_id == cities["kamakura"], Meeting.title == "令和8年度 第3回会議"))[0]
    edit = f"/admin/meeting/edit/?id={meeting.id}"
    values = form_values(clients["kamakura"].get(edit).get_data(as_text=True))
    values["title"] = "令和8年度 第3回会議（鎌倉・会場変更）"
    assert clients["kamakura"].post(edit, data=values).status_code == 302
    after = at_once(pages)
    assert "第3回会議（鎌倉・会場変更）" in after["kamakura"][0]
    for slug in ("saitama", "hachioji"):
        assert after[slug] == first[slug]
