"""The rendered .docx: untouched parts copied as stored, rendered parts deflated again; the
zip is one any reader opens, with every entry intact."""

from __future__ import annotations

import io
import zipfile

from kyodo_admin.documents.render import render
from kyodo_admin.services.documents import SHIPPED, example_context


def test_untouched_parts_are_copied_byte_for_byte_and_the_zip_is_sound():
    template = (SHIPPED / "kamakura" / "agreement.docx").read_bytes()
    out = render(template, example_context("agreement", any_answers=True))
    with zipfile.ZipFile(io.BytesIO(template)) as source, zipfile.ZipFile(io.BytesIO(out)) as result:
        assert result.testzip() is None  # every CRC matches
        assert result.namelist() == source.namelist()
        for info in source.infolist():
            copied = result.getinfo(info.filename)
            assert copied.date_time == info.date_time
            if info.filename in ("word/document.xml", "docProps/core.xml", "word/footer1.xml"):
                continue
            assert result.read(info.filename) == source.read(info)
            assert copied.compress_size == info.compress_size  # not compressed again
        body = result.read("word/document.xml").decode("utf-8")
        assert "{{" not in body and "特定非営利活動法人 まちの子育てネット" in body


def test_a_name_outside_ascii_is_marked_utf8():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>{{ city.name }}</w:document>")
        archive.writestr("customXml/様式.xml", "<x/>")
    out = render(buffer.getvalue(), {"city": {"name": "鎌倉市"}})
    with zipfile.ZipFile(io.BytesIO(out)) as result:
        assert result.read("customXml/様式.xml") == b"<x/>"
        assert result.getinfo("customXml/様式.xml").flag_bits & 0x800
        assert result.read("word/document.xml") == "<w:document>鎌倉市</w:document>".encode()
