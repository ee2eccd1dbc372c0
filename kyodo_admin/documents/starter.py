"""Word templates made from a city's form: the starter (「ひな形」) and the shipped 様式.

``starter(kind, definition)`` writes a .docx that prints a record of the kind the way a
city files it: 様式番号, date, addressee, applicant block, title, the record's own items
and then every section of the city's current form as a bordered 項目｜内容 table in the
form's order — table fields as row loops (``{%tr for %}``) with money totals, optional
and conditional items left out when empty (``{%tr if %}`` / ``{%p if %}``), ＭＳ 明朝,
headings kept with what follows, header rows repeated on each page. A clerk downloads
it (設定 > Word様式 > ひな形をダウンロード, or ``kyodo templates starter``) and edits the
wording in Word. ``doc_templates/build.py`` makes the shipped templates with it.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ..formschema.definition import fields_of
from ..formschema.types import REGISTRY, FieldType

FONT = "ＭＳ 明朝"
#: Fixed zip timestamps: the same form makes the same bytes.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
         "center": WD_ALIGN_PARAGRAPH.CENTER}
#: The document kind whose items a form kind's records fill (None: the document has no form).
FORM_OF: dict[str, str | None] = {
    "basic_sheet": "basic_sheet", "review_result_notice": None, "project_plan": "project_plan",
    "agreement": "agreement", "completion_report": "completion_report",
    "evaluation": "evaluation", "continuation_notice": None,
}


@dataclass(frozen=True)
class Item:
    """One row of a 項目｜内容 table. ``shown_if``: the row is left out when it is false;
    ``column``: the record column it prints (left out when the form's answer fills it)."""

    label: str
    value: str
    shown_if: str | None = None
    column: str | None = None


#: A table cell's left and right margins together (Word's default 1.9 mm each), and a little
#: for the printer's font being wider than the one measured.
CELL_PADDING_MM = 3.8 + 1.5


def printed_width(text: str, font_pt: float) -> float:
    """How wide ``text`` prints on one line, in mm: a full-width character is one em, any
    other a little over half of one (a 明朝 font's digits are half an em, IPAex明朝's, which
    LibreOffice may print with, a little more), and a quarter em where Japanese and Latin
    characters meet (the space Word and LibreOffice put between them: 令和 8 年)."""
    em = font_pt * 25.4 / 72
    wide = [unicodedata.east_asian_width(c) in "WF" for c in text]
    meetings = sum(a != b for a, b in zip(wide, wide[1:], strict=False))
    return sum(em if w else em * 0.6 for w in wide) + meetings * em / 4


def fitted_widths(preferred: Sequence[float], whole: Sequence[float], total: float) -> list[float]:
    """Column widths filling ``total`` mm in the proportions of ``preferred``, each at least
    ``whole`` (the width of its longest text that must stay on one line: a date, an amount);
    the columns that may wrap give way for those that may not."""
    fixed: dict[int, float] = {}
    while True:
        free = [i for i in range(len(preferred)) if i not in fixed]
        room = total - sum(fixed.values())
        scale = room / sum(preferred[i] for i in free) if free else 0
        widths = [fixed.get(i, preferred[i] * scale) for i in range(len(preferred))]
        short = [i for i in free if widths[i] < whole[i]]
        if not short:
            return widths
        fixed.update({i: whole[i] for i in short})


@dataclass(frozen=True)
class Column:
    label: str
    value: str
    right: bool = False
    width: float | None = None


def _type(field: Any) -> FieldType:
    return REGISTRY[field["type"]]


def _element(tag: str, **attributes: str) -> Any:
    element = OxmlElement(tag)
    for key, value in attributes.items():
        element.set(qn(f"w:{key}"), value)
    return element


class WordBuilder:
    """An A4 document in ＭＳ 明朝 with the paragraphs and tables a 様式 is made of;
    ``number``: the 様式番号 printed at its top left."""

    def __init__(self, number: str = "{{ form.number }}", title: str = "{{ form.title }}") -> None:
        self.number = number
        self.doc = docx.Document()
        section = self.doc.sections[0]
        section.page_height, section.page_width = Mm(297), Mm(210)
        section.left_margin = section.right_margin = Mm(25)
        section.top_margin = section.bottom_margin = Mm(20)
        normal = self.doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(10.5)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
        # The title and the sections' titles are headings (read as such by a screen reader
        # and tagged H1/H2 in the PDF), printed as the paragraphs they were: ＭＳ 明朝, black.
        for name, size in (("Heading 1", 14.0), ("Heading 2", 10.5)):
            style = self.doc.styles[name]
            style.font.name, style.font.size, style.font.bold = FONT, Pt(size), True
            style.font.italic = False
            style.font.color.rgb = RGBColor(0, 0, 0)
            fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
            for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(attribute), None)
            fonts.set(qn("w:eastAsia"), FONT)
            style.paragraph_format.space_before = Pt(0)  # as a paragraph of the body (10 pt
            style.paragraph_format.space_after = Pt(10)  # after: the document's default)
        self.doc.core_properties.author = "kyodo_admin"
        self.doc.core_properties.title = title
        self._footer_page_number()

    def _footer_page_number(self) -> None:
        paragraph = self.doc.sections[0].footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run("- ")
        run = paragraph.add_run()
        run._r.append(_element("w:fldChar", fldCharType="begin"))
        instruction = _element("w:instrText")
        instruction.set(qn("xml:space"), "preserve")
        instruction.text = "PAGE"
        run._r.append(instruction)
        run._r.append(_element("w:fldChar", fldCharType="end"))
        paragraph.add_run(" -")

    def landscape(self, width_mm: float = 420, height_mm: float = 297, font_pt: float = 9) -> None:
        """A landscape page (A3 by default) with a smaller font, for wide tables."""
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(width_mm), Mm(height_mm)
        section.left_margin = section.right_margin = Mm(15)
        section.top_margin = section.bottom_margin = Mm(15)
        self.doc.styles["Normal"].font.size = Pt(font_pt)

    # -- paragraphs ------------------------------------------------------------------

    def para(self, text: str = "", align: str = "left", bold: bool = False,
             size: float | None = None, indent: bool = False, keep: bool = False,
             block: bool = False) -> Any:
        """A paragraph; ``block``: part of an address or signature block (left-aligned from
        the middle of the page, so that its lines start one under the other)."""
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = ALIGN[align]
        if block:
            paragraph.paragraph_format.left_indent = Mm(75)
            paragraph.paragraph_format.space_after = Pt(2)
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(10.5)
        if keep:
            paragraph.paragraph_format.keep_with_next = True
        run = paragraph.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        return paragraph

    def heading(self, text: str) -> None:
        self.para(text, align="center", keep=True).style = self.doc.styles["Heading 1"]
        self.para(keep=True)

    def subheading(self, text: str) -> None:
        """A section's title, never left alone at the foot of a page."""
        paragraph = self.para(text, keep=True)
        paragraph.style = self.doc.styles["Heading 2"]
        paragraph.paragraph_format.space_before = Pt(6)

    def gap(self) -> None:
        """A small paragraph after a table (two tables with nothing between them merge)."""
        paragraph = self.para()
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.paragraph_format.line_spacing = Pt(6)

    def tag(self, statement: str) -> None:
        """A paragraph holding only ``{%p … %}`` (docxtpl removes the paragraph itself)."""
        self.para(f"{{%p {statement} %}}")

    # -- tables ----------------------------------------------------------------------

    def _table(self, rows: int, columns: int) -> Any:
        table = self.doc.add_table(rows=rows, cols=columns)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        properties = table._tbl.tblPr
        margins = _element("w:tblCellMar")
        for side, width in (("top", "40"), ("left", "100"), ("bottom", "40"), ("right", "100")):
            margins.append(_element(f"w:{side}", w=width, type="dxa"))
        properties.append(margins)
        return table

    @staticmethod
    def _fill(cell: Any, text: str, bold: bool = False, right: bool = False,
              shade: bool = False) -> None:
        cell.text = text
        paragraph = cell.paragraphs[0]
        if right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if bold and paragraph.runs:
            paragraph.runs[0].bold = True
        if shade:
            cell._tc.get_or_add_tcPr().append(_element("w:shd", val="clear", color="auto",
                                                       fill="F2F2F2"))

    @staticmethod
    def _keep_row(row: Any, header: bool = False) -> None:
        properties = row._tr.get_or_add_trPr()
        properties.append(_element("w:cantSplit"))
        if header:
            properties.append(_element("w:tblHeader", val="true"))

    @staticmethod
    def _widths(table: Any, widths: Sequence[float]) -> None:
        """Column widths Word and LibreOffice both keep (the grid and every cell)."""
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Mm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Mm(width)

    def items(self, items: Sequence[Item], label_width: float = 42, value_width: float = 118) -> None:
        """A bordered 項目｜内容 table; a row with ``shown_if`` is left out when it is false."""
        if not items:
            return
        count = sum(3 if item.shown_if else 1 for item in items)
        table = self._table(count, 2)
        index = 0
        for item in items:
            if item.shown_if:
                table.rows[index].cells[0].text = f"{{%tr if {item.shown_if} %}}"
                index += 1
            row = table.rows[index]
            self._keep_row(row)
            self._fill(row.cells[0], item.label, shade=True)
            self._fill(row.cells[1], item.value)
            index += 1
            if item.shown_if:
                table.rows[index].cells[0].text = "{%tr endif %}"
                index += 1
        self._widths(table, [label_width, value_width])
        self.gap()

    def grid(self, columns: Sequence[Column], loop: str, total: Sequence[str] | None = None) -> None:
        """A table with a header row (repeated on each page) and one row per item of ``loop``."""
        table = self._table(4 + (1 if total else 0), len(columns))
        header = table.rows[0]
        self._keep_row(header, header=True)
        for cell, column in zip(header.cells, columns, strict=True):
            self._fill(cell, column.label, bold=True, shade=True)
        table.rows[1].cells[0].text = f"{{%tr for row in {loop} %}}"
        self._keep_row(table.rows[2])
        for cell, column in zip(table.rows[2].cells, columns, strict=True):
            self._fill(cell, column.value, right=column.right)
        table.rows[3].cells[0].text = "{%tr endfor %}"
        if total:
            for cell, column, text in zip(table.rows[4].cells, columns, total, strict=True):
                self._fill(cell, text, right=column.right, shade=True)
        if all(column.width for column in columns):
            self._widths(table, [column.width or 0 for column in columns])
        self.gap()

    def table_of(self, columns: Sequence[Column], rows: Sequence[Sequence[str]],
                 total: Sequence[str] | None = None) -> None:
        """A table of fixed text (no placeholders): a header row repeated on each page, a
        row per item, and a shaded total row."""
        table = self._table(1 + len(rows) + (1 if total else 0), len(columns))
        self._keep_row(table.rows[0], header=True)
        for cell, column in zip(table.rows[0].cells, columns, strict=True):
            self._fill(cell, column.label, bold=True, shade=True)
        for row, values in zip(table.rows[1:], rows, strict=False):
            self._keep_row(row)
            for cell, column, value in zip(row.cells, columns, values, strict=True):
                self._fill(cell, value, right=column.right)
        if total:
            for cell, column, value in zip(table.rows[-1].cells, columns, total, strict=True):
                self._fill(cell, value, right=column.right, shade=True)
        if all(column.width for column in columns):
            self._widths(table, [column.width or 0 for column in columns])

    # -- the form's answers ------------------------------------------------------------

    def answers(self, schema: dict[str, Any] | None, printed: frozenset[str] = frozenset()) -> None:
        """Every section of the form as a 項目｜内容 table, table fields as row loops.

        ``printed``: record columns the document prints among the record's own items; a
        field whose answer fills one of them is not printed twice."""
        for section in (schema or {}).get("sections", []):
            fields = [f for f in section.get("fields", [])
                      if not (isinstance(f.get("fills"), str) and f["fills"] in printed
                              and not _type(f).prints_rows)]
            if not fields:
                continue
            conditions = [shown_if(f) for f in fields]
            optional = all(conditions)
            if optional:  # nothing of it may be answered: the heading goes with its items
                self.tag("if " + " or ".join(str(c) for c in conditions))
            self.subheading(f"【{section['title']}】")
            pending: list[Item] = []
            for field in fields:
                if _type(field).prints_rows:
                    self.items(pending)
                    pending = []
                    self._table_field(field)
                else:
                    pending.append(answer_item(field))
            self.items(pending)
            if optional:
                self.tag("endif")

    def _table_field(self, field: dict[str, Any]) -> None:
        path = f"answers.{field['name']}"
        optional = shown_if(field)
        if optional:
            self.tag(f"if {optional}")
        self.para(field["label"], keep=True)
        columns = [Column(c["label"], f"{{{{ row.{c['name']} }}}}", right=_type(c).aligned_right)
                   for c in field.get("columns", [])]
        money = [_type(c).totalled for c in field.get("columns", [])]
        total = None
        if any(money):
            total = [f"{{{{ {path}|sum(attribute='{c['name']}')|yen }}}}" if is_money else ""
                     for c, is_money in zip(field["columns"], money, strict=True)]
            if not money[0]:
                total[0] = "合計"
        self.grid(columns, path, total)
        if optional:
            self.tag("endif")

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return reproducible(buffer.getvalue())


def shown_if(field: dict[str, Any]) -> str | None:
    """When a form field is printed: always (None) when required and not conditional (a
    yes/no too: いいえ says something), otherwise only when answered."""
    always = (field.get("required") or _type(field).printed_unanswered) \
        and not field.get("visible_if")
    return None if always else f"answers.{field['name']}"


def answer_item(field: dict[str, Any]) -> Item:
    """A form field's row of a 項目｜内容 table."""
    return Item(field["label"], f"{{{{ answers.{field['name']} }}}}", shown_if=shown_if(field))


def reproducible(data: bytes) -> bytes:
    """The .docx with fixed timestamps (zip entries and document properties)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                                 rb"\g<1>2026-01-01T00:00:00Z", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
    return out.getvalue()


# -- the parts each kind is made of ---------------------------------------------------

POSTAL = "{% if organization.postal_code %}〒{{ organization.postal_code }}　{% endif %}"
INDICATORS = [Column("評価項目", "{{ row.name }}", width=55), Column("単位", "{{ row.unit }}", width=20),
              Column("目標値", "{{ row.target }}", right=True, width=28),
              Column("実績値", "{{ row.actual }}", right=True, width=28),
              Column("達成率", "{{ row.achievement }}", right=True, width=25)]


def indicators(b: WordBuilder, title: str, planned_only: bool = False) -> None:
    """The plan's indicators (target, and actual with achievement unless ``planned_only``),
    left out with their heading when the plan has none."""
    b.tag("if indicators")
    b.subheading(title)
    b.grid(INDICATORS[:3] if planned_only else INDICATORS, "indicators")
    b.tag("endif")


def applicant_block(b: WordBuilder, who: str = "申請者") -> None:
    b.para(f"（{who}）", block=True)
    b.para(f"所在地　{POSTAL}{{{{ organization.address }}}}", block=True)
    b.para("団体名　{{ organization.name }}", block=True)
    b.para("代表者　{{ organization.representative }}", block=True)
    b.tag("if organization.phone or organization.email")
    b.para("連絡先　{{ organization.phone }}{% if organization.phone and organization.email %}"
           "　{% endif %}{{ organization.email }}", block=True)
    b.tag("endif")


def _record_items(b: WordBuilder, items: Iterable[Item],
                  schema: dict[str, Any] | None) -> frozenset[str]:
    """The record's own items. An item whose column a form answer fills is printed here
    (the record's column is what was decided) and left out of the form's sections,
    unless a table fills it: the table's rows then print it, once."""
    by_table = {f["fills"] for f in fields_of(schema or {})
                if isinstance(f.get("fills"), str) and _type(f).prints_rows}
    shown = [item for item in items if item.column not in by_table]
    b.items(shown)
    return frozenset(item.column for item in shown if item.column)


def _basic_sheet(b: WordBuilder, schema: dict[str, Any] | None) -> None:
    b.para(b.number)
    b.para("{{ proposal.received_on|wareki }}", align="right")
    b.para("{{ city.head_title }}　様")
    applicant_block(b, "提案者")
    b.heading("{{ form.title }}")
    printed = _record_items(b, [
        Item("受付番号", "{{ proposal.receipt_number }}", "proposal.receipt_number"),
        Item("提案事業名", "{{ proposal.title }}"),
        Item("提案年度", "{{ proposal.fiscal_year|nendo }}", "proposal.fiscal_year"),
        Item("提案者の区分", "{{ proposal.proposer_type }}", "proposal.proposer_type"),
        Item("協働の形態", "{{ proposal.collaboration_type }}", "proposal.collaboration_type",
             column="collaboration_type_id"),
        Item("事業の概要", "{{ proposal.summary }}", "proposal.summary", column="summary"),
        Item("予算規模", "{{ proposal.budget_amount|yen }}", "proposal.budget_amount",
             column="budget_amount"),
        Item("担当課", "{{ department.name }}", "department.name"),
    ], schema)
    b.answers(schema, printed)


def notice_head(b: WordBuilder, dated: str, title: str) -> None:
    """A notice's head: 様式番号, 文書番号, the date (``dated``), the organization addressed,
    the city's head, the title."""
    b.para(b.number)
    b.tag("if city.document_number")
    b.para("{{ city.document_number }}　　　号", align="right")
    b.tag("endif")
    b.para(f"{{{{ {dated}|wareki }}}}", align="right")
    b.para("{{ organization.name }}")
    b.para("{{ organization.representative }}　様")
    b.para("{{ city.head_title }}{% if city.head_name %}　{{ city.head_name }}{% endif %}",
           block=True)
    b.heading(title)


def _notice(b: WordBuilder, schema: dict[str, Any] | None) -> None:
    notice_head(b, "review.decided_on", "協働事業提案の検討結果について（通知）")
    b.para("{{ proposal.received_on|wareki }}に提案のあった「{{ proposal.title }}」"
           "（受付番号 {{ proposal.receipt_number }}）について、{% if review.meeting %}"
           "{{ review.meeting }}において{% endif %}{{ review.step }}を行った結果を、"
           "次のとおり通知します。", indent=True)
    b.para("記", align="center", keep=True)
    b.items([Item("検討結果", "{{ review.result }}"),
             Item("理由", "{{ review.reasons }}", "review.reasons"),
             Item("助言", "{{ review.advice }}", "review.advice")])
    b.para("{% if not review.passed %}この提案は、助言を踏まえて再度提案することができます。{% endif %}")
    b.answers(schema)
    b.para("（問合せ先）{{ city.coordinating_section }}", align="right")


def _project_plan(b: WordBuilder, schema: dict[str, Any] | None) -> None:
    b.para(b.number)
    b.heading("{{ form.title }}")
    b.para("{{ plan.fiscal_year|nendo }}", align="right")
    printed = _record_items(b, [
        Item("事業名", "{{ project.title }}"),
        Item("担当課", "{{ department.name }}", "department.name"),
        Item("実施団体", "{{ organization.name }}"),
        Item("事業期間", "{{ project.start_date|wareki }}から{{ project.end_date|wareki }}まで"),
        Item("目的（何のために）", "{{ plan.purpose }}", "plan.purpose", column="purpose"),
        Item("目標（いつまでにどれだけ）", "{{ plan.target }}", "plan.target", column="target"),
        Item("事業内容", "{{ plan.content }}", "plan.content", column="content"),
        Item("スケジュール", "{{ plan.schedule }}", "plan.schedule", column="schedule"),
    ], schema)
    indicators(b, "評価項目及び目標値", planned_only=True)
    b.answers(schema, printed)


ARTICLES = [
    ("目的", "この協定は、甲と乙が対等な立場で協働し、「{{ project.title }}」（以下「本事業」という。）"
             "を実施するために必要な事項を定めることを目的とする。"),
    ("期間", "本事業の期間は、{{ agreement.start_date|wareki }}から{{ agreement.end_date|wareki }}までとする。"
             "{% if year.several %}この期間は、{{ project.start_date|wareki }}から"
             "{{ project.end_date|wareki }}まで複数年度にわたり実施する本事業の{{ year.label }}"
             "（{{ year.fiscal_year|nendo }}）に当たる。{% endif %}"),
    ("事業内容", "本事業の内容は、別に定める事業計画書のとおりとする。"),
    ("役割分担", "甲及び乙の役割分担は、次の表のとおりとする。"),
    ("経費負担", "本事業に要する経費の負担は、次の表のとおりとする。"),
    ("責任", "{{ agreement.responsibility or '本事業の実施に伴う責任は、甲乙協議のうえ負担する。' }}"),
    ("個人情報", "甲及び乙は、本事業の実施に当たり知り得た個人情報を適正に取り扱い、"
                 "本事業の目的以外に利用してはならない。"),
    ("報告", "乙は、本事業の完了後1か月以内に、事業報告書を甲に提出しなければならない。"),
    ("変更・解除", "この協定の内容を変更する場合、又は協定を解除する場合は、甲乙協議のうえ書面で定める。"),
    ("協議", "この協定に定めのない事項及び疑義が生じた事項は、甲乙協議のうえ定める。"),
]
KANJI = "一二三四五六七八九十"


def _agreement(b: WordBuilder, schema: dict[str, Any] | None) -> None:
    b.para(b.number)
    b.heading("{{ agreement.title }}")
    b.para("{{ city.name }}（以下「甲」という。）と{{ organization.name }}（以下「乙」という。）は、"
           "「{{ project.title }}」の実施について、次のとおり協定を締結する。", indent=True)
    for index, (title, text) in enumerate(ARTICLES, start=1):
        b.para(f"（{title}）", bold=True, keep=True)
        b.para(f"第{KANJI[index - 1]}条　{text}", keep=title in ("役割分担", "経費負担"))
        if title == "役割分担":
            b.grid([Column("項目", "{{ row.item }}", width=40),
                    Column("甲（{{ city.name }}）の役割", "{{ row.city_role }}", width=60),
                    Column("乙（{{ organization.name }}）の役割", "{{ row.organization_role }}",
                           width=60)], "role_shares")
        if title == "経費負担":
            b.grid([Column("費目", "{{ row.item }}", width=45),
                    Column("甲の負担額", "{{ row.city_amount|yen }}", right=True, width=35),
                    Column("乙の負担額", "{{ row.organization_amount|yen }}", right=True, width=35),
                    Column("備考", "{{ row.note }}", width=45)], "cost_shares",
                   total=["合計", "{{ totals.city|yen }}", "{{ totals.organization|yen }}",
                          "総額 {{ totals.all|yen }}"])
    b.answers(schema)
    b.para("この協定の締結を証するため、本書2通を作成し、甲乙記名押印のうえ、各自1通を保有する。",
           indent=True, keep=True)
    b.para("{{ agreement.signed_on|wareki }}", keep=True)
    b.para("甲　{{ city.name }}", block=True, keep=True)
    b.para("　　{{ agreement.city_signatory or (city.head_title ~ '　' ~ city.head_name) }}　　印",
           block=True, keep=True)
    b.para("", keep=True)
    b.para(f"乙　住所　{POSTAL}{{{{ organization.address }}}}", block=True, keep=True)
    b.para("　　名称　{{ organization.name }}", block=True, keep=True)
    b.para("　　代表者　{{ agreement.organization_signatory or organization.representative }}　　印",
           block=True)


def _completion_report(b: WordBuilder, schema: dict[str, Any] | None) -> None:
    b.para(b.number)
    b.para("{{ report.submitted_on|wareki }}", align="right")
    b.para("{{ city.head_title }}　様")
    applicant_block(b, "報告者")
    b.heading("{{ form.title }}")
    b.para("{{ report.fiscal_year|nendo }}に実施した「{{ project.title }}」について、"
           "次のとおり報告します。", indent=True)
    printed = _record_items(b, [
        Item("事業名", "{{ project.title }}"),
        Item("事業期間", "{{ project.start_date|wareki }}から{{ project.end_date|wareki }}まで"),
        Item("完了日", "{{ project.completed_on|wareki }}", "project.completed_on"),
        Item("提出期限", "{{ report.due_on|wareki }}", "report.due_on"),
        Item("実施内容", "{{ report.summary }}", "report.summary", column="summary"),
    ], schema)
    indicators(b, "評価項目の達成状況")
    b.subheading("経費（計画と実績）")
    b.items([Item("協定の経費総額（計画）", "{{ costs.planned|yen }}", "costs.planned is not none"),
             Item("決算額（実績）", "{{ costs.actual|yen }}", "costs.actual is not none"),
             Item("差額", "{{ costs.difference|yen }}", "costs.difference is not none")])
    b.answers(schema, printed)


def _evaluation(b: WordBuilder, schema: dict[str, Any] | None) -> None:
    b.para(b.number)
    b.heading("{{ form.title }}")
    b.para("{{ evaluation.evaluated_on|wareki }}", align="right")
    printed = _record_items(b, [
        Item("事業名", "{{ project.title }}"),
        Item("年度", "{{ project.fiscal_year|nendo }}", "project.fiscal_year"),
        Item("担当課", "{{ department.name }}", "department.name"),
        Item("実施団体", "{{ organization.name }}"),
        Item("評価の区分", "{{ evaluation.side }}"),
        Item("評価者", "{{ evaluation.evaluator }}", "evaluation.evaluator"),
        Item("総合評価", "{{ evaluation.rating }}", "evaluation.rating", column="rating"),
        Item("所見", "{{ evaluation.comment }}", "evaluation.comment", column="comment"),
    ], schema)
    indicators(b, "評価項目の達成状況")
    b.answers(schema, printed)


def _continuation_notice(b: WordBuilder, schema: dict[str, Any] | None) -> None:
    notice_head(b, "decision.decided_on", "協働事業の継続審査の結果について（通知）")
    b.para("{{ project.start_date|wareki }}から実施している協働事業「{{ project.title }}」の"
           "{{ year.label }}（{{ year.fiscal_year|nendo }}）について、{% if decision.meeting %}"
           "{{ decision.meeting }}において{% endif %}継続審査を行った結果を、次のとおり通知します。",
           indent=True)
    b.para("記", align="center", keep=True)
    b.items([Item("事業名", "{{ project.title }}"),
             Item("審査した年度", "{{ year.label }}（{{ year.fiscal_year|nendo }}）"),
             Item("審査結果", "{{ decision.result }}"),
             Item("理由", "{{ decision.reasons }}"),
             Item("継続の条件", "{{ decision.conditions }}", "decision.conditions"),
             Item("次の年度", "第{{ decision.next_number }}年度（{{ decision.next_fiscal_year|nendo }}）",
                  "decision.continued")])
    b.para("{% if decision.continued %}次の年度の事業計画書と協定書について、担当課と協議して"
           "ください。{% else %}この協働事業は{{ year.label }}をもって終了します。事業報告書の"
           "提出などへのご協力に感謝します。{% endif %}")
    b.para("（問合せ先）{{ city.coordinating_section }}", align="right")


KINDS = {"basic_sheet": _basic_sheet, "review_result_notice": _notice,
         "project_plan": _project_plan, "agreement": _agreement,
         "completion_report": _completion_report, "evaluation": _evaluation,
         "continuation_notice": _continuation_notice}


def starter(kind: str, schema: dict[str, Any] | None, number: str | None = None) -> bytes:
    """The .docx of a kind for a form's sections (``schema``; None for a kind without form).
    ``number``: a fixed 様式番号 (default: the form's, or none for a kind without form)."""
    builder = WordBuilder(number if number is not None else
                          "{{ form.number }}" if FORM_OF[kind] else "")
    KINDS[kind](builder, schema)
    return builder.save()
