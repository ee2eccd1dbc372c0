"""Warm PDF converters: a killed one is replaced, and without the pool PDF still works."""

from __future__ import annotations

import io
import os
import signal

import docx as python_docx
import pytest

from kyodo_admin.documents import pdf, pdf_pool

from .test_pdf import needs_libreoffice, pdf_text_and_fonts


def needs_uno() -> None:
    needs_libreoffice()
    if pdf_pool.Pool(1)._start(probe := pdf_pool.Converter(99)):
        probe.stop()
        return
    message = "LibreOffice's Python module is missing (Debian package python3-uno)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def long_document(pages: int = 150) -> bytes:
    """A Word file that takes LibreOffice a while to convert."""
    document = python_docx.Document()
    for page in range(pages):
        document.add_heading(f"第{page + 1}条　協働の内容", level=2)
        for _ in range(6):
            document.add_paragraph("市と団体は、対等の立場で協働して事業を行う。" * 8)
        document.add_page_break()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def pool(monkeypatch):
    created = pdf_pool.Pool(1)
    monkeypatch.setattr(pdf_pool, "pool", lambda: created)
    yield created
    created.stop()


def test_a_converter_killed_mid_run_is_replaced_and_the_document_still_converts(pool, monkeypatch):
    needs_uno()
    assert pdf.to_pdf(long_document(2)).startswith(b"%PDF")  # the converter is warm
    converter = pool.converters[0]
    first = converter.process.pid
    # The converter dies as the conversion starts (killed with its LibreOffice): waiting a
    # second and killing raced a warm LibreOffice that had already finished.
    original, killed = pdf_pool.Converter.convert, []

    def dies_while_converting(self, data):
        if not killed:
            killed.append(self.process.pid)
            os.killpg(self.process.pid, signal.SIGKILL)
        return original(self, data)

    monkeypatch.setattr(pdf_pool.Converter, "convert", dies_while_converting)
    result = pdf.to_pdf(long_document(3))
    assert killed == [first]
    assert result.startswith(b"%PDF") and "第3条" in pdf_text_and_fonts(result)[0]
    assert converter.alive() and converter.process.pid != first and not pool.broken
    assert pdf.to_pdf(long_document(1)).startswith(b"%PDF")  # the new one goes on


def test_with_the_pool_off_a_pdf_is_still_made(monkeypatch):
    needs_libreoffice()
    monkeypatch.setattr(pdf_pool, "SIZE", 0)
    started = []
    monkeypatch.setattr(pdf_pool.Converter, "start", lambda self: started.append(self))
    data = pdf.to_pdf(long_document(1))
    assert data.startswith(b"%PDF") and started == []


def test_a_pool_that_cannot_start_falls_back_and_stays_out_of_the_way(pool, monkeypatch):
    needs_libreoffice()
    monkeypatch.setattr(pdf_pool, "PYTHON", "/nonexistent/python3")
    assert pdf.to_pdf(long_document(1)).startswith(b"%PDF")
    assert pool.broken  # the next documents go straight to a LibreOffice of their own
    assert pdf.to_pdf(long_document(1)).startswith(b"%PDF")
