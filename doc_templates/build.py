"""Build the shipped Word templates doc_templates/<city>/<kind>.docx, reproducibly.

    python doc_templates/build.py

Each template follows the city's office conventions: 様式番号, dates in the
Japanese era, the addressee, the applicant block, page numbers in the footer,
ＭＳ 明朝; the agreement has 甲/乙, numbered articles, role and cost tables
(row loops with totals) and a 記名押印 block. The items of the city's
configured form (forms/<city>/<kind>.yaml) are listed with their answers.
Fixed zip timestamps make the output byte-identical on every run.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from kyodo_admin.formschema.definition import load_yaml  # noqa: E402

FONT = "ＭＳ 明朝"
CITIES = {"kamakura": "鎌倉市", "saitama": "埼玉県", "hachioji": "八王子市", "koganei": "小金井市",
          "kunitachi": "国立市"}
#: Document kind -> the form kind whose items it lists.
FORM_OF = {"basic_sheet": "basic_sheet", "review_result_notice": None,
           "project_plan": "project_plan", "agreement": "agreement",
           "completion_report": "completion_report", "evaluation": "evaluation"}


class Builder:
    def __init__(self) -> None:
        self.doc = docx.Document()
        section = self.doc.sections[0]
        section.page_height, section.page_width = Mm(297), Mm(210)
        section.left_margin = section.right_margin = Mm(25)
        section.top_margin = section.bottom_margin = Mm(20)
        normal = self.doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(10.5)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
        self.doc.core_properties.author = "kyodo_admin"
        self.doc.core_properties.title = "{{ form.title }}"
        self._footer_page_number()

    def _footer_page_number(self) -> None:
        paragraph = self.doc.sections[0].footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run("- ")
        run = paragraph.add_run()
        for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if tag:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), tag)
            else:
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = text
            run._r.append(element)
        paragraph.add_run(" -")

    def para(self, text: str = "", align: str = "left", bold: bool = False, size: float | None = None,
             indent: bool = False) -> None:
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                               "center": WD_ALIGN_PARAGRAPH.CENTER}[align]
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(10.5)
        run = paragraph.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)

    def heading(self, text: str) -> None:
        self.para(text, align="center", bold=True, size=14)

    def table(self, headers: list[str], cells: list[str], loop: str | None = None,
              total: list[str] | None = None, widths: list[float] | None = None) -> None:
        rows = 1 + (3 if loop else 1) + (1 if total else 0)
        table = self.doc.add_table(rows=rows, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        header = table.rows[0]
        header._tr.get_or_add_trPr().append(_repeat_header())
        for cell, text in zip(header.cells, headers, strict=True):
            cell.text = text
            cell.paragraphs[0].runs[0].bold = True
        index = 1
        if loop:
            table.rows[index].cells[0].text = f"{{%tr for row in {loop} %}}"
            index += 1
        for cell, text in zip(table.rows[index].cells, cells, strict=True):
            cell.text = text
        index += 1
        if loop:
            table.rows[index].cells[0].text = "{%tr endfor %}"
            index += 1
        if total:
            for cell, text in zip(table.rows[index].cells, total, strict=True):
                cell.text = text
        if widths:
            for row in table.rows:
                for cell, width in zip(row.cells, widths, strict=True):
                    cell.width = Mm(width)
        self.doc.add_paragraph()

    def answers(self, definition: dict | None) -> None:
        if not definition:
            return
        for section in definition["sections"]:
            self.para(f"【{section['title']}】", bold=True)
            for field in section["fields"]:
                name = field["name"]
                if isinstance(field.get("fills"), str) and field["type"] != "table":
                    continue  # printed once, from the record's column it fills
                if field["type"] == "table":
                    self.para(field["label"])
                    columns = field["columns"]
                    self.table([c["label"] for c in columns],
                               [f"{{{{ row.{c['name']} }}}}" for c in columns],
                               loop=f"answers.{name}")
                else:
                    self.para(f"{field['label']}：{{{{ answers.{name} }}}}")

    def save(self, path: Path) -> None:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_reproducible(buffer.getvalue()))


def _repeat_header() -> OxmlElement:
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    return element


def _reproducible(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = _fixed_core(content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
    return out.getvalue()


def _fixed_core(content: bytes) -> bytes:
    import re

    return re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", content)


def applicant_block(b: Builder) -> None:
    b.para("（申請者）", align="right")
    b.para("団体名　{{ organization.name }}", align="right")
    b.para("代表者　{{ organization.representative }}", align="right")
    b.para("所在地　〒{{ organization.postal_code }} {{ organization.address }}", align="right")
    b.para("連絡先　{{ organization.phone }}　{{ organization.email }}", align="right")


def build_basic_sheet(b: Builder, city: str, number: str, definition: dict | None) -> None:
    b.para(number)
    b.para("{{ proposal.received_on|wareki }}", align="right")
    b.para("{{ city.head_title }}　様")
    applicant_block(b)
    b.heading("{{ form.title }}")
    b.para("受付番号：{{ proposal.receipt_number }}　　提案年度：{{ proposal.fiscal_year|nendo }}")
    b.para("提案事業名：{{ proposal.title }}")
    b.para("提案者の区分：{{ proposal.proposer_type }}　　予算規模：{{ proposal.budget_amount|yen }}")
    b.para("概要：{{ proposal.summary }}")
    b.answers(definition)


def build_notice(b: Builder, city: str, number: str, _definition: dict | None) -> None:
    b.para(number)
    b.para("{{ review.decided_on|wareki }}", align="right")
    b.para("{{ organization.name }}")
    b.para("{{ organization.representative }}　様")
    b.para("{{ city.head_title }}", align="right")
    b.heading("協働事業提案の検討結果について（通知）")
    b.para("{{ proposal.received_on|wareki }}に提案のあった「{{ proposal.title }}」"
           "（受付番号 {{ proposal.receipt_number }}）について、{{ review.meeting }}において"
           "{{ review.step }}を行った結果を、次のとおり通知します。", indent=True)
    b.para("記", align="center")
    b.para("１　検討結果　{{ review.result }}")
    b.para("２　理由　{{ review.reasons }}")
    b.para("３　助言　{{ review.advice }}")
    b.para("{% if not review.passed %}この提案は、助言を踏まえて再度提案することができます。{% endif %}")
    b.para("（問合せ先）{{ city.coordinating_section }}", align="right")


def build_project_plan(b: Builder, city: str, number: str, definition: dict | None) -> None:
    b.para(number)
    b.heading("{{ form.title }}")
    b.para("{{ plan.fiscal_year|nendo }}", align="right")
    b.para("事業名：{{ project.title }}")
    b.para("担当課：{{ department.name }}　　実施団体：{{ organization.name }}")
    b.para("事業期間：{{ project.start_date|wareki }}から{{ project.end_date|wareki }}まで")
    b.para("目的（何のために）：{{ plan.purpose }}")
    b.para("目標（いつまでにどれだけ）：{{ plan.target }}")
    if not any(f.get("fills") == "content" for s in (definition or {}).get("sections", [])
               for f in s["fields"]):
        b.para("事業内容：{{ plan.content }}")  # else the form's table prints it
    b.para("評価項目及び目標値", bold=True)
    b.table(["評価項目", "単位", "目標値"], ["{{ row.name }}", "{{ row.unit }}", "{{ row.target }}"],
            loop="indicators")
    b.answers(definition)


ARTICLES = [
    ("目的", "この協定は、甲と乙が対等な立場で協働し、「{{ project.title }}」（以下「本事業」という。）"
             "を実施するために必要な事項を定めることを目的とする。"),
    ("期間", "本事業の期間は、{{ agreement.start_date|wareki }}から{{ agreement.end_date|wareki }}までとする。"),
    ("事業内容", "本事業の内容は、別に定める事業計画書のとおりとする。"),
    ("役割分担", "甲及び乙の役割分担は、次の表のとおりとする。"),
    ("経費負担", "本事業に要する経費の負担は、次の表のとおりとする。"),
    ("責任", "{{ agreement.responsibility }}"),
    ("個人情報", "甲及び乙は、本事業の実施に当たり知り得た個人情報を適正に取り扱い、"
                 "本事業の目的以外に利用してはならない。"),
    ("報告", "乙は、本事業の完了後1か月以内に、事業報告書を甲に提出しなければならない。"),
    ("変更・解除", "この協定の内容を変更する場合、又は協定を解除する場合は、甲乙協議のうえ書面で定める。"),
    ("協議", "この協定に定めのない事項及び疑義が生じた事項は、甲乙協議のうえ定める。"),
]
KANJI = "一二三四五六七八九十"


def build_agreement(b: Builder, city: str, number: str, definition: dict | None) -> None:
    b.para(number)
    b.heading("{{ agreement.title }}")
    b.para("{{ city.name }}（以下「甲」という。）と{{ organization.name }}（以下「乙」という。）は、"
           "「{{ project.title }}」の実施について、次のとおり協定を締結する。", indent=True)
    for index, (title, text) in enumerate(ARTICLES, start=1):
        label = KANJI[index - 1] if index <= 10 else str(index)
        b.para(f"（{title}）", bold=True)
        b.para(f"第{label}条　{text}")
        if title == "役割分担":
            b.table(["項目", "甲（{{ city.name }}）の役割", "乙（{{ organization.name }}）の役割"],
                    ["{{ row.item }}", "{{ row.city_role }}", "{{ row.organization_role }}"],
                    loop="role_shares", widths=[40, 60, 60])
        if title == "経費負担":
            b.table(["費目", "甲の負担額", "乙の負担額", "備考"],
                    ["{{ row.item }}", "{{ row.city_amount|yen }}",
                     "{{ row.organization_amount|yen }}", "{{ row.note }}"],
                    loop="cost_shares",
                    total=["合計", "{{ totals.city|yen }}", "{{ totals.organization|yen }}",
                           "総額 {{ totals.all|yen }}"], widths=[45, 35, 35, 45])
    b.answers(definition)
    b.para("この協定の締結を証するため、本書2通を作成し、甲乙記名押印のうえ、各自1通を保有する。",
           indent=True)
    b.para("{{ agreement.signed_on|wareki }}", align="left")
    b.para("甲　{{ city.name }}", align="right")
    b.para("{{ agreement.city_signatory }}　　　　印", align="right")
    b.para("乙　{{ organization.address }}", align="right")
    b.para("{{ organization.name }}", align="right")
    b.para("{{ agreement.organization_signatory }}　　　　印", align="right")


def build_completion_report(b: Builder, city: str, number: str, definition: dict | None) -> None:
    b.para(number)
    b.para("{{ report.submitted_on|wareki }}", align="right")
    b.para("{{ city.head_title }}　様")
    applicant_block(b)
    b.heading("{{ form.title }}")
    b.para("{{ report.fiscal_year|nendo }}に実施した「{{ project.title }}」について、"
           "次のとおり報告します。", indent=True)
    b.para("事業期間：{{ project.start_date|wareki }}から{{ project.end_date|wareki }}まで"
           "（完了日 {{ project.completed_on|wareki }}、提出期限 {{ report.due_on|wareki }}）")
    b.para("実施内容：{{ report.summary }}")
    b.para("評価項目の達成状況", bold=True)
    b.table(["評価項目", "単位", "目標値", "実績値", "達成率"],
            ["{{ row.name }}", "{{ row.unit }}", "{{ row.target }}", "{{ row.actual }}",
             "{{ row.achievement }}"], loop="indicators")
    b.para("経費（計画と実績）", bold=True)
    b.table(["区分", "金額"], ["協定の経費総額（計画）", "{{ costs.planned|yen }}"],
            total=["決算額（実績）", "{{ costs.actual|yen }}"])
    b.answers(definition)


def build_evaluation(b: Builder, city: str, number: str, definition: dict | None) -> None:
    b.para(number)
    b.heading("{{ form.title }}")
    b.para("{{ evaluation.evaluated_on|wareki }}", align="right")
    b.para("事業名：{{ project.title }}（{{ project.fiscal_year|nendo }}）")
    b.para("担当課：{{ department.name }}　　実施団体：{{ organization.name }}")
    b.para("評価の区分：{{ evaluation.side }}　　評価者：{{ evaluation.evaluator }}")
    b.para("総合評価：{{ evaluation.rating }}")
    b.table(["評価項目", "単位", "目標値", "実績値", "達成率"],
            ["{{ row.name }}", "{{ row.unit }}", "{{ row.target }}", "{{ row.actual }}",
             "{{ row.achievement }}"], loop="indicators")
    b.para("所見：{{ evaluation.comment }}")
    b.answers(definition)


BUILDERS = {"basic_sheet": build_basic_sheet, "review_result_notice": build_notice,
            "project_plan": build_project_plan, "agreement": build_agreement,
            "completion_report": build_completion_report, "evaluation": build_evaluation}
NOTICE_NUMBER = "様式第7号"


def main() -> None:
    forms = ROOT.parent / "forms"
    for slug in CITIES:
        for kind, build in BUILDERS.items():
            form_kind = FORM_OF[kind]
            definition = load_yaml((forms / slug / f"{form_kind}.yaml").read_text(encoding="utf-8")) \
                if form_kind else None
            number = definition.get("form_number", "") if definition else NOTICE_NUMBER
            builder = Builder()
            build(builder, CITIES[slug], number, definition)
            builder.save(ROOT / slug / f"{kind}.docx")
    print("built", len(CITIES) * len(BUILDERS), "templates")


if __name__ == "__main__":
    main()
