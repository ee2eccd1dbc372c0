"""Values as people type them in a spreadsheet cell: dates (2026/4/1, 令和8年4月1日, R8.4.1,
an Excel date), amounts (1,200,000円), fiscal years (令和8年度), yes/no (○/×). Each raises
ValueError with a Japanese message naming what it expected."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from flask_babel import gettext

from ..documents.wareki import ERAS

#: First characters a spreadsheet reads as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: How an export keeps a spreadsheet from reading such a value as a formula: a quote before it.
NEUTRALIZED = tuple("'" + prefix for prefix in FORMULA_PREFIXES)


def text(value: Any) -> str:
    """A cell as text, trimmed, with the characters the clerk typed (（第2期）, ㈱, ①, ～ are
    stored and printed as written); a whole number read as 12.0 by Excel is 12; the quote an
    export put before ``=1+1`` or ``-50`` (so no spreadsheet runs it) is taken off again."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    written = str(value).strip() if value is not None else ""
    return written[1:] if written.startswith(NEUTRALIZED) else written


def normalized(value: Any) -> str:
    """A cell as read for its meaning (a date, an amount, a choice): full-width letters and
    digits made half-width (NFKC), trimmed. Never what is stored for a text."""
    return unicodedata.normalize("NFKC", text(value)).strip()


def match_key(written: str) -> str:
    """What two spellings of one name share: width (ｶﾌｪ／カフェ, （／(), case and spaces
    aside — for finding a name, never for storing it."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", written)).casefold()


#: Line breaks (Excel's Alt+Enter), tabs and other control characters.
CONTROL = re.compile(r"\s*[\x00-\x1f\x7f\x85\u2028\u2029]+\s*")


def single_line(written: str) -> str:
    """``written`` as one line, as typed otherwise: each line break or control character
    (with the spaces around it) becomes one space."""
    return CONTROL.sub(" ", written).strip()


def one_line(value: Any) -> str:
    """A cell that names something (a name, an address, a number) as one line."""
    return single_line(text(value))


def is_email(written: str) -> bool:
    """One mail address and nothing else (no second line, space or address), by the rule the
    forms' ``Email`` validator uses (the email-validator package, without a DNS lookup)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(written, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def parse_email(value: Any) -> str:
    """A cell holding one mail address."""
    written = normalized(value)
    if not is_email(written):
        raise ValueError(gettext("メールアドレスの形式が正しくありません（1つのアドレスを1行で。例: info@example.jp）"))
    return written


ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治"}
ERA_START = {name: start for start, name in ERAS}


#: A weekday after a date: 令和8年4月1日(水), 2026/4/1（水曜日）.
WEEKDAY = re.compile(r"\((?:[月火水木金土日](?:曜日?)?|祝)\)$")


def parse_date(value: Any) -> dt.date:
    """2026/4/1, 2026-04-01, 2026年4月1日, 令和8年4月1日(水), R8.4.1, 令和元年5月1日, an Excel
    date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    written = WEEKDAY.sub("", normalized(value).replace(" ", ""))
    if re.search(r"[~〜～]", written):
        raise ValueError(gettext("期間が書かれています（開始日と終了日を別の列にするか、「期間」の列に当ててください）"))
    match = re.fullmatch(r"(\d{4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?", written)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(令和|平成|昭和|大正|明治|[RHSTM])(元|\d{1,2})[.年/](\d{1,2})[.月/](\d{1,2})日?",
                             written.upper() if written[:1].isascii() else written)
        if not match:
            raise ValueError(gettext("日付として読めません（2026/4/1、令和8年4月1日、R8.4.1 のように）"))
        era = ERA_LETTERS.get(match.group(1), match.group(1))
        in_era = 1 if match.group(2) == "元" else int(match.group(2))
        year, month, day = ERA_START[era].year + in_era - 1, int(match.group(3)), int(match.group(4))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(gettext("ない日付です")) from None


def parse_period(value: Any) -> tuple[dt.date, dt.date]:
    """令和8年4月1日～令和9年3月31日 (～, 〜, ~ or から): the start and the end, the end not
    before the start."""
    parts = re.split(r"[~〜～]|から", normalized(value).replace(" ", ""))
    if len(parts) != 2 or not all(parts):
        raise ValueError(gettext("期間として読めません（令和8年4月1日～令和9年3月31日 のように）"))
    start, end = parse_date(parts[0]), parse_date(parts[1].removesuffix("まで"))
    if end < start:
        raise ValueError(gettext("終わりの日が始まりの日より前です"))
    return start, end


#: 120万円, 120万5000円, 1.5万円: 万 counts ten thousand.
MAN = re.compile(r"(\d+(?:\.\d+)?)万(\d*)")


def parse_amount(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value
    else:
        written = re.sub(r"[\s,￥¥]", "", normalized(value)).removesuffix("円")
        negative = written[:1] in ("△", "▲", "-")  # △50,000: how ledgers write a minus
        written = written.lstrip("△▲-")
        man = MAN.fullmatch(written)
        if man:
            number = float(man.group(1)) * 10_000 + int(man.group(2) or 0)
        elif re.fullmatch(r"\d+(\.\d+)?", written):
            number = float(written)
        else:
            raise ValueError(gettext("金額として読めません（1200000、1,200,000円、120万円 のように）"))
        number = -number if negative else number
    if number < 0:
        raise ValueError(gettext("金額がマイナスです"))
    if not float(number).is_integer():
        raise ValueError(gettext("金額は円単位の整数で入力してください"))
    return int(number)


def parse_integer(value: Any) -> int:
    written = normalized(value).replace(",", "")
    if not re.fullmatch(r"-?\d+", written):
        raise ValueError(gettext("整数として読めません"))
    return int(written)


def parse_number(value: Any) -> float:
    """A figure (an indicator's target or result): 120, 1,200, 12.5, full-width digits."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    written = normalized(value).replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", written):
        raise ValueError(gettext("数値として読めません（120 や 12.5 のように）"))
    return float(written)


def parse_fiscal_year(value: Any) -> int:
    written = normalized(value).removesuffix("度").removesuffix("年")
    if re.fullmatch(r"\d{4}", written):
        return int(written)
    match = re.fullmatch(r"(令和|平成|R|H)(元|\d{1,2})", written.upper() if written[:1].isascii() else written)
    if not match:
        raise ValueError(gettext("年度として読めません（2026 や 令和8年度 のように）"))
    era = ERA_LETTERS.get(match.group(1), match.group(1))
    return ERA_START[era].year + (1 if match.group(2) == "元" else int(match.group(2))) - 1


YES = {"はい", "有", "あり", "要", "必要", "○", "〇", "yes", "true", "1", "y"}
NO = {"いいえ", "無", "なし", "不要", "×", "-", "no", "false", "0", "n"}


def parse_yes_no(value: Any) -> bool:
    written = normalized(value).lower()
    if written in YES:
        return True
    if written in NO:
        return False
    raise ValueError(gettext("はい／いいえ（○／×、必要／不要）のどれかにしてください"))
