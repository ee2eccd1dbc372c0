"""Writing templates alone: which answers a template prints (coverage), the warnings at
upload, and the starter template from the command line."""

from __future__ import annotations

import io

import docx
from sqlalchemy import func, select

from kyodo_admin.documents.coverage import coverage
from kyodo_admin.extensions import db
from kyodo_admin.models.document import DocumentTemplate
from kyodo_admin.tenancy import scoped_to

from ..conftest import flashes
from .bad_templates import clean_template
from .test_upload import city_admin, upload  # noqa: F401 - the fixture

SCHEMA = {"sections": [{"title": "内容", "fields": [
    {"name": "目的", "label": "目的", "type": "textarea", "required": True},
    {"name": "金額", "label": "予算規模", "type": "money", "fills": "budget_amount"},
    {"name": "必要", "label": "予算措置", "type": "radio", "choices": ["必要", "不要"],
     "fills": {"column": "needs_budget", "equals": "必要"}},
    {"name": "内訳", "label": "内訳", "type": "table",
     "columns": [{"name": "費目", "label": "費目", "type": "text"}]},
    {"name": "備考", "label": "備考", "type": "text"},
]}]}


def labels(fields) -> list[str]:
    return [f["label"] for f in fields]


def test_coverage_reads_every_way_a_template_names_an_answer():
    data = clean_template("{{ answers['目的'] }}", "{{ proposal.budget_amount|yen }}",
                          "{% for row in answers.内訳 %}{{ row.費目 }}{% endfor %}")
    result = coverage(data, SCHEMA)
    # a fills field is printed through its column; the others are left out
    assert labels(result.used) == ["目的", "予算規模", "内訳"]
    assert labels(result.unused) == ["予算措置", "備考"]
    assert not result.complete
    complete = clean_template("{{ answers.目的 }}{{ answers.金額 }}{{ proposal.needs_budget }}",
                              "{{ answers.内訳 }}{{ answers.備考 }}")
    assert coverage(complete, SCHEMA).complete


def test_a_template_leaving_out_a_required_answer_is_registered_with_a_warning(
        client, kamakura, city_admin):  # noqa: F811
    with scoped_to(kamakura.id):
        before = db.session.execute(select(func.count()).select_from(DocumentTemplate)).scalar_one()
    response = upload(client, clean_template("{{ organization.name }} 様"))
    messages = flashes(response.get_data(as_text=True))
    assert any("第2版として登録しました" in m for m in messages), messages
    warning = next(m for m in messages if "印字しません" in m)
    assert "「成果物の権利の帰属」" in warning and "{{ answers.intellectual_property }}" in warning
    with scoped_to(kamakura.id):
        after = db.session.execute(select(func.count()).select_from(DocumentTemplate)).scalar_one()
    assert after == before + 1


def test_the_templates_page_lists_the_unprinted_answers_and_offers_the_starter(client, city_admin):  # noqa: F811
    html = client.get("/admin/document_template/").get_data(as_text=True)
    assert 'id="template-coverage"' in html and "すべて印字" in html
    response = client.get("/admin/document_template/starter/agreement")
    assert response.status_code == 200
    cells = [c.text for t in docx.Document(io.BytesIO(response.data)).tables
             for row in t.rows for c in row.cells]
    assert "{{ answers.intellectual_property }}" in cells
    assert client.get("/admin/document_template/starter/nothing").status_code == 404


def test_the_starter_from_the_command_line(app, kamakura, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "協定書.docx"
    result = runner.invoke(args=["kyodo", "templates", "starter", "--city", "kamakura",
                                 "--kind", "agreement", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "鎌倉市の協定書のひな形を書き出しました" in result.output
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "{{ agreement.title }}" in text and "第十条" in text
    check = runner.invoke(args=["kyodo", "templates", "check", str(out), "--kind", "agreement",
                                "--city", "kamakura"])
    assert check.exit_code == 0 and "問題はありません" in check.output
    for args, message in ((["--city", "kamakura", "--kind", "letter"], "文書の種類は"),
                          (["--city", "nowhere", "--kind", "agreement"], "自治体「nowhere」が見つかりません")):
        bad = runner.invoke(args=["kyodo", "templates", "starter", *args, "-o", str(tmp_path / "x.docx")])
        assert bad.exit_code != 0 and message in bad.output
        assert not (tmp_path / "x.docx").exists()


def test_a_starter_for_a_kind_without_a_form_has_no_form_items():
    from kyodo_admin.documents.starter import starter

    document = docx.Document(io.BytesIO(starter("review_result_notice", None)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "協働事業提案の検討結果について（通知）" in text and "answers." not in text
