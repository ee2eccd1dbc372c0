"""Checks of an uploaded Word template, before anything opens it as a document.

Everything is read from the zip's own directory and entries first (a 325 KB file
can hold 98 MB of XML), then the XML is scanned for what a template must not
carry (entities, macros, OLE objects, external links) and for Jinja problems
(syntax, unknown placeholders, full-width braces, 「」 inside tags).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

from jinja2 import TemplateSyntaxError, meta

from .render import ENV, TEMPLATED_PARTS, _prepare, describe

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ENTRY_BYTES = 20 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 1000

FULLWIDTH = re.compile(r"｛｛|｝｝|｛％|％｝|\{％|％\}|｛%|%｝")
JAPANESE_QUOTES_IN_TAG = re.compile(r"\{[{%][^}]*[「」『』“”][^}]*[}%]\}")


def _text_of(xml: str) -> str:
    return re.sub(r"<[^>]+>", "", xml)


def check_template(data: bytes, allowed_names: Iterable[str] | None = None) -> list[str]:
    """Every problem with a template file (Japanese messages); empty when it can be used."""
    problems: list[str] = []
    if len(data) > MAX_FILE_BYTES:
        return [f"ファイルが大きすぎます（{MAX_FILE_BYTES // 1024 // 1024}MBまで）。"]
    if not data.startswith(b"PK"):
        return ["Word文書（.docx）ではありません。Wordで「.docx」形式で保存したファイルを指定してください。"]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except zipfile.BadZipFile:
        return ["Word文書（.docx）として読めません。ファイルが壊れていないか確認してください。"]
    names = {i.filename for i in infos}
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        return ["Word文書（.docx）ではありません（本文がありません）。"]
    if len(infos) > MAX_ENTRIES:
        return ["ファイルの中身が多すぎます（圧縮爆弾の疑い）。"]
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES or any(i.file_size > MAX_ENTRY_BYTES for i in infos) or any(
            i.compress_size and i.file_size / i.compress_size > MAX_RATIO for i in infos
            if i.file_size > 1024 * 1024):
        return ["展開後のサイズが大きすぎます（圧縮爆弾の疑い）。"]
    if any(n.lower().endswith("vbaproject.bin") for n in names) or any(
            n.lower().endswith((".docm", ".bin")) and "vba" in n.lower() for n in names):
        problems.append("マクロ（vbaProject.bin）が含まれています。マクロのない .docx で保存してください。")
    if any(n.startswith("word/embeddings/") for n in names):
        problems.append("埋め込みオブジェクト（OLE）が含まれています。取り除いてから登録してください。")
    texts: dict[str, str] = {}
    for info in infos:
        if not info.filename.endswith((".xml", ".rels")):
            continue
        raw = archive.read(info)
        if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
            problems.append(f"XMLの実体宣言（DOCTYPE/ENTITY）が含まれています（{info.filename}）。")
            continue
        text = raw.decode("utf-8", errors="replace")
        if info.filename.endswith(".rels") and 'TargetMode="External"' in text:
            targets = re.findall(r'Target="([^"]+)"[^>]*TargetMode="External"', text)
            problems.append("外部へのリンク（TargetMode=\"External\"）が含まれています: "
                            + "、".join(targets[:3]))
        if TEMPLATED_PARTS.match(info.filename):
            texts[info.filename] = text
    variables: set[str] = set()
    for part, text in texts.items():
        plain = _text_of(text)
        if FULLWIDTH.search(plain):
            problems.append(f"全角の括弧や％（｛｛ ％ など）がタグに使われています（{_where(part)}）。"
                            "半角の {{ }} と {% %} にしてください。")
        prepared = _prepare(part, text)
        if JAPANESE_QUOTES_IN_TAG.search(_text_of(prepared)):
            problems.append(f"タグの中にかぎ括弧（「」）があります（{_where(part)}）。"
                            "文字列は半角の ' または \" で囲んでください。")
        try:
            variables |= meta.find_undeclared_variables(ENV.parse(prepared))
        except TemplateSyntaxError as exc:
            problems.append(describe(exc, part, prepared))
    if allowed_names is not None:
        unknown = sorted(variables - set(allowed_names))
        if unknown:
            problems.append("この種類の文書にない差込項目があります: " + "、".join(unknown)
                            + "（差込項目の一覧を確認してください。別の種類の様式ではありませんか）")
    return problems


def _where(part: str) -> str:
    if part == "word/document.xml":
        return "本文"
    if part.startswith(("word/header", "word/footer")):
        return "ヘッダー・フッター"
    if part == "docProps/core.xml":
        return "文書のプロパティ"
    return part
