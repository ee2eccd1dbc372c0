"""Form answers in a Word template are typed values: printed in their Japanese form, and
still dates, amounts, yes/no and rows to the filters, comparisons, ``if`` and ``sum``."""

from __future__ import annotations

import datetime as dt
import pickle
from types import SimpleNamespace

import pytest

from kyodo_admin.documents.context import answers_for
from kyodo_admin.documents.render import render

from .test_render import reopen, template

SCHEMA = {"sections": [{"title": "事業", "fields": [
    {"name": "開始日", "label": "開始日", "type": "date"},
    {"name": "開始月", "label": "開始予定時期", "type": "year_month"},
    {"name": "金額", "label": "事業費", "type": "money"},
    {"name": "人数", "label": "参加人数", "type": "integer"},
    {"name": "年度", "label": "実施年度", "type": "fiscal_year"},
    {"name": "同意", "label": "同意する", "type": "checkbox"},
    {"name": "区分", "label": "区分", "type": "select", "choices": ["新規", "継続"]},
    {"name": "支援", "label": "支援", "type": "multi_select", "choices": ["経費負担", "助言", "広報"]},
    {"name": "名称", "label": "名称", "type": "text"},
    {"name": "内訳", "label": "内訳", "type": "table", "columns": [
        {"name": "費目", "label": "費目", "type": "text"},
        {"name": "金額", "label": "金額", "type": "money"},
        {"name": "日", "label": "日", "type": "date"}]},
]}]}
DEFINITION = SimpleNamespace(schema=SCHEMA)
STORED = {"開始日": "2026-04-01", "開始月": "2026-07", "金額": 1234567, "人数": 1200, "年度": 2026,
          "同意": True, "区分": "継続", "支援": ["経費負担", "助言"], "名称": "子育て広場",
          "内訳": [{"費目": "印刷費", "金額": 1000, "日": "2026-05-01"},
                   {"費目": "会場費", "金額": 2500, "日": None}]}


def rendered(lines: list[str], stored: dict | None = None) -> list[str]:
    context = {"answers": answers_for(DEFINITION, STORED if stored is None else stored),
               "day": dt.date(2026, 1, 1)}
    return [p.text for p in reopen(render(template(lines), context)).paragraphs]


@pytest.mark.parametrize("name,printed", [
    ("開始日", "令和8年4月1日"), ("開始月", "令和8年7月"), ("金額", "1,234,567円"),
    ("人数", "1,200"), ("年度", "令和8年度"), ("同意", "はい"), ("区分", "継続"),
    ("支援", "経費負担、助言"), ("名称", "子育て広場"),
])
def test_each_answer_prints_in_its_japanese_form(name, printed):
    assert rendered([f"{{{{ answers.{name} }}}}"]) == [printed]


def test_answers_work_with_the_documented_filters():
    assert rendered(["{{ answers.開始日|wareki }}", "{{ answers.金額|yen }}",
                     "{{ answers.年度|nendo }}", "{{ answers.同意|checkbox }}"]) == [
        "令和8年4月1日", "1,234,567円", "令和8年度", "☑"]


def test_answers_compare_and_add_as_what_they_are():
    assert rendered([
        "{% if answers.開始日 >= day %}今年度以降{% endif %}",
        "{{ (answers.金額 + 1)|yen }}",
        "{% if answers.金額 > 1000000 %}100万円超{% endif %}",
        "{% if answers.区分 == '継続' %}継続事業{% endif %}",
        "{% if '助言' in answers.支援 %}助言あり{% endif %}",
    ]) == ["今年度以降", "1,234,568円", "100万円超", "継続事業", "助言あり"]


def test_table_cells_are_typed_by_their_column_and_sum():
    assert rendered([
        "{{ answers.内訳|sum(attribute='金額')|yen }}",
        "{% for row in answers.内訳 %}{{ row.費目 }} {{ row.金額 }} {{ row.日|wareki }}/{% endfor %}",
    ]) == ["3,500円", "印刷費 1,000円 令和8年5月1日/会場費 2,500円 令和　　年　　月　　日/"]


def test_an_unticked_or_unanswered_yes_no_is_false():
    lines = ["{% if answers.同意 %}同意あり{% else %}同意なし{% endif %}",
             "{{ answers.同意 }}{{ answers.同意|checkbox }}"]
    assert rendered(lines, {**STORED, "同意": False}) == ["同意なし", "いいえ☐"]
    assert rendered(lines, {}) == ["同意なし", "いいえ☐"]


def test_unanswered_fields_print_nothing_and_are_false():
    assert rendered([
        "[{{ answers.開始日 }}][{{ answers.金額 }}][{{ answers.支援 }}][{{ answers.名称 }}]",
        "{{ answers.開始日|wareki }}",
        "{% if answers.金額 or answers.支援 or answers.内訳 or answers.名称 %}x{% endif %}",
    ], {}) == ["[][][][]", "令和　　年　　月　　日", ""]


def test_typed_answers_survive_the_trip_to_the_render_worker():
    answers = answers_for(DEFINITION, STORED)
    again = pickle.loads(pickle.dumps(answers))
    assert {k: str(v) for k, v in again.items()} == {k: str(v) for k, v in answers.items()}
    assert not pickle.loads(pickle.dumps(answers_for(DEFINITION, {})))["同意"]
