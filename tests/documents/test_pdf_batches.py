"""Bulk PDF: a short selection at once, a long one as a batch; the archive keeps Word files."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import GeneratedDocument
from kyodo_admin.tenancy import scoped_to

from ..conftest import csrf_from
from .conftest import ORG_NAME, archived, make_agreement
from .test_batch import small_sync_limit, wait  # noqa: F401 - a fixture
from .test_pdf import needs_libreoffice, pdf_text_and_fonts


def issue_pdfs(client, ids):
    token = csrf_from(client.get("/admin/agreement/").get_data(as_text=True))
    return client.post("/admin/agreement/action/", data={
        "csrf_token": token, "action": "issue_pdfs", "rowid": [str(i) for i in ids]})


def pdfs_in(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_even_a_short_selection_of_pdfs_is_made_by_a_worker(client, kamakura, staff):
    """PDFs take LibreOffice seconds: however few, a worker makes them (the queue runs at once
    in the tests) and the ZIP downloads from the progress page."""
    needs_libreoffice()
    ids = [make_agreement(kamakura).id for _ in range(2)]
    page_url = issue_pdfs(client, ids).headers["Location"]
    assert "PDFの一括作成（協定書、2件）" in client.get(page_url).get_data(as_text=True)
    response = client.get(page_url + "/zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "_PDF.zip" in response.headers["Content-Disposition"]
    files = pdfs_in(response.data)
    assert len(files) == 2 and all(n.endswith(".pdf") for n in files)
    assert all(ORG_NAME.replace(" ", "") in pdf_text_and_fonts(d)[0] for d in files.values())
    with scoped_to(kamakura.id):
        names = db.session.execute(select(GeneratedDocument.filename)).scalars().all()
    assert len(names) == 2 and all(n.endswith(".docx") for n in names)  # Word is archived


def test_a_long_selection_makes_pdfs_in_the_background(client, kamakura, staff,
                                                       small_sync_limit):  # noqa: F811
    needs_libreoffice()
    ids = [make_agreement(kamakura).id for _ in range(3)]
    page_url = issue_pdfs(client, ids).headers["Location"]
    assert "PDFの一括作成（協定書、3件）" in client.get(page_url).get_data(as_text=True)
    assert wait(client, page_url + "/status")["status"] == "done"
    download = client.get(page_url + "/zip")
    assert download.status_code == 200 and "_PDF.zip" in download.headers["Content-Disposition"]
    files = pdfs_in(download.data)
    assert len(files) == 3 and all(d.startswith(b"%PDF") for d in files.values())
    assert archived() == 3
