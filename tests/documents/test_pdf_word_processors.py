"""A template opened and saved again in another word processor is the same template: the
shipped templates saved by LibreOffice Writer (headless, as many cities run it instead of
Office) pass the checks, name the same placeholders and print the same text. An .odt, a .doc
or an 一太郎 file is refused with how to save it as .docx.

(Named ``test_pdf_…`` for its marker: it needs LibreOffice, as the PDF tests do.)"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kyodo_admin.documents.checks import check_template
from kyodo_admin.documents.context import BUILDERS
from kyodo_admin.documents.coverage import names_in
from kyodo_admin.documents.render import render
from kyodo_admin.extensions import db
from kyodo_admin.services.documents import SHIPPED, city_example_context
from kyodo_admin.tenancy import scoped_to

from .conftest import texts
from .test_pdf import needs_libreoffice


def saved_by_libreoffice(data: bytes, tmp_path, suffix: str, filter_name: str) -> bytes:
    """``data`` opened in LibreOffice Writer and saved as ``suffix`` with ``filter_name``."""
    source = tmp_path / "template.docx"
    source.write_bytes(data)
    out = tmp_path / "saved"
    subprocess.run(
        [shutil.which("soffice") or "soffice", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--headless", "--norestore", "--convert-to", f"{suffix}:{filter_name}",
         "--outdir", str(out), str(source)],
        check=True, timeout=180, capture_output=True)
    return (out / f"template.{suffix}").read_bytes()


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_a_template_saved_again_by_libreoffice_prints_the_same(kamakura, tmp_path, kind):
    needs_libreoffice()
    original = (SHIPPED / "kamakura" / f"{kind}.docx").read_bytes()
    resaved = saved_by_libreoffice(original, tmp_path, "docx", "MS Word 2007 XML")
    assert resaved != original  # LibreOffice wrote it its own way
    assert check_template(resaved) == []
    assert names_in(resaved) == names_in(original)
    with scoped_to(kamakura.id):
        context = city_example_context(db.session, kamakura.id, kind)
    assert texts(render(resaved, context)) == texts(render(original, context))


def test_an_odt_and_an_old_word_file_are_refused_with_how_to_save_as_docx(tmp_path):
    needs_libreoffice()
    original = (SHIPPED / "kamakura" / "agreement.docx").read_bytes()
    odt = saved_by_libreoffice(original, tmp_path, "odt", "writer8")
    assert check_template(odt) == [
        "OpenDocument 形式（.odt）のファイルです。LibreOffice Writer で開き、「名前を付けて"
        "保存」でファイルの種類を「Word 2007-365 (.docx)」にして保存し直したファイルを指定"
        "してください（書式の確認を聞かれたら「Word 形式を使用」を選びます）。"]
    doc = saved_by_libreoffice(original, tmp_path, "doc", "MS Word 97")
    [problem] = check_template(doc)
    assert "Word 97-2003 形式（.doc）" in problem and "Word 文書（*.docx）" in problem
