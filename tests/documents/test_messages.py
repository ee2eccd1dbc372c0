"""The template errors a clerk makes most, each with its message in plain Japanese: where
(本文/ヘッダー/フッター and the paragraph), which placeholder, and what to do."""

from __future__ import annotations

import io

import docx
import pytest

from kyodo_admin.documents.render import RenderError, render

from .test_render import template
from .test_typed_answers import DEFINITION, STORED, answers_for

CONTEXT = {"answers": answers_for(DEFINITION, STORED), "city": {"name": "鎌倉市"},
           "project": {"title": "子育て広場"}}

#: (what the clerk wrote in a paragraph of the body, what the message must say).
ERRORS = [
    ("開始：{{ answers.開始日 >= '2026-04-01' }}",
     ["（本文「開始：{{ answers.開始日 >= '2026-04-01' }}」の段落）",
      "種類の違う値を比べています", "『answers.開始日』は日付です。|wareki で和暦になります"]),
    ("名称：{{ answers.名称|wareki }}",
     ["|wareki は日付に使うフィルターです（渡された値は文字「子育て広場」です）",
      "『answers.名称』は文字です"]),
    ("名称：{{ answers.名称|yen }}", ["|yen は金額に使うフィルターです"]),
    ("合計：{{ answers.内訳|sum(attribute='費目') }}",
     ["足したり合計したりできない値があります（文字の列を sum している、など）",
      "『answers.内訳』は表です"]),
    ("事業費：{{ answers.金額|waraki }}",
     ["「事業費：{{ answers.金額|waraki }}」の段落で『|waraki』というフィルターはありません",
      "wareki（日付→令和8年4月1日）"]),
    ("{{ answers.団体の目的 }}",
     ["差込項目「answers.団体の目的」に対応するデータがありません",
      "この文書の様式にない項目です"]),
    ("{{ projects.title }}", ["差込項目「projects」に対応するデータがありません",
                             "差込項目の一覧で名前を確認してください"]),
    ("{% for row in answers.内訳 %}{{ row.費目 }}",
     ["{% for %} に対応する {% endfor %} がありません"]),
    ("{% if answers.同意 %}同意あり", ["{% if %} に対応する {% endif %} がありません"]),
    ("{% endif %}", ["{% endif %} に対応する開始の {% %}（for や if）がありません"]),
    ("{%tr for row in answers.内訳 %}", ["{%tr %} は表の中でだけ使えます"]),
    ("{% 名称 %}", ["命令はありません"]),
    ("事業名：{{ project.title }", ["{{ }} や {% %} が閉じていません"]),
    ("{{ answers.金額 / 0 }}", ["0で割り算をしています"]),
]


@pytest.mark.parametrize("line,expected", ERRORS, ids=[e[0][:20] for e in ERRORS])
def test_each_common_error_reads_in_japanese(line, expected):
    with pytest.raises(RenderError) as caught:
        render(template(["前文", line]), CONTEXT)
    message = str(caught.value)
    for part in expected:
        assert part in message, message
    assert "Traceback" not in message and "instances of" not in message


def test_an_error_in_the_header_or_footer_says_which():
    document = docx.Document()
    document.add_paragraph("本文")
    document.sections[0].footer.paragraphs[0].text = "{{ answers.開始日 > 1 }}"
    buffer = io.BytesIO()
    document.save(buffer)
    with pytest.raises(RenderError, match="（フッター「{{ answers.開始日 > 1 }}」の段落）"):
        render(buffer.getvalue(), CONTEXT)
    with pytest.raises(RenderError, match="（ヘッダー「{{ answers.開始日 - 'x' }}」の段落）"):
        render(template(["本文"], header="{{ answers.開始日 - 'x' }}"), CONTEXT)


def test_an_unanswered_date_compared_says_to_test_it_first():
    context = {"answers": answers_for(DEFINITION, {}), "day": None}
    with pytest.raises(RenderError, match=r"『answers.開始日』はこの記録では未回答です。\{% if answers.開始日 %\}"):
        render(template(["{% if answers.開始日 > answers.開始月 %}x{% endif %}"]), context)
