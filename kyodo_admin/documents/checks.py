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
import zlib
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext
from jinja2 import TemplateSyntaxError, meta
from lxml import etree

from .messages import describe, where
from .render import ENV, TEMPLATED_PARTS, _prepare

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ENTRY_BYTES = 20 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 1000

FULLWIDTH = re.compile(r"｛｛|｝｝|｛％|％｝|\{％|％\}|｛%|%｝")
JAPANESE_QUOTES_IN_TAG = re.compile(r"\{[{%][^}]*[「」『』“”][^}]*[}%]\}")


def _text_of(xml: str) -> str:
    return re.sub(r"<[^>]+>", "", xml)


def zip_bomb(infos: list[zipfile.ZipInfo], *, max_total: int = MAX_UNCOMPRESSED_BYTES,
             max_entry: int = MAX_ENTRY_BYTES) -> str | None:
    """Why a zip (a .docx, an .xlsx) is refused from its directory alone, before anything is
    unpacked: too many parts, too much once unpacked, or a part packed too tightly."""
    if len(infos) > MAX_ENTRIES:
        return gettext("ファイルの中身が多すぎます（圧縮爆弾の疑い）。")
    if sum(i.file_size for i in infos) > max_total or any(i.file_size > max_entry for i in infos) \
            or any(i.compress_size and i.file_size / i.compress_size > MAX_RATIO for i in infos
                   if i.file_size > 1024 * 1024):
        return gettext("展開後のサイズが大きすぎます（圧縮爆弾の疑い）。")
    return None


#: The start of an OLE compound file: Word 97-2003 (.doc), 一太郎 (.jtd), Excel 97-2003.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLD_FORMAT = ("Word 97-2003 形式（.doc）や一太郎形式（.jtd）のファイルです。そのソフトで開き、"
              "「名前を付けて保存」で「Word 文書（*.docx）」を選んで保存し直したファイルを指定して"
              "ください（一太郎では「他形式の保存/開く」から Word 形式を選びます）。")
OPEN_DOCUMENT = ("OpenDocument 形式（.odt）のファイルです。LibreOffice Writer で開き、「名前を付けて"
                 "保存」でファイルの種類を「Word 2007-365 (.docx)」にして保存し直したファイルを指定"
                 "してください（書式の確認を聞かれたら「Word 形式を使用」を選びます）。")


def check_template(data: bytes, allowed_names: Iterable[str] | None = None) -> list[str]:
    """Every problem with a template file (Japanese messages); empty when it can be used."""
    problems: list[str] = []
    if len(data) > MAX_FILE_BYTES:
        return [gettext("ファイルが大きすぎます（%(v1)sMBまで）。", v1=MAX_FILE_BYTES // 1024 // 1024)]
    if data.startswith(OLE_SIGNATURE):
        return [gettext(OLD_FORMAT)]
    if not data.startswith(b"PK"):
        return [gettext("Word文書（.docx）ではありません。Wordで「.docx」形式で保存したファイルを指定してください。")]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except zipfile.BadZipFile:
        return [gettext("Word文書（.docx）として読めません。ファイルが壊れていないか確認してください。")]
    names = {i.filename for i in infos}
    if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis"):
        return [gettext(OPEN_DOCUMENT)]
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        return [gettext("Word文書（.docx）ではありません（本文がありません）。")]
    bomb = zip_bomb(infos)
    if bomb:
        return [bomb]
    if any(n.lower().endswith("vbaproject.bin") for n in names) or any(
            n.lower().endswith((".docm", ".bin")) and "vba" in n.lower() for n in names):
        problems.append(gettext("マクロ（vbaProject.bin）が含まれています。マクロのない .docx で保存してください。"))
    if any(n.startswith("word/embeddings/") for n in names):
        problems.append(gettext("埋め込みオブジェクト（OLE）が含まれています。取り除いてから登録してください。"))
    texts: dict[str, str] = {}
    for info in infos:
        if not info.filename.endswith((".xml", ".rels")):
            problem = _check_image(archive, info)
            if problem:
                problems.append(problem)
            continue
        try:  # sizes in the directory can lie: the read is bounded and checked (CRC)
            with archive.open(info) as member:
                raw = member.read(MAX_ENTRY_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
            return [gettext("Word文書（.docx）として読めません（中身が壊れているか、サイズが偽られています）。")]
        if len(raw) > MAX_ENTRY_BYTES:
            return [gettext("展開後のサイズが大きすぎます（圧縮爆弾の疑い）。")]
        tree, problem = _parse_part(info.filename, raw)
        if problem:
            problems.append(problem)
            continue
        if info.filename.endswith(".rels"):
            targets = _external_targets(tree)
            if targets:
                problems.append("外部のファイルやURLを参照する設定（外部リンク・リモートのテンプレート）"
                                "が含まれています: " + "、".join(targets[:3])
                                + "。文書の中にある内容だけで作った .docx を登録してください。")
        fetching = _fetching_fields(tree)
        if fetching:
            problems.append(gettext("外部から内容を取り込むフィールド（%(v1)s）が含まれています（%(filename)s）。取り除いてから登録してください。", v1='、'.join(fetching), filename=info.filename))
        if TEMPLATED_PARTS.match(info.filename):
            texts[info.filename] = raw.decode("utf-8")
    variables: set[str] = set()
    for part, text in texts.items():
        plain = _text_of(text)
        if FULLWIDTH.search(plain):
            problems.append(gettext("全角の括弧や％（｛｛ ％ など）がタグに使われています（%(part)s）。半角の {{ }} と {%% %%} にしてください。", part=where(part)))
        prepared = _prepare(part, text)
        if JAPANESE_QUOTES_IN_TAG.search(_text_of(prepared)):
            problems.append(gettext("タグの中にかぎ括弧（「」）があります（%(part)s）。文字列は半角の ' または \" で囲んでください。", part=where(part)))
        try:
            tree = ENV.parse(prepared)
            ENV.compile(tree)  # an unknown filter or test is found when compiling
            variables |= meta.find_undeclared_variables(tree)
        except TemplateSyntaxError as exc:
            problems.append(describe(exc, part, prepared))
    if allowed_names is not None:
        unknown = sorted(variables - set(allowed_names))
        if unknown:
            problems.append("この種類の文書にない差込項目があります: " + "、".join(unknown)
                            + "（差込項目の一覧を確認してください。別の種類の様式ではありませんか）")
    return problems


#: A parser that never loads a DTD, resolves an entity or touches the network.
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                              huge_tree=False)
#: Word fields that make Word or LibreOffice fetch a file or URL when the document opens.
FETCHING_FIELDS = re.compile(r"\b(INCLUDEPICTURE|INCLUDETEXT|LINK|DDEAUTO|DDE|IMPORT)\b",
                             re.IGNORECASE)


def _parse_part(name: str, raw: bytes) -> tuple[Any, str | None]:
    """The part parsed safely, or why it is refused: a DTD or entity declaration in any
    encoding (UTF-16 included), XML that does not parse, or an encoding other than UTF-8
    (Word writes UTF-8; another would reach the renderer garbled)."""
    try:
        tree = etree.fromstring(raw, SAFE_PARSER)
    except etree.XMLSyntaxError:
        return None, f"XMLとして読めない部分があります（{name}）。Wordで保存し直してください。"
    info = tree.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        return None, f"XMLの実体宣言（DOCTYPE/ENTITY）が含まれています（{name}）。"
    if (info.encoding or "UTF-8").upper() not in ("UTF-8", "UTF8"):
        return None, f"文字コードがUTF-8ではありません（{name}）。Wordで .docx として保存し直してください。"
    return tree, None


def _external_targets(rels: Any) -> list[str]:
    """Targets a relationships part points at outside the package: TargetMode="External"
    however it is quoted or cased, or a target that is itself a URL or a network path."""
    found = []
    for rel in rels.iter("{*}Relationship"):
        target = rel.get("Target", "")
        external = (rel.get("TargetMode") or "").strip().lower() == "external"
        if external or re.match(r"^\s*([a-z][a-z0-9+.-]*:|\\\\|//)", target, re.IGNORECASE):
            found.append(target or "（空）")
    return found


#: A picture inside an SVG may be inline (data:) up to this size; anything bigger, and any
#: reference to a file or address, is refused.
MAX_INLINE_IMAGE = 256 * 1024
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]+)|@import\s+['\"]([^'\"]+)", re.IGNORECASE)


def _check_image(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    """Why a picture part is refused, or None. An SVG (by name, or any part that is XML
    under another name) is parsed like the document's own XML, and every reference in it
    must stay inside the picture: ``#id`` or a small inline ``data:`` image. A reference to
    a file (``file:``), an address (``http:``) or another part would have LibreOffice embed
    whatever it points at into every PDF issued from the template."""
    try:
        with archive.open(info) as member:
            head = member.read(512)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
        return gettext("Word文書（.docx）として読めません（中身が壊れているか、サイズが偽られています）。")
    looks_xml = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    if not (info.filename.lower().endswith((".svg", ".svgz")) or looks_xml):
        return None
    if info.filename.lower().endswith(".svgz") or head.startswith(b"\x1f\x8b"):
        return gettext("圧縮されたSVG画像（%(filename)s）は登録できません。PNGなどの画像にしてください。", filename=info.filename)
    with archive.open(info) as member:
        raw = member.read(MAX_ENTRY_BYTES + 1)
    tree, problem = _parse_part(info.filename, raw)
    if problem:
        return problem
    outside = _svg_references(tree)
    if outside:
        return (f"画像（{info.filename}）が文書の外のファイルやURLを参照しています: "
                + "、".join(outside[:3]) + "。画像を貼り直すか、PNGなどの画像にしてください。")
    return None


def _svg_references(tree: Any) -> list[str]:
    """References in an SVG that leave it: href/xlink:href and CSS url()/@import that are
    not ``#fragment`` or a small inline ``data:image``; scripts and foreign objects too."""
    found: list[str] = []

    def check(reference: str) -> None:
        value = reference.strip()
        if not value or value.startswith("#"):
            return
        if value.lower().startswith("data:image/") and len(value) <= MAX_INLINE_IMAGE \
                and not value.lower().startswith("data:image/svg"):
            return
        found.append(value[:80])

    for node in tree.iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname.lower()
        if local in ("script", "foreignobject"):
            found.append(f"<{etree.QName(node).localname}>")
        for name, value in node.attrib.items():
            if name in ("href", XLINK_HREF) or etree.QName(name).localname == "href":
                check(value)
            elif "url(" in value.lower() or "@import" in value.lower():
                for match in CSS_URL.finditer(value):
                    check(match.group(1) or match.group(2) or "")
        if local == "style" and node.text:
            for match in CSS_URL.finditer(node.text):
                check(match.group(1) or match.group(2) or "")
    return found


def _fetching_fields(tree: Any) -> list[str]:
    """Field instructions (w:instrText, w:fldSimple) that fetch from outside the document."""
    instructions = [node.text or "" for node in tree.iter("{*}instrText")]
    instructions += [node.get(f"{{{W_NS}}}instr", "") for node in tree.iter("{*}fldSimple")]
    return sorted({m.group(1).upper() for text in instructions
                   for m in [FETCHING_FIELDS.search(text)] if m})
