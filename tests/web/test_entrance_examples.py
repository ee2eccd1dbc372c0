"""記入例: each item's example answer opened beside it at the entrance, and the 提案様式
（記入例） of each seed city — its own basic sheet filled with the examples — in Word and PDF."""

from __future__ import annotations

import copy
import io

import pytest
from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import City, FormDefinition
from kyodo_admin.services.documents import SHIPPED, install_shipped_templates
from kyodo_admin.services.form_definitions import import_files
from kyodo_admin.tenancy import scoped_to

from ..documents.test_pdf import needs_libreoffice, pdf_text_and_fonts
from ..factories import CityFactory
from ..test_demo_documents import docx_text

SLUGS = ["kamakura", "saitama", "hachioji", "koganei", "kunitachi"]
PURPOSE = "子育て中の親子が地域で孤立しないよう、気軽に集える居場所をつくる。"


def seed_city(slug: str) -> City:
    """A city as `kyodo cities add --from-seed` makes it: its forms and Word formats."""
    city = CityFactory(slug=slug, name=f"{slug}市")
    with scoped_to(city.id):
        install_shipped_templates(db.session, city)
        import_files(db.session, sorted((SHIPPED.parent / "forms" / slug).glob("*.yaml")))
        db.session.commit()
    return city


@pytest.mark.parametrize("slug", SLUGS)
def test_each_seed_citys_entrance_shows_its_examples_and_the_example_sheet(client, slug):
    seed_city(slug)
    page = client.get(f"/entrance/{slug}/").get_data(as_text=True)
    purpose = page.split('id="answers__purpose-example"')[1].split("</details>")[0]
    assert "<summary>記入例を見る" in purpose and PURPOSE in purpose
    budget = page.split('id="answers__budget_scale-example"')[1].split("</details>")[0]
    assert "500,000円" in budget
    assert 'id="answers__schedule-example"' not in page  # a table has none

    response = client.get(f"/entrance/{slug}/example.docx")
    assert response.status_code == 200
    assert "%EF%BC%88%E8%A8%98%E5%85%A5%E4%BE%8B%EF%BC%89.docx" in \
        response.headers["Content-Disposition"]  # 「（記入例）.docx」
    text, items = docx_text(response.data)
    for written in (PURPOSE, "市内に住む0〜3歳の子どもとその保護者", "500,000円", "令和9年4月",
                    "山田 花子"):
        assert written in text, (slug, written)
    import docx

    assert docx.Document(io.BytesIO(response.data)).core_properties.title.endswith("（記入例）")
    assert "（記入例）" in text.split("\n山田 花子")[0]  # its heading says so


def test_the_example_sheet_as_pdf_and_what_is_not_there(client):
    seed_city("kamakura")
    needs_libreoffice()
    response = client.get("/entrance/kamakura/example.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, _fonts = pdf_text_and_fonts(response.data)
    assert PURPOSE.replace("、", "") in text.replace("\n", "").replace("、", "")
    assert client.get("/entrance/kamakura/example.xlsx").status_code == 404
    assert client.get("/entrance/nowhere/example.docx").status_code == 404


def test_a_city_without_examples_offers_no_example_sheet(client):
    city = seed_city("kamakura")
    with scoped_to(city.id):
        for definition in db.session.execute(select(FormDefinition)).scalars():
            schema = copy.deepcopy(definition.schema)
            for section in schema["sections"]:
                for field in section["fields"]:
                    field.pop("example", None)
            definition.schema = schema
        db.session.commit()
    page = client.get("/entrance/kamakura/").get_data(as_text=True)
    assert "記入例を見る" not in page and 'id="example-sheet"' not in page


def test_without_a_pdf_the_example_sheet_is_the_word_file(client, monkeypatch):
    from kyodo_admin.documents import pdf

    seed_city("kamakura")

    def unavailable(_docx):
        raise pdf.PdfUnavailable("LibreOffice がありません")

    monkeypatch.setattr(pdf, "to_pdf", unavailable)
    response = client.get("/entrance/kamakura/example.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("example.docx")
