"""Word templates (Word様式) and the archive of every generated document."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .base import Base, CityOwned, TimestampMixin, VersionedMixin

DOCUMENT_KINDS = {
    "basic_sheet": "基本シート（提案書）",
    "review_result_notice": "検討結果通知書",
    "project_plan": "事業計画書",
    "agreement": "協定書",
    "completion_report": "事業報告書",
    "evaluation": "事業評価書",
    "continuation_notice": "継続審査結果通知書",
}


class DocumentTemplate(CityOwned, VersionedMixin, TimestampMixin, Base):
    """One uploaded revision of a .docx template for one document kind."""

    __tablename__ = "document_template"
    __table_args__ = (UniqueConstraint("city_id", "kind", "revision"),)
    label = "Word様式"
    audited = True

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(default=1)
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    #: The printing rules it was written for (``documents.printing``): it keeps printing what
    #: it printed when registered. Rows from before the rules were kept are 1.
    printing: Mapped[int] = mapped_column(default=2, server_default="1")
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    def __str__(self) -> str:
        return gettext("%(kind)s 第%(n)s版", kind=gettext(DOCUMENT_KINDS.get(self.kind, self.kind)),
                       n=self.revision)


class GeneratedDocument(CityOwned, TimestampMixin, Base):
    """An issued document: the exact bytes, and what they were made from."""

    __tablename__ = "generated_document"
    label = "発行文書"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_template.id", ondelete="RESTRICT")
    )
    record_type: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[int]
    record_version: Mapped[int | None]
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    template: Mapped[DocumentTemplate | None] = relationship()

    def __str__(self) -> str:
        return self.filename


BATCH_STATES = {"running": "作成中", "done": "完了", "failed": "中止"}


class DocumentBatch(CityOwned, TimestampMixin, Base):
    """A bulk issue too long for one request: its progress, then the archived documents.

    Rendering runs in the background and counts ``done``; the documents are
    archived together at the end (all or none), and the ZIP is built from them.
    """

    __tablename__ = "document_batch"
    label = "一括作成"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_type: Mapped[str] = mapped_column(String(50))
    record_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    #: queued (waiting for a worker), running, done or failed.
    status: Mapped[str] = mapped_column(String(20), default="queued")
    error: Mapped[str] = mapped_column(Text, default="")
    document_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The process running it ("host:pid"): on the same machine, a dead one is seen at once.
    owner: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: "docx" (the ZIP is built from the archived documents) or "pdf" (their PDFs, made by
    #: the batch and kept in ``pdf_zip``; the archive keeps the Word files as always).
    format: Mapped[str] = mapped_column(String(10), default="docx", server_default="docx")
    pdf_zip: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    def __str__(self) -> str:
        return gettext("%(kind)s %(n)s件", kind=gettext(DOCUMENT_KINDS.get(self.kind, self.kind)),
                       n=self.total)


class Attachment(CityOwned, TimestampMixin, Base):
    """A file attached to a record through a configured form's file field."""

    __tablename__ = "attachment"
    label = "添付ファイル"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: The record whose form answer holds the file (a proposal's 添付資料…), once it is saved.
    record_type: Mapped[str | None] = mapped_column(String(50))
    record_id: Mapped[int | None]

    def __str__(self) -> str:
        return self.filename


class ImportUpload(CityOwned, TimestampMixin, Base):
    """A spreadsheet between the steps of Excelから取込 (read → map and check → import): in
    the database, so that any web process serves the next step; deleted once imported."""

    __tablename__ = "import_upload"
    label = "取込中のファイル"
    audited = False  # each imported record has its own 取込 event

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: The file as a worker read it (``services.imports.Sheet.as_json``); None until then.
    sheet: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSON))
    #: What the clerk chose last: header_line, header_lines, mapping (the next step keeps it).
    choices: Mapped[dict[str, Any] | None] = mapped_column(JSON)
