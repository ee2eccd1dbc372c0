"""The annual ledger (協働事業一覧): every project of a city's fiscal year on one sheet — the
table a coordinating section hands to its council and publishes."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..display import in_japanese
from ..documents.wareki import nendo, number, wareki, yen
from ..models.agreement import Agreement
from ..models.project import YEAR_STATES, Indicator, Project, ProjectPlan
from ..models.report import CompletionReport, Evaluation
from ..sessions import Session
from .evaluations import SIDES, YearResult, year_results
from .projects import rows_by_project, runs_in
from .spreadsheets import NUMBER_FORMAT, typed

#: A share in Excel: 0.75 shown as 75.0%.
SHARE_FORMAT = "0.0%"
#: The printed ledger's type size (A3 landscape).
LEDGER_FONT_PT = 9
#: The columns of amounts (with their totals) and of the city's share of the cost.
AMOUNTS, SHARE = (8, 9), 10
#: (header, preferred width) of the ledger's columns.
COLUMNS = [("事業名", 30), ("協働の相手方", 24), ("協働の形態", 14), ("担当課", 20), ("状態", 10),
           ("開始日", 16), ("終了日", 16), ("役割分担", 40), ("市の負担額", 20),
           ("団体の負担額", 20), ("市の負担割合", 12), ("指標（目標・実績・達成率）", 40), ("事業報告書の提出日", 16),
           ("評価", 30)]


@dataclass
class LedgerRow:
    project: Project
    agreement: Agreement | None
    result: YearResult | None
    #: The year's indicators: the report's (with actuals), else the year's plan's targets.
    indicators: list[Indicator]
    fiscal_year: int

    @property
    def title(self) -> str:
        """The project's name, with which of its years this is when it runs over several."""
        number = self.project.year_number_of(self.fiscal_year)
        many = len(self.project.years) > 1 or number not in (None, 1)
        return f"{self.project.title}（第{number}年度）" if many else self.project.title

    @property
    def state(self) -> str:
        return YEAR_STATES.get(self.project.year_state(self.fiscal_year), self.project.status)


def ledger_rows(session: Session, fiscal_year: int) -> list[LedgerRow]:
    """The projects running in the year (the session is scoped to the city; a project over
    three years is in each of the three), each with the year's signed agreement, report,
    evaluations and indicators: a statement per kind of record, not per project."""
    projects = list(session.execute(select(Project).where(runs_in(fiscal_year))
                                    .order_by(Project.id).options(
        selectinload(Project.organization), selectinload(Project.collaboration_type),
        selectinload(Project.department), selectinload(Project.years))).scalars())
    ids = [p.id for p in projects]
    agreements = rows_by_project(session, Agreement, ids, Agreement.status == "signed",
                             Agreement.fiscal_year == fiscal_year,
                             order=Agreement.id.desc(), options=(
                                 selectinload(Agreement.cost_shares),
                                 selectinload(Agreement.role_shares)))
    plans = rows_by_project(session, ProjectPlan, ids, order=ProjectPlan.fiscal_year,
                        options=(selectinload(ProjectPlan.indicators),))
    reports = rows_by_project(session, CompletionReport, ids, CompletionReport.fiscal_year == fiscal_year,
                          order=CompletionReport.id)
    evaluations = rows_by_project(session, Evaluation, ids, order=Evaluation.id)
    rows = []
    for project in projects:
        results = year_results(session, project, reports[project.id], evaluations[project.id],
                               plans=plans[project.id])
        result = results[0] if results else None
        planned = [i for plan in plans[project.id] if plan.fiscal_year == fiscal_year
                   for i in plan.indicators]
        rows.append(LedgerRow(project, next(iter(agreements[project.id]), None), result,
                              result.indicators if result and result.indicators else planned,
                              fiscal_year))
    return rows


def _roles(agreement: Agreement | None) -> str:
    if agreement is None:
        return ""
    return "\n".join(f"{r.item}：市 {r.city_role}／団体 {r.organization_role}"
                     for r in agreement.role_shares)


def _indicators(indicators: list[Indicator]) -> str:
    """As the plan and report pages show them: 「参加者 目標 100人／実績 120人（120%）」."""
    lines = []
    for indicator in indicators:
        unit = indicator.unit or ""
        line = f"{indicator.name} 目標 {number(indicator.target_value)}{unit}"
        if indicator.actual_value is not None:
            line += f"／実績 {number(indicator.actual_value)}{unit}"
            if indicator.achievement is not None:
                line += f"（{number(indicator.achievement)}%）"
        lines.append(line)
    return "\n".join(lines)


def _evaluations(result: YearResult | None) -> str:
    if result is None:
        return ""
    return "\n".join(f"{evaluation.side_label}：{evaluation.rating_label}"
                     for side in SIDES if (evaluation := result.evaluations.get(side)))


def ledger_values(row: LedgerRow) -> list[Any]:
    project, agreement, result = row.project, row.agreement, row.result
    report = result.report if result else None
    return [row.title, str(project.organization or ""), str(project.collaboration_type or ""),
            str(project.department or ""), row.state, project.start_date,
            project.end_date, _roles(agreement),
            agreement.city_cost_total if agreement else None,
            agreement.organization_cost_total if agreement else None,
            city_share(agreement), _indicators(row.indicators), report.submitted_on if report else None,
            _evaluations(result)]


def city_share(agreement: Agreement | None) -> float | None:
    """The city's share of the agreement's cost (0.75 for 75 %), None without a cost."""
    if agreement is None:
        return None
    total = agreement.city_cost_total + agreement.organization_cost_total
    return agreement.city_cost_total / total if total else None


def _total_share(values: list[list[Any]]) -> float | None:
    city = sum(v for row in values if isinstance(v := row[AMOUNTS[0]], int))
    whole = city + sum(v for row in values if isinstance(v := row[AMOUNTS[1]], int))
    return city / whole if whole else None


@in_japanese
def ledger_document(session: Session, city_name: str, fiscal_year: int) -> bytes:
    """The ledger as a Word table for printing (A3 landscape, ＭＳ 明朝): dates in 和暦,
    amounts right-aligned with their totals, the header row repeated on every page."""
    from ..documents.starter import (
        CELL_PADDING_MM,
        Column,
        WordBuilder,
        fitted_widths,
        printed_width,
    )

    builder = WordBuilder(number="", title=f"{city_name} 協働事業一覧（{nendo(fiscal_year)}）")
    builder.landscape(font_pt=LEDGER_FONT_PT)
    builder.para(f"{city_name} 協働事業一覧（{nendo(fiscal_year)}）", align="center", bold=True,
                 size=14)
    builder.para(f"{wareki(clock.today())}現在", align="right")
    amounts = AMOUNTS
    values = [ledger_values(row) for row in ledger_rows(session, fiscal_year)]
    texts = [[_printed(value, index in amounts) for index, value in enumerate(row)]
             for row in values]
    total = None
    if values:
        total = ["合計", *[""] * (len(COLUMNS) - 1)]
        for index in amounts:
            total[index] = yen(sum(v for row in values if isinstance(v := row[index], int)))
        total[SHARE] = _printed(_total_share(values), False)
    # a date or an amount is never broken over two lines: its column is as wide as its longest
    printed = [*texts, *([total] if total else [])]
    unbroken = [index in (*amounts, SHARE) or any(isinstance(row[index], dt.date) for row in values)
                for index in range(len(COLUMNS))]
    whole = [max((printed_width(row[index], LEDGER_FONT_PT) + CELL_PADDING_MM for row in printed),
                 default=0.0) if unbroken[index] else 0.0 for index in range(len(COLUMNS))]
    widths = fitted_widths([width for _header, width in COLUMNS], whole, 388)  # between margins
    columns = [Column(header, "", right=index in (*amounts, SHARE), width=width)
               for index, ((header, _preferred), width) in enumerate(zip(COLUMNS, widths,
                                                                          strict=True))]
    builder.table_of(columns, texts, total)
    if not values:
        builder.para("この年度の協働事業はありません。")
    return builder.save()


def _printed(value: Any, amount: bool) -> str:
    if value is None:
        return ""
    if amount:
        return yen(value)
    if isinstance(value, float):  # a share
        return f"{value * 100:.1f}％"
    if isinstance(value, dt.date):
        return wareki(value)
    return str(value)


@in_japanese
def ledger_workbook(session: Session, city_name: str, fiscal_year: int) -> bytes:
    """The ledger as an Excel workbook: amounts as numbers (with totals), dates as dates
    shown in 和暦, text never read as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = f"{fiscal_year}年度"
    sheet.append([f"{city_name} 協働事業一覧（{nendo(fiscal_year)}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([header for header, _width in COLUMNS])
    for index, (_header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.cell(row=2, column=index).font = Font(bold=True)
    rows = ledger_rows(session, fiscal_year)
    values = [ledger_values(row) for row in rows]
    for row_values in values:
        sheet.append(row_values)
        for cell in sheet[sheet.max_row]:
            if isinstance(typed(cell).value, str):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=sheet.max_row, column=SHARE + 1).number_format = SHARE_FORMAT
    if rows:
        total = sheet.max_row + 1
        sheet.cell(row=total, column=1, value="合計")
        sheet.cell(row=total, column=SHARE + 1, value=_total_share(values)).number_format = \
            SHARE_FORMAT
        for column in (AMOUNTS[0] + 1, AMOUNTS[1] + 1):
            # the sum itself, not =SUM(): a formula has no saved value until a spreadsheet
            # program recalculates it (blank in viewers, refused by an import)
            sheet.cell(row=total, column=column, value=sum(
                sheet.cell(row=line, column=column).value or 0 for line in range(3, total)))
            sheet.cell(row=total, column=column).number_format = NUMBER_FORMAT
    sheet.freeze_panes = "B3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
