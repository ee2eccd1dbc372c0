"""Every demo record prints as a filed form: the starter template of every kind and seed
city passes the checks and prints every answer of every demo record."""

from __future__ import annotations

import io

import docx
import pytest
from sqlalchemy import select

from kyodo_admin import tenancy
from kyodo_admin.documents.context import BUILDERS, build_context, printable
from kyodo_admin.documents.render import render
from kyodo_admin.documents.starter import FORM_OF
from kyodo_admin.extensions import db
from kyodo_admin.formschema.definition import fields_of
from kyodo_admin.formschema.types import REGISTRY
from kyodo_admin.models import City
from kyodo_admin.services.documents import active_template, check_upload, starter_template

SLUGS = ["kamakura", "saitama", "hachioji", "koganei", "kunitachi"]
KINDS_WITH_FORMS = [kind for kind, form in FORM_OF.items() if form]


def docx_text(data: bytes) -> tuple[str, list[list[str]]]:
    """All the text of a document, and the rows of its 項目｜内容 tables (two columns)."""
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    items = []
    for table in document.tables:
        for row in table.rows:
            cells = [c.text for c in row.cells]
            texts.extend(cells)
            if len(cells) == 2:
                items.append(cells)
    return "\n".join(texts), items


def printed_answers(record) -> list[tuple[str, str]]:
    """(label, text) of every answer the record holds, as a document prints it."""
    found = []
    for field in fields_of(record.form_definition.schema):
        value = (record.answers or {}).get(field["name"])
        if value in (None, "", []) or REGISTRY[field["type"]].stores_upload:
            continue
        word = REGISTRY[field["type"]].word_value(value, field)
        if field["type"] == "table":
            found += [(field["label"], str(cell)) for row in word for cell in row.values()
                      if str(cell)]
        else:
            found.append((field["label"], str(word)))
    return found


@pytest.mark.parametrize("slug", SLUGS)
def test_the_starter_of_every_kind_prints_every_answer_of_every_demo_record(demo_app, slug):
    with demo_app.app_context(), tenancy.all_cities():
        city = db.session.execute(select(City).where(City.slug == slug)).scalar_one()
        for kind in KINDS_WITH_FORMS:
            data, filename = starter_template(db.session, city.id, kind)
            assert filename.startswith("ひな形_") and filename.endswith(".docx")
            assert check_upload(db.session, data, kind, city.id) == [], (slug, kind)
            model = BUILDERS[kind][0]
            records = db.session.execute(select(model).where(model.city_id == city.id, *printable(kind))).scalars().all()
            assert records, (slug, kind)
            for record in records:
                text, _items = docx_text(render(data, build_context(kind, record)))
                for label, value in printed_answers(record):
                    assert value in text, (slug, kind, record.id, label, value)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_demo_record_answers_its_whole_form(demo_app, slug):
    """No demo document shows an empty form: every field shown is answered."""
    from kyodo_admin.formschema.forms import is_visible

    with demo_app.app_context(), tenancy.all_cities():
        city = db.session.execute(select(City).where(City.slug == slug)).scalar_one()
        for kind in KINDS_WITH_FORMS:
            model = BUILDERS[kind][0]
            for record in db.session.execute(select(model).where(model.city_id == city.id, *printable(kind))).scalars():
                schema = record.form_definition.schema
                by_name = {f["name"]: f for f in fields_of(schema)}
                missing = [f["label"] for f in fields_of(schema)
                           if is_visible(f, record.answers, by_name) and "fills" not in f
                           and not REGISTRY[f["type"]].stores_upload
                           and record.answers.get(f["name"]) in (None, "", [])]
                assert not missing, (slug, kind, record.id, missing)
                texts = [v for v in record.answers.values() if isinstance(v, str)]
                assert not any(t.startswith("（") and t.endswith("）") for t in texts), texts


@pytest.mark.parametrize("slug", SLUGS)
def test_the_shipped_templates_print_no_empty_item_for_the_demo_records(demo_app, slug):
    """Each shipped template's 項目｜内容 rows all have content for the demo records with
    the data (an empty optional item is left out, not printed blank)."""
    with demo_app.app_context(), tenancy.all_cities():
        city = db.session.execute(select(City).where(City.slug == slug)).scalar_one()
        for kind, (model, _builder) in BUILDERS.items():
            template = active_template(db.session, city.id, kind)
            for record in db.session.execute(select(model).where(model.city_id == city.id, *printable(kind))).scalars():
                _text, items = docx_text(render(template.content, build_context(kind, record)))
                empty = [label for label, value in items if label and not value.strip()]
                assert not empty, (slug, kind, record.id, empty)
