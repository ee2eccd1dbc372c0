"""Template errors in a clerk's words: where (本文/ヘッダー/フッター and the paragraph's
text), which placeholder, and what to do.

Jinja's own messages ("'>=' not supported between instances of 'str' and
'datetime.date'", "No filter named 'waraki'") mean nothing to the person who
wrote the template in Word. ``describe`` turns each error a clerk commonly makes
into Japanese; the table of them is tested in ``tests/documents/test_messages.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateAssertionError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SecurityError

from .values import type_name


class FilterMisuse(ValueError):
    """A filter given a value it does not format (``|wareki`` on text); the message is
    Japanese and names the filter and the value's kind."""


#: The filters a template may use beyond Jinja's own, as the reference lists them.
OUR_FILTERS = "wareki（日付→令和8年4月1日）、nendo（年度→令和8年度）、yen（金額→1,234円）、checkbox（☑/☐）"
COMMON_FILTERS = "default、join、length、sum、replace、upper、lower、trim"


def where(part: str) -> str:
    """A part of the .docx as the clerk knows it."""
    if part == "word/document.xml":
        return "本文"
    if part.startswith("word/header"):
        return "ヘッダー"
    if part.startswith("word/footer"):
        return "フッター"
    if part == "word/footnotes.xml":
        return "脚注"
    if part == "docProps/core.xml":
        return "文書のプロパティ（タイトルなど）"
    return part


def template_line(exc: BaseException) -> int | None:
    """The template line an error was raised at: Jinja's own for a syntax error, else the
    last frame of the template in the traceback (one paragraph is one line, see render)."""
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def paragraph_at(source: str, line: int | None) -> str:
    """The text of the paragraph a line number points at, tags and all, shortened."""
    if not source or not line:
        return ""
    lines = source.splitlines()
    if not 0 < line <= len(lines):
        return ""
    text = re.sub(r"<[^>]+>", "", lines[line - 1]).strip()
    return text if len(text) <= 80 else text[:79] + "…"


ANSWER = re.compile(r"answers\.([^\s|}.)\]\[=<>!+\-*/,~%'\"]+)")


def answer_hints(paragraph: str, context: Mapping[str, Any] | None) -> list[str]:
    """What each answer named in the paragraph is, and how a template uses one of its kind."""
    answers = (context or {}).get("answers")
    if not isinstance(answers, Mapping):
        return []
    hints = []
    for name in dict.fromkeys(ANSWER.findall(paragraph)):
        if name not in answers:
            continue
        hints.append(_hint(f"answers.{name}", answers[name]))
    return hints


def _hint(path: str, value: Any) -> str:
    kind = type_name(value)
    if kind in ("日付", "年月"):
        return (f"『{path}』は{kind}です。|wareki で和暦になります。比べるときは日付どうしで"
                f"比べてください（例: {path} >= project.start_date）。")
    if kind in ("金額", "数値", "年度"):
        return (f"『{path}』は{kind}です。そのまま書くと「{value}」と印字されます。"
                "数値どうしで比べたり足したりできます。")
    if kind == "はい/いいえ":
        return (f"『{path}』ははい/いいえです。{{% if {path} %}} で分け、"
                "|checkbox で ☑/☐ になります。")
    if kind == "選択肢の一覧":
        return f"『{path}』は選んだ項目の一覧です。'項目名' in {path} で選ばれたか調べられます。"
    if kind == "表（繰り返し行）":
        return (f"『{path}』は表です。{{%tr for row in {path} %}} で行を繰り返し、"
                "列は row.列名 で差し込みます。")
    if kind == "空欄":
        return (f"『{path}』はこの記録では未回答です。{{% if {path} %}}…{{% endif %}} で"
                "空欄の場合を分けてください。")
    return f"『{path}』は{kind}です。数値や日付としては使えません（比べる・足すことはできません）。"


def _missing_path(message: str, paragraph: str) -> str:
    """The placeholder an UndefinedError is about, as written in the paragraph."""
    match = re.search(r"'([^']+)' is undefined", message)
    if match:
        return match.group(1)
    match = re.search(r"has no attribute '([^']+)'", message)
    if not match:
        return message
    name = match.group(1)
    written = re.search(r"([\w.]+)\." + re.escape(name) + r"(?![\w])", paragraph)
    return f"{written.group(1)}.{name}" if written else name


def _syntax(exc: TemplateSyntaxError) -> str:
    message = exc.message or ""
    if isinstance(exc, TemplateAssertionError):
        match = re.search(r"No (filter|test) named '([^']+)'", message)
        if match and match.group(1) == "filter":
            return (f"『|{match.group(2)}』というフィルターはありません。綴りを確認してください。"
                    f"使えるフィルター: {OUR_FILTERS}、ほかに {COMMON_FILTERS} など。")
        if match:
            return f"『is {match.group(2)}』という判定はありません。綴りを確認してください。"
    match = re.search(r"looking for the following tags: '(end\w+)'|"
                      r"tags: .*'(end\w+)'", message)
    if "Unexpected end of template" in message and match:
        end = match.group(1) or match.group(2)
        start = end[3:]
        return (f"{{% {start} %}} に対応する {{% {end} %}} がありません。"
                f"閉じる位置に {{% {end} %}}（表の行なら {{%tr {end} %}}、段落なら {{%p {end} %}}）"
                "を書いてください。")
    match = re.search(r"unknown tag '([^']+)'", message)
    if match:
        tag = match.group(1)
        if tag in ("tr", "tc"):
            return (f"{{%{tag} %}} は表の中でだけ使えます。表の外の段落では {{%p %}} を"
                    "使ってください。")
        if tag.startswith("end") or tag in ("else", "elif"):
            return (f"{{% {tag} %}} に対応する開始の {{% %}}（for や if）がありません。"
                    "余分なタグを消すか、開始のタグを書いてください。")
        return (f"『{{% {tag} %}}』という命令はありません。使えるのは for・if・set などです。"
                "差し込む値は {{ }} で囲んでください。")
    if "unexpected end of template" in message.lower() or re.search(r"unexpected '[}/<]'", message):
        # an unclosed tag runs into the XML of the next run (「</w:t>」)
        return "{{ }} や {% %} が閉じていません。閉じ括弧の数を確認してください。"
    return ("{{ }} や {% %} の閉じ忘れ・綴りの誤りがないか確認してください"
            f"（詳細: {message}）。")


def _runtime(exc: BaseException, paragraph: str, context: Mapping[str, Any] | None,
             what: str) -> str:
    text = str(exc)
    hints = " ".join(answer_hints(paragraph, context))
    if isinstance(exc, FilterMisuse):
        return f"{text} {hints}".strip()
    if isinstance(exc, TypeError) and "not supported between instances" in text:
        return ("種類の違う値を比べています（日付と文字、金額と文字など）。"
                f"{hints or '比べる値の種類をそろえてください。'}")
    if isinstance(exc, TypeError) and "unsupported operand" in text:
        return ("足したり合計したりできない値があります（文字の列を sum している、など）。"
                f"sum や + は金額・数値に使ってください。{hints}").strip()
    if isinstance(exc, (TypeError, ValueError)) and ("format" in text or "specify" in text):
        return f"値の形式に合わない書き方です。{hints or text}"
    if isinstance(exc, ZeroDivisionError):
        return "0で割り算をしています。{% if %} で値が0の場合を分けてください。"
    return f"{what}を処理できません（詳細: {text}）。{hints}".strip()


def describe(exc: BaseException, part: str = "", source: str = "",
             context: Mapping[str, Any] | None = None, what: str = "テンプレート") -> str:
    """A Japanese message for a template error: where, which placeholder, what to do.
    ``what``: the text's name for the clerk (a mail's text is メール文面)."""
    paragraph = paragraph_at(source, template_line(exc))
    place = where(part)
    at = f"（{place}「{paragraph}」の段落）" if paragraph and place else (
        f"（{place}）" if place else "")
    if isinstance(exc, UndefinedError):
        path = _missing_path(str(exc), paragraph)
        advice = ("この文書の様式にない項目です。別の種類の様式の項目か、項目名の綴りを"
                  "差込項目の一覧で確認してください。") if path.startswith("answers.") else \
            "差込項目の一覧で名前を確認してください。"
        return f"{what}の差込項目「{path}」に対応するデータがありません{at}。{advice}"
    if isinstance(exc, SecurityError) and "too large" in str(exc):
        return (f"{what}が作る文書が大きくなりすぎるため、作成を中止しました{at}。"
                "繰り返しの回数や center・format などの幅の指定を見直してください。")
    if isinstance(exc, SecurityError):
        return f"{what}に許可されていない処理が含まれています{at}。"
    if isinstance(exc, TemplateSyntaxError):
        quoted = f"「{paragraph}」の段落で" if paragraph else ""
        inside = f"（{place}）" if place else ""
        return f"{what}の書き方に誤りがあります{inside}。{quoted}{_syntax(exc)}"
    return f"{what}を作成できません{at}。{_runtime(exc, paragraph, context, what)}"
