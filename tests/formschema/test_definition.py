"""Definitions: every bad definition is refused with the field and YAML line; files round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from kyodo_admin.formschema.definition import (
    DefinitionProblems,
    diff,
    dump_yaml,
    load_yaml,
    schema_of,
)

FORMS = Path(__file__).resolve().parents[2] / "forms"
GOOD = """\
city: kamakura
kind: basic_sheet
title: 提案書
sections:
- title: 提案
  fields:
  - name: purpose
    label: 目的
    type: textarea
    required: true
  - name: budget_measure
    label: 予算措置
    type: radio
    choices:
    - 必要
    - 不要
  - name: budget_reason
    label: 理由
    type: textarea
    visible_if:
      field: budget_measure
      equals: 必要
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(DefinitionProblems) as caught:
        load_yaml(text, "test.yaml")
    return [str(p) for p in caught.value.problems]


def test_good_definition_loads():
    definition = load_yaml(GOOD)
    assert [f["name"] for f in definition["sections"][0]["fields"]] == [
        "purpose", "budget_measure", "budget_reason"]


def test_malformed_yaml_names_the_line():
    (message,) = problems_of("city: kamakura\nkind: basic_sheet\nsections: [\n  - oops: {\n")
    assert "YAMLの書式が正しくありません" in message and "行目" in message


def test_unknown_type_names_field_and_line():
    (message,) = problems_of(GOOD.replace("type: textarea\n    required: true",
                                          "type: richtext\n    required: true"))
    assert message.startswith("7行目・項目「purpose」") and "type「richtext」は使えません" in message


def test_duplicate_names():
    text = GOOD.replace("name: budget_reason", "name: purpose")
    (message,) = problems_of(text)
    assert "name「purpose」が重複しています" in message and "17行目" in message


@pytest.mark.parametrize("name", ["id", "status", "csrf_token", "answers", "title"])
def test_reserved_names(name):
    (message,) = problems_of(GOOD.replace("name: purpose", f"name: {name}").replace(
        "field: budget_measure", "field: budget_measure"))
    assert "予約語" in message


def test_bad_name_syntax():
    (message,) = problems_of(GOOD.replace("name: purpose", "name: 目的"))
    assert "英小文字で始まる" in message


def test_bad_pattern():
    text = GOOD.replace("type: textarea\n    required: true",
                        "type: text\n    pattern: '([0-9'")
    (message,) = problems_of(text)
    assert "pattern が正規表現として正しくありません" in message and "purpose" in message


def test_select_without_choices():
    text = GOOD.replace("    choices:\n    - 必要\n    - 不要\n", "")
    messages = problems_of(text)
    assert any("選択肢（choices）を1つ以上指定してください" in m and "budget_measure" in m
               for m in messages)


def test_condition_on_a_missing_field():
    (message,) = problems_of(GOOD.replace("field: budget_measure", "field: budget_kind"))
    assert "存在しない項目「budget_kind」" in message and "budget_reason" in message


def test_unknown_kind_and_keys():
    messages = problems_of(GOOD.replace("kind: basic_sheet", "kind: invoice"))
    assert any("kind は" in m for m in messages)
    messages = problems_of(GOOD.replace("    required: true\n", "    required: true\n    colour: red\n", 1))
    assert any("使えないキー" in m and "colour" in m for m in messages)


def test_table_columns_are_checked_like_fields():
    text = GOOD + """\
  - name: lines
    label: 明細
    type: table
    columns:
    - name: item
      label: 費目
      type: text
    - name: item
      label: 重複
      type: file
"""
    messages = problems_of(text)
    assert any("lines.item" in m and "重複" in m for m in messages)


@pytest.mark.parametrize("path", sorted(FORMS.glob("*/*.yaml")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_shipped_files_are_valid_and_canonical(path):
    text = path.read_text(encoding="utf-8")
    definition = load_yaml(text, str(path))
    assert definition["city"] == path.parent.name and definition["kind"] == path.stem
    assert dump_yaml(definition) == text  # the shipped file is already in its one spelling


def test_every_city_has_every_kind():
    cities = {p.name for p in FORMS.iterdir() if p.is_dir()}
    assert cities == {"kamakura", "saitama", "hachioji", "koganei", "kunitachi"}
    for city in cities:
        assert {p.stem for p in (FORMS / city).glob("*.yaml")} == {
            "basic_sheet", "review_sheet", "project_plan", "agreement", "completion_report",
            "evaluation"}


def test_guideline_items_are_in_the_city_forms():
    def names(city: str, kind: str) -> set[str]:
        definition = load_yaml((FORMS / city / f"{kind}.yaml").read_text(encoding="utf-8"))
        return {f["name"] for s in definition["sections"] for f in s["fields"]}

    assert {"purpose", "need", "budget_scale", "plan", "independence", "continuity",
            "profile"} <= names("kamakura", "basic_sheet")
    assert {"method", "role_sharing", "cost_sharing", "responsibility"} <= names("saitama", "basic_sheet")
    assert {"capacity", "future_potential", "track_record", "management"} <= names("hachioji", "review_sheet")
    assert {"voluntary_public_benefit", "non_profit", "not_political_religious", "public_order",
            "shared_purpose", "shared_target"} <= names("koganei", "basic_sheet")
    assert {"cooperation_items", "cost_burden_amount", "staff_support_detail", "equipment",
            "advice_detail"} <= names("kunitachi", "basic_sheet")


def test_diff_lists_added_removed_and_changed_fields():
    old = schema_of(load_yaml(GOOD))
    new_text = GOOD.replace("label: 目的", "label: 提案の目的").replace(
        "  - name: budget_reason\n    label: 理由\n    type: textarea\n    visible_if:\n"
        "      field: budget_measure\n      equals: 必要\n", "") + \
        "  - name: contact\n    label: 連絡先\n    type: phone\n"
    new = schema_of(load_yaml(new_text))
    changes = {(c.kind, c.field) for c in diff(old, new)}
    assert changes == {("changed", "purpose"), ("removed", "budget_reason"), ("added", "contact")}
    (changed,) = [c for c in diff(old, new) if c.kind == "changed"]
    assert "label" in changed.detail and "提案の目的" in changed.detail
