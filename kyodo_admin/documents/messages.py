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

from flask_babel import gettext
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
        return gettext("本文")
    if part.startswith("word/header"):
        return gettext("ヘッダー")
    if part.startswith("word/footer"):
        return gettext("フッター")
    if part == "word/footnotes.xml":
        return gettext("脚注")
    if part == "docProps/core.xml":
        return gettext("文書のプロパティ（タイトルなど）")
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
        return (gettext("『%(path)s』は%(kind)sです。|wareki で和暦になります。比べるときは日付どうしで比べてください（例: %(path)s >= project.start_date）。", path=path, kind=kind))
    if kind in ("金額", "数値", "年度"):
        return (gettext("『%(path)s』は%(kind)sです。そのまま書くと「%(value)s」と印字されます。数値どうしで比べたり足したりできます。", path=path, kind=kind, value=value))
    if kind == "はい/いいえ":
        return (gettext("『%(path)s』ははい/いいえです。{%% if %(path)s %%} で分け、|checkbox で ☑/☐ になります。", path=path))
    if kind == "選択肢の一覧":
        return gettext("『%(path)s』は選んだ項目の一覧です。'項目名' in %(path)s で選ばれたか調べられます。", path=path)
    if kind == "表（繰り返し行）":
        return (gettext("『%(path)s』は表です。{%%tr for row in %(path)s %%} で行を繰り返し、列は row.列名 で差し込みます。", path=path))
    if kind == "空欄":
        return (gettext("『%(path)s』はこの記録では未回答です。{%% if %(path)s %%}…{%% endif %%} で空欄の場合を分けてください。", path=path))
    return gettext("『%(path)s』は%(kind)sです。数値や日付としては使えません（比べる・足すことはできません）。", path=path, kind=kind)


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
            return (gettext("『|%(v1)s』というフィルターはありません。綴りを確認してください。使えるフィルター: %(OUR_FILTERS)s、ほかに %(COMMON_FILTERS)s など。", v1=match.group(2), OUR_FILTERS=OUR_FILTERS, COMMON_FILTERS=COMMON_FILTERS))
        if match:
            return gettext("『is %(v1)s』という判定はありません。綴りを確認してください。", v1=match.group(2))
    match = re.search(r"looking for the following tags: '(end\w+)'|"
                      r"tags: .*'(end\w+)'", message)
    if "Unexpected end of template" in message and match:
        end = match.group(1) or match.group(2)
        start = end[3:]
        return (gettext("{%% %(start)s %%} に対応する {%% %(end)s %%} がありません。閉じる位置に {%% %(end)s %%}（表の行なら {%%tr %(end)s %%}、段落なら {%%p %(end)s %%}）を書いてください。", start=start, end=end))
    match = re.search(r"unknown tag '([^']+)'", message)
    if match:
        tag = match.group(1)
        if tag in ("tr", "tc"):
            return (gettext("{%%%(tag)s %%} は表の中でだけ使えます。表の外の段落では {%%p %%} を使ってください。", tag=tag))
        if tag.startswith("end") or tag in ("else", "elif"):
            return (gettext("{%% %(tag)s %%} に対応する開始の {%% %%}（for や if）がありません。余分なタグを消すか、開始のタグを書いてください。", tag=tag))
        return (gettext("『{%% %(tag)s %%}』という命令はありません。使えるのは for・if・set などです。差し込む値は {{ }} で囲んでください。", tag=tag))
    if "unexpected end of template" in message.lower() or re.search(r"unexpected '[}/<]'", message):
        # an unclosed tag runs into the XML of the next run (「</w:t>」)
        return gettext("{{ }} や {% %} が閉じていません。閉じ括弧の数を確認してください。")
    return (gettext("{{ }} や {%% %%} の閉じ忘れ・綴りの誤りがないか確認してください（詳細: %(message)s）。", message=message))


def _runtime(exc: BaseException, paragraph: str, context: Mapping[str, Any] | None,
             what: str) -> str:
    text = str(exc)
    hints = " ".join(answer_hints(paragraph, context))
    if isinstance(exc, FilterMisuse):
        return f"{text} {hints}".strip()
    if isinstance(exc, TypeError) and "not supported between instances" in text:
        return (gettext("種類の違う値を比べています（日付と文字、金額と文字など）。%(v1)s", v1=hints or '比べる値の種類をそろえてください。'))
    if isinstance(exc, TypeError) and "unsupported operand" in text:
        return ("足したり合計したりできない値があります（文字の列を sum している、など）。"
                f"sum や + は金額・数値に使ってください。{hints}").strip()
    if isinstance(exc, (TypeError, ValueError)) and ("format" in text or "specify" in text):
        return gettext("値の形式に合わない書き方です。%(v1)s", v1=hints or text)
    if isinstance(exc, ZeroDivisionError):
        return gettext("0で割り算をしています。{% if %} で値が0の場合を分けてください。")
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
        return gettext("%(what)sの差込項目「%(path)s」に対応するデータがありません%(at)s。%(advice)s", what=what, path=path, at=at, advice=advice)
    if isinstance(exc, SecurityError) and "too large" in str(exc):
        return (gettext("%(what)sが作る文書が大きくなりすぎるため、作成を中止しました%(at)s。繰り返しの回数や center・format などの幅の指定を見直してください。", what=what, at=at))
    if isinstance(exc, SecurityError):
        return gettext("%(what)sに許可されていない処理が含まれています%(at)s。", what=what, at=at)
    if isinstance(exc, TemplateSyntaxError):
        quoted = f"「{paragraph}」の段落で" if paragraph else ""
        inside = f"（{place}）" if place else ""
        return gettext("%(what)sの書き方に誤りがあります%(inside)s。%(quoted)s%(exc)s", what=what, inside=inside, quoted=quoted, exc=_syntax(exc))
    return gettext("%(what)sを作成できません%(at)s。%(exc)s", what=what, at=at, exc=_runtime(exc, paragraph, context, what))
