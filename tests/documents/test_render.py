"""The renderer: sandbox, escaping, limits, clear errors for missing data."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest

from kyodo_admin.documents.limits import render_limited
from kyodo_admin.documents.render import RenderError, render

CONTEXT = {"organization": {"name": "NPO法人 A&B <みなと> \"海\""}, "city": {"name": "鎌倉市"},
           "today": dt.date(2019, 5, 1), "amount": 1234567,
           "rows": [{"item": "印刷費", "amount": 1000}, {"item": "会場費", "amount": 2000}]}


def template(body: list[str], header: str = "", title: str = "") -> bytes:
    document = docx.Document()
    for text in body:
        document.add_paragraph(text)
    if header:
        document.sections[0].header.paragraphs[0].text = header
    if title:
        document.core_properties.title = title
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def reopen(data: bytes) -> docx.Document:
    return docx.Document(io.BytesIO(data))


def test_values_filters_and_escaping():
    data = template(["{{ organization.name }}", "{{ today|wareki }} {{ amount|yen }}"],
                    header="{{ organization.name }} 様式", title="{{ organization.name }}")
    out = reopen(render(data, CONTEXT))
    assert [p.text for p in out.paragraphs] == ["NPO法人 A&B <みなと> \"海\"", "令和元年5月1日 1,234,567円"]
    assert out.sections[0].header.paragraphs[0].text == "NPO法人 A&B <みなと> \"海\" 様式"
    assert out.core_properties.title == "NPO法人 A&B <みなと> \"海\""


HOSTILE = "{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}"


@pytest.mark.parametrize("where", ["body", "header", "title"])
def test_hostile_template_executes_nothing(tmp_path, where):
    marker = tmp_path / "pwned"
    payload = HOSTILE % marker
    data = template([payload] if where == "body" else ["x"],
                    header=payload if where == "header" else "",
                    title=payload if where == "title" else "")
    with pytest.raises(RenderError, match="許可されていない処理"):
        render(data, CONTEXT)
    assert not marker.exists()


def test_big_strings_are_refused():
    with pytest.raises(RenderError, match="文書が大きくなりすぎる"):
        render(template(["{{ 'a' * 10**8 }}"]), CONTEXT)
    with pytest.raises(RenderError):
        render(template(["{{ 10 ** 100000 }}"]), CONTEXT)


def test_a_slow_template_is_stopped_by_the_time_limit():
    slow = template(["{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"])
    with pytest.raises(RenderError, match="秒を超えたため中止しました"):
        render_limited(slow, CONTEXT, timeout=2)
    # the worker is replaced and renders again
    assert reopen(render_limited(template(["{{ city.name }}"]), CONTEXT)).paragraphs[0].text == "鎌倉市"


def test_missing_data_names_the_placeholder():
    with pytest.raises(RenderError, match="差込項目「organization.representative」"):
        render(template(["{{ organization.representative }}"]), CONTEXT)
    with pytest.raises(RenderError, match="差込項目「agreement」"):
        render(template(["{{ agreement.title }}"]), CONTEXT)


def test_syntax_error_names_the_paragraph():
    with pytest.raises(RenderError, match="（本文）。「{{ city.name」の段落で{{ }} や {% %} が閉じていません"):
        render(template(["前文", "{{ city.name "]), CONTEXT)


def test_row_loops_and_line_breaks():
    document = docx.Document()
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "{%tr for row in rows %}"
    table.cell(1, 0).text = "{{ row.item }}"
    table.cell(1, 1).text = "{{ row.amount|yen }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    document.add_paragraph("{{ note }}")
    buffer = io.BytesIO()
    document.save(buffer)
    out = reopen(render(buffer.getvalue(), {**CONTEXT, "note": "一行目\n二行目"}))
    assert [[c.text for c in row.cells] for row in out.tables[0].rows] == [
        ["印刷費", "1,000円"], ["会場費", "2,000円"]]
    assert out.paragraphs[-1].text == "一行目\n二行目"


def test_shipped_templates_are_reproducible(tmp_path):
    import hashlib
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted((root / "doc_templates").glob("*/*.docx"))}
    assert len(before) == 35  # five cities, seven kinds
    subprocess.run([sys.executable, str(root / "doc_templates" / "build.py")], check=True,
                   capture_output=True)
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before}
    assert after == before


@pytest.mark.parametrize("body", [
    "{{ organization.name|center(30000000) }}",
    "{{ organization.name|indent(50000000) }}",
    "{{ '%99999999s'|format(organization.name) }}",
    "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",  # 100 MB from small steps
])
def test_a_template_that_would_make_a_huge_document_is_stopped(body):
    with pytest.raises(RenderError, match="文書が大きくなりすぎる"):
        render(template([body]), CONTEXT)


def test_ordinary_widths_still_work():
    out = reopen(render(template(["[{{ city.name|center(9) }}]", "{{ '%05d'|format(42) }}"]),
                        CONTEXT))
    text = "\n".join(p.text for p in out.paragraphs)
    assert "[   鎌倉市   ]" in text and "00042" in text
