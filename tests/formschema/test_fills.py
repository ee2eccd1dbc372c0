"""``fills``: a configured field that also sets a record column, so it is asked once."""

from __future__ import annotations

import pytest

from kyodo_admin.formschema.definition import (
    DefinitionProblems,
    filled_columns,
    filled_values,
    load_yaml,
    schema_of,
)

from .test_definition import GOOD

FILLED = GOOD.replace("""    - 必要
    - 不要
""", """    - 必要
    - 不要
    fills:
      column: needs_budget
      equals: 必要
  - name: budget_scale
    label: 予算規模
    type: money
    fills: budget_amount
""")


def problems_of(text: str) -> list[str]:
    with pytest.raises(DefinitionProblems) as caught:
        load_yaml(text, "test.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_choice_and_a_number_fill_the_proposal():
    schema = schema_of(load_yaml(FILLED))
    assert filled_columns(schema) == {"needs_budget", "budget_amount"}
    assert filled_values(schema, {"budget_measure": "必要", "budget_scale": 600000}) == {
        "needs_budget": True, "budget_amount": 600000}
    assert filled_values(schema, {"budget_measure": "不要"}) == {
        "needs_budget": False, "budget_amount": None}


@pytest.mark.parametrize("change,message", [
    (("fills: budget_amount", "fills: fiscal_year"), "fills の「fiscal_year」はこの様式では使えません"),
    (("type: money\n    fills", "type: text\n    fills"), "type integer・money の項目だけが反映できます"),
    (("      equals: 必要\n", ""), "反映する選択肢を fills の equals に"),
    (("      equals: 必要\n", "      equals: はい\n"), "反映する選択肢を fills の equals に"),
    (("fills: budget_amount", "fills: {column: budget_amount, equals: 1}"),
     "fills の equals は選択肢の項目でだけ使えます"),
    (("fills: budget_amount", "fills: [budget_amount]"), "fills は記録の項目名、または column と equals"),
    (("kind: basic_sheet", "kind: agreement"), "使える項目: なし"),
])
def test_bad_fills_are_refused_with_the_field_and_line(change, message):
    problems = problems_of(FILLED.replace(*change))
    assert any(message in p for p in problems), problems
    assert all("行目" in p for p in problems)


def test_two_fields_cannot_fill_the_same_column():
    text = FILLED + """  - name: budget_total
    label: 総額
    type: integer
    fills: budget_amount
"""
    assert any("予算規模」（budget_amount）に反映する項目が複数あります" in p for p in problems_of(text))


def test_table_columns_cannot_fill():
    text = FILLED + """  - name: lines
    label: 内訳
    type: table
    columns:
    - name: amount
      label: 金額
      type: money
      fills: budget_amount
"""
    assert any("表の列には fills は使えません" in p for p in problems_of(text))
