"""Typed answers for Word templates: values that print in their Japanese form and still
behave as what they are.

A form's answers reach a template as these (``FieldType.word`` picks one per field type):
``{{ answers.開始日 }}`` prints 令和8年4月1日 and ``answers.開始日 >= project.start_date``
compares dates; ``{{ answers.金額 }}`` prints 1,234,567円 while ``|yen``, ``+`` and
``|sum`` see an integer; an unticked yes/no prints いいえ and is false in ``{% if %}``.

Each is a subclass of the plain type (``date``, ``int``, ``list``) or a small class of its
own, defined here at module level so that a context pickles to the render worker.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .wareki import nendo, number, wareki, wareki_month


class JapaneseDate(dt.date):
    """A date printing as 令和8年4月1日."""

    @classmethod
    def of(cls, day: dt.date) -> JapaneseDate:
        return cls(day.year, day.month, day.day)

    def __str__(self) -> str:
        return wareki(self)

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else super().__format__(spec)


class JapaneseMonth(JapaneseDate):
    """A month (its first day) printing as 令和8年7月."""

    def __str__(self) -> str:
        return wareki_month(self.year, self.month)


class Number(int):
    """A whole number printing with thousands separators (1,234)."""

    def __str__(self) -> str:
        return number(int(self))

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else super().__format__(spec)


class Yen(Number):
    """An amount printing as 1,234,567円; arithmetic gives plain integers (``|yen`` them)."""

    def __str__(self) -> str:
        return f"{int(self):,}円"


class FiscalYear(Number):
    """A fiscal year (2026) printing as 令和8年度."""

    def __str__(self) -> str:
        return nendo(int(self))


class YesNo:
    """A yes/no answer: はい or いいえ, true or false in ``{% if %}``, ☑/☐ with ``|checkbox``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = bool(value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (YesNo, (self.value,))

    def __bool__(self) -> bool:
        return self.value

    def __str__(self) -> str:
        return "はい" if self.value else "いいえ"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, YesNo):
            return self.value == other.value
        if isinstance(other, bool):
            return self.value is other
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"YesNo({self.value})"


class Items(list[Any]):
    """The choices of a multiple choice, printing as 経費負担、助言."""

    def __str__(self) -> str:
        return "、".join(map(str, self))


#: Python types of template values, in the words a clerk reads (for error messages).
TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (JapaneseMonth, "年月"), (dt.date, "日付"), (Yen, "金額"), (FiscalYear, "年度"),
    (YesNo, "はい/いいえ"), (bool, "はい/いいえ"), (int, "数値"), (float, "数値"),
    (Items, "選択肢の一覧"), (list, "表（繰り返し行）"), (str, "文字"), (type(None), "空欄"),
)


def type_name(value: Any) -> str:
    for cls, name in TYPE_NAMES:
        if isinstance(value, cls):
            return name
    return type(value).__name__
