"""Every field type: its WTForms validation (Japanese messages), coercion and formatting."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form

from kyodo_admin.formschema.types import REGISTRY


def run(field: dict, data: dict | None, key: str = "f"):
    """Build a form with one configured field named ``key``, submit ``data``."""
    definition = {"name": key, "label": "項目", **field}
    form_class = type("OneField", (Form,), {key: REGISTRY[field["type"]].build(definition)})
    form = form_class(MultiDict(data or {}))
    ok = form.validate()
    value = REGISTRY[field["type"]].to_answer(form[key].data, definition)
    return ok, form[key].errors, value


def test_every_type_is_registered():
    assert set(REGISTRY) == {"text", "textarea", "integer", "money", "date", "year_month",
                             "fiscal_year",
                             "select", "multi_select", "radio", "checkbox", "email", "phone",
                             "postal_code", "url", "table", "file"}


@pytest.mark.parametrize("type_name", ["text", "textarea", "integer", "money", "date",
                                       "fiscal_year", "select", "radio", "email", "phone",
                                       "postal_code", "url", "multi_select"])
def test_required_and_empty_is_refused(type_name):
    field = {"type": type_name, "required": True, "choices": ["A", "B"]} \
        if type_name in ("select", "radio", "multi_select") else {"type": type_name, "required": True}
    ok, errors, _ = run(field, {})
    assert not ok and errors == ["この項目は必須です。"]


def test_text_length_and_pattern():
    field = {"type": "text", "max_length": 5, "pattern": r"^[A-Z]+$"}
    assert run(field, {"f": "ABCDE"})[0]
    ok, errors, _ = run(field, {"f": "ABCDEF"})
    assert not ok and "5文字以内で入力してください。" in errors
    ok, errors, _ = run(field, {"f": "abc"})
    assert not ok and "入力の形式が正しくありません。" in errors
    assert run({"type": "text"}, {"f": "  値  "})[2] == "値"
    assert not run({"type": "text"}, {"f": "あ" * 201})[0]  # the default limit is 200


def test_textarea_normalises_line_breaks():
    ok, _, value = run({"type": "textarea"}, {"f": "一行目\r\n二行目\r\n"})
    assert ok and value == "一行目\n二行目"
    assert not run({"type": "textarea", "max_length": 10}, {"f": "あ" * 11})[0]


@pytest.mark.parametrize("raw,ok,value", [("42", True, 42), ("-1", True, -1), ("abc", False, None),
                                          ("1.5", False, None), ("", True, None)])
def test_integer(raw, ok, value):
    result = run({"type": "integer"}, {"f": raw})
    assert result[0] is ok
    if ok:
        assert result[2] == value


def test_integer_range():
    field = {"type": "integer", "min": 1, "max": 5}
    assert run(field, {"f": "5"})[0]
    ok, errors, _ = run(field, {"f": "6"})
    assert not ok and errors == ["1以上5以下の数値を入力してください。"]


def test_money_is_never_negative_and_prints_yen():
    ok, errors, _ = run({"type": "money"}, {"f": "-100"})
    assert not ok and errors == ["0以上の数値を入力してください。"]
    ok, _, value = run({"type": "money"}, {"f": "1234567"})
    assert ok and value == 1234567
    assert REGISTRY["money"].display(value, {}) == "1,234,567円"


@pytest.mark.parametrize("raw,ok,value,shown", [
    ("2026-07", True, "2026-07", "令和8年7月"),
    ("2019-04", True, "2019-04", "平成31年4月"),
    ("2019-05", True, "2019-05", "令和元年5月"),
    ("2026-13", False, None, ""),
    ("2026-07-01", False, None, ""),
    ("令和8年7月", False, None, ""),
])
def test_year_month_is_a_month_kept_iso_and_shown_in_the_era(raw, ok, value, shown):
    valid, errors, stored = run({"type": "year_month"}, {"f": raw})
    assert (valid, stored) == (ok, value)
    if ok:
        assert REGISTRY["year_month"].display(stored, {}) == shown
        assert str(REGISTRY["year_month"].word(stored, {})) == shown
    else:
        assert errors == ["年月は 2026-07 のように選んでください。"]
    built = REGISTRY["year_month"].build({"name": "f", "label": "開始予定時期", "type": "year_month"})
    assert built.kwargs["render_kw"]["type"] == "month"  # the browser's month picker


def test_a_date_answer_kept_by_a_field_now_asked_as_a_month_still_shows():
    assert REGISTRY["year_month"].display("2026-07-01", {}) == "令和8年7月1日"


def test_date_is_stored_iso_and_printed_in_the_japanese_era():
    ok, _, value = run({"type": "date"}, {"f": "2019-05-01"})
    assert ok and value == "2019-05-01"
    assert str(REGISTRY["date"].word(value, {})) == "令和元年5月1日"
    assert REGISTRY["date"].display(value, {}) == "令和元年5月1日"  # screens show 和暦 too
    assert not run({"type": "date"}, {"f": "2026-02-30"})[0]
    assert not run({"type": "date"}, {"f": "令和8年"})[0]


def test_fiscal_year():
    ok, _, value = run({"type": "fiscal_year"}, {"f": "2026"})
    assert ok and REGISTRY["fiscal_year"].display(value, {}) == "令和8年度"
    ok, errors, _ = run({"type": "fiscal_year"}, {"f": "26"})
    assert not ok and "年度は1989から2100までの西暦で入力してください（例: 2026）。" in errors


@pytest.mark.parametrize("type_name", ["select", "radio"])
def test_single_choice(type_name):
    field = {"type": type_name, "choices": ["必要", "不要"]}
    ok, _, value = run(field, {"f": "必要"})
    assert ok and value == "必要"
    ok, errors, _ = run(field, {"f": "たぶん"})
    assert not ok and errors


def test_multi_select():
    field = {"type": "multi_select", "choices": ["経費負担", "人的支援", "助言"]}
    ok, _, value = run(field, MultiDict([("f", "経費負担"), ("f", "助言")]))
    assert ok and value == ["経費負担", "助言"]
    assert REGISTRY["multi_select"].display(value, field) == "経費負担、助言"
    assert not run(field, {"f": "補助"})[0]


def test_required_checkbox_must_be_ticked():
    field = {"type": "checkbox", "required": True}
    ok, errors, value = run(field, {})
    assert not ok and errors == ["確認のうえ、チェックを入れてください。"] and value is False
    ok, _, value = run(field, {"f": "y"})
    assert ok and value is True
    assert str(REGISTRY["checkbox"].word(True, field)) == "はい"


@pytest.mark.parametrize("type_name,good,bad", [
    ("email", "npo@example.jp", "npo@"),
    ("phone", "0467-23-3000", "電話"),
    ("postal_code", "248-8686", "24-8686"),
    ("url", "https://example.jp/", "javascript:alert(1)"),
])
def test_formatted_text_types(type_name, good, bad):
    assert run({"type": type_name}, {"f": good})[0]
    ok, errors, _ = run({"type": type_name}, {"f": bad})
    assert not ok and errors


def test_postal_code_is_normalised():
    assert run({"type": "postal_code"}, {"f": "2488686"})[2] == "248-8686"
    assert REGISTRY["postal_code"].display("248-8686", {}) == "〒248-8686"


TABLE = {"type": "table", "columns": [
    {"name": "item", "label": "費目", "type": "text", "required": True},
    {"name": "amount", "label": "金額", "type": "money"}]}


def test_table_rows_are_coerced_and_blank_rows_dropped():
    data = {"f-0-item": "印刷費", "f-0-amount": "1000", "f-1-item": "", "f-1-amount": ""}
    ok, errors, value = run(TABLE, data)
    assert ok, errors
    assert value == [{"item": "印刷費", "amount": 1000}]
    rows = REGISTRY["table"].word(value, TABLE)
    assert rows == [{"item": "印刷費", "amount": 1000}]
    assert str(rows[0]["amount"]) == "1,000円"


def test_table_checks_required_columns_and_cells():
    ok, errors, _ = run(TABLE, {"f-0-item": "", "f-0-amount": "500"})
    assert not ok and errors == ["1行目の「費目」を入力してください。"]
    ok, errors, _ = run(TABLE, {"f-0-item": "印刷費", "f-0-amount": "-5"})
    assert not ok
    ok, errors, _ = run({**TABLE, "required": True}, {})
    assert not ok and errors == ["1行以上入力してください。"]


def test_file_answer_is_its_attachment_reference():
    value = {"attachment_id": 3, "filename": "定款.pdf", "size": 10}
    assert REGISTRY["file"].to_answer(value, {}) == value
    assert REGISTRY["file"].display(value, {}) == "定款.pdf"


def test_definition_checks_of_types():
    assert REGISTRY["select"].check({"choices": []})
    assert REGISTRY["select"].check({"choices": ["A", "A"]})
    assert REGISTRY["text"].check({"pattern": "(unclosed"})
    assert REGISTRY["integer"].check({"min": 5, "max": 1})
    assert REGISTRY["table"].check({"columns": []})
    assert not REGISTRY["select"].check({"choices": ["A", "B"]})


def test_wareki_edges():
    from kyodo_admin.documents.wareki import nendo, wareki

    assert wareki(dt.date(2019, 4, 30)) == "平成31年4月30日"
    assert wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert nendo(2019) == "令和元年度" and nendo(1988) == "昭和63年度" and nendo(2026) == "令和8年度"
    # a missing date prints the blanks of a paper form, to be filled in by hand
    assert wareki(None) == "令和　　年　　月　　日" and nendo(None) == "令和　　年度"


def test_field_types_own_their_behaviour():
    """No module outside the registry asks which type a field is: a new type is one class."""
    import re
    from pathlib import Path

    import kyodo_admin

    package = Path(kyodo_admin.__file__).parent
    asks = re.compile(r"""(\["type"\]|\.get\("type"\)|type_name)\s*(==|!=|in)\s*[("']""")
    offenders = [f"{path.relative_to(package)}:{number}"
                 for path in package.rglob("*.py") if path.name != "types.py"
                 for number, line in enumerate(path.read_text().splitlines(), start=1)
                 if asks.search(line)]
    assert offenders == []
