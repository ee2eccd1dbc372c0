"""The shipped templates printed to PDF (LibreOffice) for the demo records: a form, not a
list of labels — no 「：」 with nothing after it, every item with its content."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from kyodo_admin import tenancy
from kyodo_admin.documents import pdf
from kyodo_admin.documents.context import BUILDERS, printable
from kyodo_admin.extensions import db
from kyodo_admin.models import City
from kyodo_admin.services.documents import render_document

from .test_pdf import needs_libreoffice, pdf_text_and_fonts

EMPTY_AFTER_COLON = re.compile(r"[：:]\s*$", re.MULTILINE)


def test_the_demo_documents_of_kamakura_print_no_empty_label(demo_app):
    needs_libreoffice()
    with demo_app.app_context(), tenancy.all_cities():
        city = db.session.execute(select(City).where(City.slug == "kamakura")).scalar_one()
        for kind, (model, _builder) in BUILDERS.items():
            records = db.session.execute(select(model).where(model.city_id == city.id, *printable(kind))
                                         .order_by(model.id)).scalars().all()
            for record in records[:3]:
                text, fonts = pdf_text_and_fonts(pdf.to_pdf(render_document(
                    db.session, kind, record).data))
                assert not EMPTY_AFTER_COLON.search(text), (kind, record.id, text)
                assert "{{" not in text and "{%" not in text
                assert any("Mincho" in f for f in fonts), fonts


def test_the_ledger_prints_as_a_pdf_table(demo_app):
    from kyodo_admin.documents.wareki import wareki, yen
    from kyodo_admin.services.ledger import ledger_document, ledger_rows, ledger_values

    needs_libreoffice()
    with demo_app.app_context(), tenancy.all_cities():
        city = db.session.execute(select(City).where(City.slug == "kamakura")).scalar_one()
        with tenancy.scoped_to(city.id):
            text, _fonts = pdf_text_and_fonts(pdf.to_pdf(ledger_document(db.session, city.name, 2025)))
            rows = [ledger_values(row) for row in ledger_rows(db.session, 2025)]
    assert "鎌倉市協働事業一覧（令和7年度）" in text
    flat = text.replace("\n", "")  # a name may wrap in its cell
    assert "子育て支援情報発信事業" in flat and "合計" in text and "1,000,000円" in text
    # no date and no amount is broken over two lines (令和7年4 / 月1日)
    dates = {wareki(v) for row in rows for v in row if isinstance(v, dt.date)}
    amounts = {yen(row[i]) for row in rows for i in (8, 9) if isinstance(row[i], int)}
    assert dates and amounts
    lines = set(text.splitlines())
    for whole in dates | amounts:
        assert any(whole in line for line in lines), (whole, text)
