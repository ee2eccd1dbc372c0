"""Importing the records a city already keeps in spreadsheets (organizations, proposals with
their form answers): read, map columns to fields, check every row, then all or nothing.

A file is .xlsx (the values Excel saved; merged header cells give their text to each column
they cover) or CSV in UTF-8 or Shift_JIS. Every row is checked before anything is written; an
error names the line and the column. Dates are read as a person writes them (2026/4/1,
令和8年4月1日, R8.4.1, an Excel date); amounts as 1,200,000 or 1,200,000円, never negative.
Each imported record has an 「取込」 event in the audit trail naming the file and line.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import logging
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import TransitionNotAllowed, ValidationFailed
from ..formschema import cells
from ..formschema.definition import fields_of
from ..formschema.types import REGISTRY
from ..models import (
    Agreement,
    City,
    CollaborationType,
    CompletionReport,
    CostShare,
    Department,
    ImportUpload,
    Indicator,
    Organization,
    Project,
    ProjectPlan,
    Proposal,
    QueuedWork,
    RoleShare,
    User,
)
from ..models.base import fiscal_year_of
from ..models.organization import ORGANIZATION_TYPES
from ..models.proposal import PROPOSER_TYPES
from ..sessions import Session
from ..workflow.rights import locked_reason, may_edit_field, read_only_reason
from .audit import record_events
from .form_definitions import current_definition
from .programme import check_agreement, year_problem
from .queued import handler
from .workflow import apply_transition, apply_transitions, in_current_year

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
TOO_BIG = (f"ファイルが大きすぎます（{MAX_BYTES // 1024 // 1024}MBまで）。"
           "行を分けて、いくつかのファイルで取り込んでください。")
MAX_ROWS = 10000
KINDS = {"organization": "団体", "proposal": "提案", "project": "協働事業",
         "project_plan": "事業計画", "agreement": "協定", "completion_report": "事業報告書"}


@dataclass
class Table:
    headers: list[str]
    #: (line number in the file, cells) of each row that is not empty.
    rows: list[tuple[int, list[Any]]]
    #: (first line, last line, header) of each cell merged down over rows of the table.
    merged_down: list[tuple[int, int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.line}行目" if self.line else "見出し"
        return f"{where}「{self.column}」: {self.message}" if self.column else f"{where}: {self.message}"


# -- reading ------------------------------------------------------------------------------


#: Rows that may hold the headers: a ledger's title, its date and notes come first.
HEADER_ROWS = 20


@dataclass
class Sheet:
    """A file as read, before its headers are chosen: every row that is not empty, with its
    line number, and the horizontal merges of the rows that may hold the headers (a merged
    cell names each column it covers). Kept as JSON between the steps (``as_json``)."""

    #: (line number, cells) of every row that is not empty, headers and titles included.
    grid: list[tuple[int, list[Any]]]
    #: (line, first column, last column) of each merge in the first HEADER_ROWS lines.
    merged: list[tuple[int, int, int]] = field(default_factory=list)
    #: (first line, last line, column) of each cell merged down over two lines or more.
    merged_down: list[tuple[int, int, int]] = field(default_factory=list)

    def table(self, header_line: int | None = None, header_lines: int = 1) -> Table:
        """The table whose headers are on ``header_line`` (and the next line too when
        ``header_lines`` is 2: 「団体」 over 「名称」 names the column 「団体 名称」);
        the line is guessed when not given (``guess_header``)."""
        if not self.grid:
            return Table([], [])
        if header_line is None:
            header_line, header_lines = self.guess_header()
        lines = [line for line, _row in self.grid]
        if header_line not in lines:
            raise ValidationFailed(gettext("%(header_line)s行目は空の行です。見出しのある行を選んでください。", header_line=header_line))
        at = lines.index(header_line)
        heads = [self._spread(line, row) for line, row in self.grid[at:at + header_lines]]
        width = max(len(head) for head in heads)
        names = []
        for column in range(width):
            parts: list[str] = []
            for head in heads:
                text = " ".join(cells_text(head[column] if column < len(head) else None).split())
                if text and text not in parts:
                    parts.append(text)
            names.append(" ".join(parts))
        headers = _headers(names)
        last_header = lines[at + header_lines - 1]
        down = [(first, last, headers[column - 1] if column <= len(headers) else f"{column}列")
                for first, last, column in self.merged_down if last > last_header]
        return Table(headers, self.grid[at + header_lines:], down)

    def chosen(self, choices: dict[str, Any]) -> Table:
        """The table with the headers a clerk chose (``ImportUpload.choices``)."""
        return self.table(choices.get("header_line"), choices.get("header_lines", 1))

    def _spread(self, line: int, row: list[Any]) -> list[Any]:
        spread = list(row)
        for at, first, last in self.merged:
            if at == line:
                spread.extend([None] * (last - len(spread)))
                for column in range(first, last + 1):
                    spread[column - 1] = spread[first - 1]
        return spread

    def guess_header(self) -> tuple[int, int]:
        """The headers' line and how many lines they take: the first line (of the first
        HEADER_ROWS) of text only naming at least half as many different columns as the
        fullest line does — a title (merged over the columns or not) names one, a line with
        the day the ledger was made holds a date — and two lines when it has cells merged over some columns with names under
        each of them."""
        first = self.grid[:HEADER_ROWS]
        named = [len({cells_text(c) for c in self._spread(line, row)} - {""})
                 for line, row in first]
        enough = max(2, (max(named) + 1) // 2)
        for at, (line, row) in enumerate(first):
            if named[at] < enough or not all(isinstance(c, str) for c in row if c not in (None, "")):
                continue  # a title, or a line with a date or an amount: not the headers
            width = len(self._spread(line, row))
            grouped = [(start, last) for merged_at, start, last in self.merged
                       if merged_at == line and (start, last) != (1, width)]
            below = self.grid[at + 1][1] if at + 1 < len(self.grid) else []
            if grouped and all(isinstance(c, str) for c in below if c not in (None, "")) and all(any(cells_text(below[c - 1] if c - 1 < len(below) else None)
                                   for c in range(start, last + 1)) for start, last in grouped):
                return line, 2
            return line, 1
        return self.grid[0][0], 1

    def as_json(self) -> dict[str, Any]:
        return {"grid": [[line, [_cell_json(c) for c in row]] for line, row in self.grid],
                "merged": [list(m) for m in self.merged],
                "merged_down": [list(m) for m in self.merged_down]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sheet:
        return cls([(line, [_cell_value(c) for c in row]) for line, row in data["grid"]],
                   [(m[0], m[1], m[2]) for m in data.get("merged", [])],
                   [(m[0], m[1], m[2]) for m in data.get("merged_down", [])])


def cells_text(value: Any) -> str:
    return cells.text(value) if value is not None else ""


def _cell_json(value: Any) -> Any:
    """A cell in JSON: dates and times tagged, the rest as they are."""
    for kind in (dt.datetime, dt.date, dt.time):
        if isinstance(value, kind):
            return {kind.__name__: value.isoformat()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _cell_value(value: Any) -> Any:
    if isinstance(value, dict):
        kind, text = next(iter(value.items()))
        parse: dict[str, Callable[[str], Any]] = {
            "datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat,
            "time": dt.time.fromisoformat}
        return parse[kind](text)
    return value


def file_format(filename: str, data: bytes) -> str:
    """"xlsx" or "csv", from the file's name and first bytes; ValidationFailed otherwise (told
    at once, before the file is read)."""
    if filename.lower().endswith(".xlsx") or data.startswith(b"PK"):
        return "xlsx"
    if filename.lower().endswith((".csv", ".txt")):
        return "csv"
    raise ValidationFailed(gettext("Excel（.xlsx）か CSV のファイルを指定してください。"))


def read_sheet(filename: str, data: bytes) -> Sheet:
    """The file read (ValidationFailed for a file that is not: too big, not a spreadsheet,
    empty, too many rows, a bomb, a formula with no saved value)."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed(gettext(TOO_BIG))
    sheet = _xlsx(data) if file_format(filename, data) == "xlsx" else _csv(data)
    if not sheet.grid:
        raise ValidationFailed(gettext("ファイルに何も書かれていません。"))
    if len(sheet.grid) > MAX_ROWS + 1:
        raise ValidationFailed(gettext("行が多すぎます（%(MAX_ROWS)s行まで）。ファイルを分けてください。", MAX_ROWS=MAX_ROWS))
    return sheet


def read_table(filename: str, data: bytes, header_line: int | None = None,
               header_lines: int = 1) -> Table:
    """The file's table (``read_sheet``, then its headers: ``Sheet.table``)."""
    table = read_sheet(filename, data).table(header_line, header_lines)
    if not any(table.headers):
        raise ValidationFailed(gettext("見出し（列の名前）の行がありません。"))
    return table


def _headers(values: list[Any]) -> list[str]:
    """Header texts, each unique (a second 「連絡先」 becomes 「連絡先(2)」)."""
    seen: dict[str, int] = {}
    result = []
    for value in values:
        text = " ".join(str(value or "").split())
        seen[text] = seen.get(text, 0) + 1
        result.append(text if seen[text] == 1 else f"{text}({seen[text]})")
    return result


#: An .xlsx of MAX_ROWS rows of a city's ledger unpacks to a few MB; more is refused unread.
MAX_XLSX_UNPACKED = 30 * 1024 * 1024


def _refuse_bombs(data: bytes) -> None:
    """Refuse an .xlsx from its zip directory and a streamed count of its rows, before
    openpyxl builds anything: a 300 KB file can unpack to 300 MB of XML, and 300,000 rows
    pack into 90 KB."""
    from ..documents.checks import zip_bomb

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            bomb = zip_bomb(infos, max_total=MAX_XLSX_UNPACKED, max_entry=MAX_XLSX_UNPACKED)
            if bomb:
                raise ValidationFailed(bomb + "Excelで保存し直すか、ファイルを分けてください。")
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    rows, tail = 0, b""
                    with archive.open(info) as sheet:
                        while chunk := sheet.read(1 << 20):
                            rows += (tail + chunk).count(b"<row") - tail.count(b"<row")
                            tail = chunk[-8:]
                            if rows > MAX_ROWS + 50:  # a few empty rows are allowed for
                                raise ValidationFailed(
                                    gettext("行が多すぎます（%(MAX_ROWS)s行まで）。ファイルを分けてください。", MAX_ROWS=MAX_ROWS))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise ValidationFailed(gettext("Excel（.xlsx）として読めません。Excelで保存し直してください。")) from exc


def _xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    _refuse_bombs(data)
    try:
        values = load_workbook(io.BytesIO(data), data_only=True).active
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # any formula at all (<f>)?
            has_formulas = any(b"<f" in archive.read(name) for name in archive.namelist()
                               if name.startswith("xl/worksheets/"))
    except Exception as exc:  # noqa: BLE001 - whatever a broken file raises
        raise ValidationFailed(gettext("Excel（.xlsx）として読めません。Excelで保存し直してください。")) from exc
    if values is None:
        raise ValidationFailed(gettext("シートがありません。"))
    formulas: Any = None  # the sheet's formulas, read only when an empty cell may hide one
    grid = []
    for number, row in enumerate(values.iter_rows(values_only=True), start=1):
        row = list(row)
        for index, value in enumerate(row):
            if value is None and has_formulas:
                if formulas is None:
                    formulas = load_workbook(io.BytesIO(data), data_only=False).active
                raw = formulas.cell(row=number, column=index + 1).value
                if isinstance(raw, str) and raw.startswith("="):
                    raise ValidationFailed(
                        gettext("%(number)s行目 %(v2)s列の数式に、計算した値が保存されていません。Excelで開いて保存し直してから取り込んでください。", number=number, v2=get_column_letter(index + 1)))
        if any(value not in (None, "") for value in row):
            grid.append((number, row))
    merged = sorted((m.min_row, m.min_col, m.max_col) for m in values.merged_cells.ranges
                    if m.min_row <= HEADER_ROWS and m.max_col > m.min_col)
    down = sorted((m.min_row, m.max_row, column) for m in values.merged_cells.ranges
                  if m.max_row > m.min_row for column in range(m.min_col, m.max_col + 1))
    return Sheet(grid, merged, down)


def _csv(data: bytes) -> Sheet:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed(gettext("文字コードを判別できません。UTF-8 か Shift_JIS の CSV で保存してください。"))
    return Sheet([(number, list(line)) for number, line in
                  enumerate(csv.reader(io.StringIO(text)), start=1) if any(c.strip() for c in line)])


# -- targets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A field a column can be mapped to."""

    name: str
    label: str
    parse: Callable[[Any], Any] = cells.one_line  # names and numbers are one line
    required: bool = False
    #: code -> label of a field that is one of a few (the preview shows the label)
    choices: dict[str, str] | None = None


def _one_of(name: str, label: str, labels: dict[str, str]) -> Target:
    """A field that is one of ``labels``, read by its label or its code in any width."""
    return Target(name, label, _choice(labels), choices=labels)


def _choice(labels: dict[str, str]) -> Callable[[Any], str]:
    by_key = {cells.match_key(label): code for code, label in labels.items()}
    by_key.update({cells.match_key(code): code for code in labels})

    def parse(value: Any) -> str:
        written = cells.match_key(cells.text(value))
        if written in by_key:
            return by_key[written]
        raise ValueError("次のどれかにしてください: " + "、".join(labels.values()))
    return parse


def targets(session: Session, city_id: int, kind: str) -> list[Target]:
    if kind == "organization":
        return [Target("name", "団体名", required=True), Target("name_kana", "団体名（かな）"),
                _one_of("org_type", "団体の種別", ORGANIZATION_TYPES),
                Target("representative", "代表者"), Target("postal_code", "郵便番号"),
                Target("address", "所在地"), Target("phone", "電話番号"),
                Target("email", "メールアドレス", cells.parse_email), Target("corporate_number", "法人番号")]
    if kind == "project":
        return [Target("title", "事業名", required=True), Target("organization", "団体名"),
                Target("department", "担当課"), Target("collaboration_type", "協働の形態"),
                Target("start_date", "開始日", cells.parse_date),
                Target("end_date", "終了日", cells.parse_date),
                Target("period", "期間（開始日～終了日）", cells.parse_period),
                Target("fiscal_year", "年度", cells.parse_fiscal_year),
                Target("budget_amount", "事業費", cells.parse_amount),
                Target("summary", "概要", cells.text)]
    if kind == "project_plan":  # one row per indicator; the rows of one plan share 事業名・年度
        return [Target("project", "事業名", required=True),
                Target("fiscal_year", "年度", cells.parse_fiscal_year, required=True),
                Target("purpose", "目的", cells.text), Target("target", "対象", cells.text),
                Target("content", "内容", cells.text), Target("schedule", "スケジュール", cells.text),
                Target("indicator.name", "指標"), Target("indicator.unit", "単位"),
                Target("indicator.target_value", "目標値", cells.parse_number),
                Target("indicator.actual_value", "実績値", cells.parse_number)]
    if kind == "agreement":  # one row per role or cost line; the rows of one share 事業名・件名
        return [Target("project", "事業名", required=True), Target("title", "協定の件名"),
                Target("fiscal_year", "年度", cells.parse_fiscal_year),
                Target("start_date", "開始日", cells.parse_date),
                Target("end_date", "終了日", cells.parse_date),
                Target("period", "期間（開始日～終了日）", cells.parse_period),
                Target("signed_on", "締結日", cells.parse_date),
                Target("city_signatory", "甲（市）"), Target("organization_signatory", "乙（団体）"),
                Target("role.item", "役割分担の項目"), Target("role.city_role", "市の役割", cells.text),
                Target("role.organization_role", "団体の役割", cells.text),
                Target("cost.item", "費目"), Target("cost.city_amount", "市の負担額", cells.parse_amount),
                Target("cost.organization_amount", "団体の負担額", cells.parse_amount),
                Target("cost.note", "費用の備考")]
    if kind == "completion_report":
        return [Target("project", "事業名", required=True),
                Target("completed_on", "事業完了日", cells.parse_date, required=True),
                Target("submitted_on", "提出日", cells.parse_date),
                Target("summary", "事業の概要・成果", cells.text),
                Target("actual_cost", "決算額", cells.parse_amount)]
    if kind != "proposal":
        raise ValidationFailed(gettext("取り込む記録の種類が正しくありません。"))
    found = [Target("title", "提案事業名", required=True), Target("receipt_number", "受付番号"),
             _one_of("proposer_type", "提案者の種類", PROPOSER_TYPES),
             Target("received_on", "受付日", cells.parse_date),
             Target("fiscal_year", "提案年度", cells.parse_fiscal_year),
             Target("organization", "団体名"), Target("department", "担当課"),
             Target("needs_budget", "予算措置の要否", cells.parse_yes_no),
             Target("budget_amount", "予算規模", cells.parse_amount),
             Target("summary", "概要", cells.text)]
    definition = current_definition(session, city_id, "basic_sheet")
    for item in fields_of(definition.schema) if definition is not None else []:
        field_type = REGISTRY[item["type"]]
        if not field_type.importable:
            continue  # rows and files do not fit in a cell
        found.append(Target(f"answers.{item['name']}", f"様式: {item['label']}",
                            functools.partial(field_type.from_cell, field=item)))
    return found


def auto_mapping(found: list[Target], headers: list[str], saved: dict[str, str],
                 exported: dict[str, set[str]] | None = None) -> dict[str, str]:
    """Target -> header: the city's saved choice where the file has that header, else the
    column named like the field (or whose lower heading is: 「連絡先 電話番号」), or as this
    product's own export names it (``exported``: its list's headings), so a city's export
    imports back with no choosing."""
    mapping = {}
    for target in found:
        wanted = saved.get(target.name)
        if wanted in headers:
            mapping[target.name] = wanted
            continue
        label = target.label.removeprefix("様式: ")
        names = {target.label, label, target.name, *(exported or {}).get(target.name, ())}
        # the column of that name, or under a heading over two lines (「連絡先 電話番号」)
        same = next((h for h in headers if h in names), None) or next(
            (h for h in headers if h.rsplit(" ", 1)[-1] in names and h not in mapping.values()),
            None)
        if same:
            mapping[target.name] = same
    return mapping


def saved_mapping(city: City, kind: str) -> dict[str, str]:
    mappings = (city.settings or {}).get("import_mappings") or {}
    saved = mappings.get(kind) if isinstance(mappings, dict) else None
    return dict(saved) if isinstance(saved, dict) else {}


def save_mapping(city: City, kind: str, mapping: dict[str, str]) -> None:
    settings = dict(city.settings or {})
    mappings = dict(settings.get("import_mappings") or {})
    mappings[kind] = mapping
    settings["import_mappings"] = mappings
    city.settings = settings


# -- checking and importing -----------------------------------------------------------------


#: Columns naming another record of the city: (model, its name column, the error).
LOOKUPS: dict[str, tuple[Any, Any, str]] = {
    "organization": (Organization, Organization.name,
                     "団体「{}」が登録されていません（先に団体を取り込むか、団体名を確認してください）"),
    "department": (Department, Department.name, "担当課「{}」がありません（設定 > 担当課）"),
    "collaboration_type": (CollaborationType, CollaborationType.name,
                           "協働の形態「{}」がありません（設定 > 協働の形態）"),
    "project": (Project, Project.title,
                "協働事業「{}」がありません（先に協働事業を取り込むか、事業名を確認してください）"),
}
#: A name two of the city's records share: which one the row means cannot be told.
AMBIGUOUS = -1


@dataclass
class Checked:
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: line -> id of the city's record the row updates (when the clerk chose to update).
    updates: dict[int, int] = field(default_factory=dict)


#: What the clerk chose for a row naming a record the city has: refuse the file, or update it.
REFUSE, UPDATE = "refuse", "update"


#: What a city has once (its unique constraints): kind -> (model, column, what the clerk
#: calls two of them).
UNIQUE: dict[str, tuple[Any, str, str]] = {
    "organization": (Organization, "name", "同じ名称の団体"),
    "proposal": (Proposal, "receipt_number", "同じ受付番号の提案"),
}


def check(session: Session, city: City, kind: str, table: Table,
          mapping: dict[str, str], existing_rows: str = REFUSE) -> Checked:
    """Every row read and checked, nothing written: the values each row will store, and each
    error with its line and column. A row naming a record the city has (the same receipt
    number, the same organization name) is an error, or with ``existing_rows=UPDATE`` an
    update of that record."""
    found = targets(session, city.id, kind)
    result = Checked()
    index = {h: i for i, h in enumerate(table.headers)}
    labels = {t.name: t.label for t in found}
    for target in found:
        if target.required and mapping.get(target.name) not in index:
            result.errors.append(RowError(0, target.label, "この項目に当てる列を選んでください（必須）"))
    for column in sorted(set(mapping.values()), key=lambda h: index.get(h, -1)):
        twice = [labels.get(name, name) for name, chosen in mapping.items() if chosen == column]
        if len(twice) > 1:
            result.errors.append(RowError(0, column, "同じ列を2つ以上の項目に当てています（「"
                                          + "」「".join(twice) + "」）。1つにしてください"))
    if "period" in mapping and ({"start_date", "end_date"} & set(mapping)):
        result.errors.append(RowError(0, labels.get("period", "期間"), "期間の列と開始日・終了日の"
                                      "列は、どちらか一方だけを当ててください"))
    for first, last, merged_header in table.merged_down:
        if merged_header in mapping.values():
            result.errors.append(RowError(first, merged_header, f"{first}行目から{last}行目までのセルが結合"
                                          "されています。結合を解除して、各行に値を入れてください"))
    if result.errors:
        return result
    # names in the file -> ids of the city's records (a name the city does not have is an error)
    # (by the name's match key: 「NPO法人ｶﾌｪ」 in the file finds 「NPO法人カフェ」)
    lookups: dict[str, dict[str, int]] = {}
    for name, (model, column, _what) in LOOKUPS.items():
        if name in mapping:
            found_ids = lookups[name] = {}
            for id_, label in session.execute(select(model.id, column).where(
                    model.city_id == city.id)):
                key = cells.match_key(label)
                found_ids[key] = AMBIGUOUS if key in found_ids else id_
    unique = UNIQUE.get(kind)
    existing: dict[str, int] = {}
    if unique is not None and unique[1] in mapping:
        model, column, _what = unique
        existing = {cells.match_key(str(v)): id_ for id_, v in session.execute(
            select(model.id, getattr(model, column)).where(model.city_id == city.id))}
    first_line: dict[Any, int] = {}
    for line, row in table.rows:
        values: dict[str, Any] = {}
        for target in found:
            header = mapping.get(target.name)
            if header not in index:
                continue
            raw = row[index[header]] if index[header] < len(row) else None
            if raw is None or cells.text(raw) == "":
                if target.required:
                    result.errors.append(RowError(line, header, "空欄です（必須）"))
                continue
            try:
                value = target.parse(raw)
            except ValueError as exc:
                result.errors.append(RowError(line, header, f"{exc}（「{cells.text(raw)}」）"))
                continue
            longest = _longest(kind, target.name)
            if isinstance(value, str) and longest is not None and len(value) > longest:
                result.errors.append(RowError(line, header, f"{len(value)}文字あります"
                                              f"（{longest}文字まで）"))
                continue
            if target.name in LOOKUPS:
                if cells.match_key(value) not in lookups[target.name]:
                    result.errors.append(RowError(line, header, LOOKUPS[target.name][2].format(value)))
                    continue
                value = lookups[target.name][cells.match_key(value)]
                if value == AMBIGUOUS:
                    result.errors.append(RowError(line, header, f"「{cells.text(raw)}」という名前の"
                                                  f"{LOOKUPS[target.name][0].label}が2件以上あります"
                                                  "（名前を変えて区別してから取り込んでください）"))
                    continue
            values[target.name] = value
        if "period" in values:  # one column for both dates
            values["start_date"], values["end_date"] = values.pop("period")
        start, end = values.get("start_date"), values.get("end_date")
        if start is not None and end is not None and end < start:
            column = mapping.get("end_date") or mapping.get("period", "")
            result.errors.append(RowError(line, column, "終了日が開始日より前です"))
        if unique is not None and values.get(unique[1]) not in (None, ""):
            written, what = values[unique[1]], unique[2]
            key = cells.match_key(str(written))
            if key in first_line:
                result.errors.append(RowError(line, mapping[unique[1]], (
                    f"「{written}」は{first_line[key]}行目と同じです（{what}は登録できません）")))
            elif key in existing and existing_rows == UPDATE:
                result.updates[line] = existing[key]
            elif key in existing:
                result.errors.append(RowError(line, mapping[unique[1]], (
                    f"「{written}」は既に登録されています（{what}は登録できません。"
                    "この行を除くか、登録済みのものを直してください。ファイルの値で直すときは"
                    "「登録済みの記録を、ファイルの値で更新する」を選びます）")))
            first_line.setdefault(key, line)
        result.records.append((line, values))
    if kind in PAST_KINDS:
        result.errors.extend(_past_errors(session, kind, result.records, mapping, labels))
    result.errors.sort(key=lambda e: (e.line, index.get(e.column, -1)))  # as the file reads
    return result


# -- past years: plans with their indicators, agreements with their rows, reports ------------

#: A kind whose record spans rows: the fields the rows of one record share (its key). Each
#: row adds its own line (``indicator.…``, ``role.…``, ``cost.…``) to the record.
GROUPED = {"project_plan": ("project", "fiscal_year"), "agreement": ("project", "title")}
#: Kinds of the years a city brings with it, built as the screens build them.
PAST_KINDS = ("project_plan", "agreement", "completion_report")
#: The prefix of a row's own line -> its model and the record's collection of them.
ROW_MODELS: dict[str, tuple[Any, str]] = {"indicator": (Indicator, "indicators"),
                                          "role": (RoleShare, "role_shares"),
                                          "cost": (CostShare, "cost_shares")}


def _groups(kind: str, records: list[tuple[int, dict[str, Any]]]
            ) -> dict[tuple[Any, ...], list[tuple[int, dict[str, Any]]]]:
    """The rows of each record (in file order), by its key; a report is one row."""
    groups: dict[tuple[Any, ...], list[tuple[int, dict[str, Any]]]] = {}
    for line, values in records:
        key = tuple(values.get(k) for k in GROUPED[kind]) if kind in GROUPED else (line,)
        groups.setdefault(key, []).append((line, values))
    return groups


def _shared(rows: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """What the rows of one record say of the record itself (not of a row's own line): the
    first value given of each field."""
    shared: dict[str, Any] = {}
    for _line, values in rows:
        shared.update({k: v for k, v in values.items()
                       if "." not in k and v is not None and k not in shared})
    return shared


def _past_errors(session: Session, kind: str, records: list[tuple[int, dict[str, Any]]],
                 mapping: dict[str, str], labels: dict[str, str]) -> list[RowError]:
    """What a past year's file cannot say: two values for one record (the rows of a plan or
    an agreement differ in what they share), a plan the project has for that year, a second
    report of a project's year."""
    errors = []
    groups = _groups(kind, records)
    for rows in groups.values():
        shared = _shared(rows)
        for line, values in rows[1:]:
            for name, value in values.items():
                if "." not in name and value is not None and shared[name] != value:
                    errors.append(RowError(line, mapping.get(name) or mapping.get("period", ""), (
                        f"{rows[0][0]}行目と同じ{KINDS[kind]}の行ですが、{labels.get(name, name)}が"
                        f"違います（「{shared[name]}」と「{value}」）。同じにするか、空欄にしてください")))
    if kind == "project_plan":
        planned = set(session.execute(select(ProjectPlan.project_id, ProjectPlan.fiscal_year)))
        for (project_id, year), rows in groups.items():
            if (project_id, year) in planned:
                errors.append(RowError(rows[0][0], mapping["fiscal_year"], (
                    f"この協働事業の{year}年度の事業計画は登録済みです（画面で直してください）")))
    if kind == "completion_report":
        seen: dict[tuple[Any, int], int] = {}
        for line, values in records:
            if values.get("completed_on") is None:
                continue  # its own error says why
            key = (values.get("project"), fiscal_year_of(values["completed_on"]))
            if key in seen:
                errors.append(RowError(line, mapping["completed_on"], (
                    f"{seen[key]}行目と同じ協働事業・同じ年度の事業報告書です")))
            seen.setdefault(key, line)
    return errors


def _past_records(session: Session, city: City, kind: str, checked: Checked,
                  mapping: dict[str, str], filename: str, user: Any) -> int:
    """Each record of a past year's file, made as by hand: a plan with its indicators, an
    agreement with its role and cost rows (signed through 締結する when the file gives its
    締結日), or a project completed through 事業を開始する・事業完了とする on its 事業完了日 with
    the report that makes filled in. A refusal of the workflow is an error of its line."""
    errors: list[RowError] = []
    made = []
    definition = current_definition(session, city.id, kind)
    for rows in _groups(kind, checked.records).values():
        line = rows[0][0]
        shared = _shared(rows)
        comment = f"{filename} の{line}行目から取込"
        if kind == "completion_report":
            try:
                made.append((_completed_report(session, shared, user, comment), comment))
            except TransitionNotAllowed as exc:
                errors.append(RowError(line, mapping["completed_on"], str(exc)))
            continue
        project = session.get_one(Project, shared.pop("project"))
        signed_on = shared.pop("signed_on", None)
        record = MODELS[kind](city_id=city.id, project=project, answers={},
                              form_definition=definition, **shared)
        if kind == "agreement" and not record.title:
            record.title = f"{project.title}に関する協定書"[:200]
        for order, (_line, values) in enumerate(rows):
            for prefix, (model, collection) in ROW_MODELS.items():
                own = {k.split(".", 1)[1]: v for k, v in values.items()
                       if k.startswith(prefix + ".") and v is not None}
                if own:
                    getattr(record, collection).append(
                        model(city_id=city.id, sort_order=order, **own))
        if kind == "project_plan":  # a year the project runs in
            problem = year_problem(project, record.fiscal_year, "事業計画")
            if problem:
                errors.append(RowError(line, mapping["fiscal_year"], problem))
                continue
        if kind == "agreement":  # a year of the project, within the programme's rule
            try:
                check_agreement(record)
            except ValidationFailed as exc:
                name = "fiscal_year" if exc.field == "fiscal_year" else "cost.city_amount"
                errors.append(RowError(line, mapping.get(name) or mapping["project"], str(exc)))
                continue
        session.add(record)
        made.append((record, comment))
        if signed_on is not None:
            session.flush()
            try:
                apply_transition(session, record, "sign", user, comment, on=signed_on)
            except TransitionNotAllowed as exc:
                errors.append(RowError(line, mapping["signed_on"], str(exc)))
    if errors:
        raise _refusal(sorted(errors, key=lambda e: e.line))
    session.flush()
    if kind != "completion_report":  # a report's import is its project's transitions
        record_events(session, made, "import")
    return len(made)


def _completed_report(session: Session, values: dict[str, Any], user: Any,
                      comment: str) -> CompletionReport:
    """The project of a report row completed on its 事業完了日 (started first when only
    agreed), through the workflow; the report its completion makes, filled in."""
    project = session.get_one(Project, values["project"])
    if project.status == "agreed":
        apply_transition(session, project, "start", user, comment)
    if project.status == "running":
        apply_transition(session, project, "complete", user, comment, on=values["completed_on"])
    if project.status != "completed" or project.completed_on != values["completed_on"]:
        raise TransitionNotAllowed(
            gettext("「%(title)s」は%(status_label)sです。事業報告書を取り込めるのは、協定を締結した協働事業か、その日に事業完了とした協働事業です（先に協定を取り込んでください）", title=project.title, status_label=project.status_label))
    session.flush()
    report = session.execute(select(CompletionReport).where(
        CompletionReport.project_id == project.id,
        in_current_year(CompletionReport.fiscal_year, project))
        .order_by(CompletionReport.fiscal_year.desc()).limit(1)).scalar_one()
    for name in ("submitted_on", "summary", "actual_cost"):
        if values.get(name) is not None:
            setattr(report, name, values[name])
    return report


#: The model each kind's rows become.
MODELS: dict[str, Any] = {"organization": Organization, "proposal": Proposal, "project": Project,
                          "project_plan": ProjectPlan, "agreement": Agreement,
                          "completion_report": CompletionReport}


def _longest(kind: str, name: str) -> int | None:
    """How many characters the record's column holds (a name: 200), or None (no limit)."""
    prefix, _dot, own = name.rpartition(".")
    model = ROW_MODELS[prefix][0] if prefix in ROW_MODELS else MODELS[kind]
    column = model.__table__.columns.get(own) if name not in LOOKUPS else None
    length = getattr(getattr(column, "type", None), "length", None)
    return length if isinstance(length, int) else None


def _refusal(errors: list[RowError]) -> ValidationFailed:
    shown = "\n".join(f"- {e}" for e in errors[:20])
    more = f"\nほか{len(errors) - 20}件" if len(errors) > 20 else ""
    return ValidationFailed(gettext("%(errors)s件の誤りがあるため、取り込みませんでした（1件も登録していません）。\n%(shown)s%(more)s", errors=len(errors), shown=shown, more=more))


class Imported(NamedTuple):
    created: int
    updated: int
    #: rows naming a record the city has, with nothing different (an export imported back)
    unchanged: int


def import_table(session: Session, city: City, kind: str, table: Table, mapping: dict[str, str],
                 filename: str, user: Any, existing_rows: str = REFUSE) -> Imported:
    """Create every row's record (or update the city's record it names, when the clerk chose
    so), or none: ValidationFailed listing the errors when any row has one. A proposal with
    its date of receipt is received (受付する) by ``user`` through the workflow, as one
    received by hand. The caller commits."""
    checked = check(session, city, kind, table, mapping, existing_rows)
    if checked.errors:
        raise _refusal(checked.errors)
    if kind in PAST_KINDS:
        count = _past_records(session, city, kind, checked, mapping, filename, user)
        save_mapping(city, kind, mapping)
        session.flush()
        return Imported(count, 0, 0)
    definition = current_definition(session, city.id, "basic_sheet") if kind == "proposal" else None
    created = [(line, _record(city, kind, values, definition)) for line, values in checked.records
               if line not in checked.updates]
    session.add_all(record for _line, record in created)
    session.flush()
    record_events(session, [(record, f"{filename} の{line}行目から取込") for line, record in created],
                  "import")
    received = [(record, f"{filename} の{line}行目から取込") for line, record in created
                if isinstance(record, Proposal) and record.received_on is not None]
    apply_transitions(session, received, "submit", user)
    updated = _update(session, kind, [(line, values) for line, values in checked.records
                                      if line in checked.updates], checked.updates, mapping, user)
    save_mapping(city, kind, mapping)
    session.flush()
    return Imported(len(created), updated, len(checked.updates) - updated)


def _update(session: Session, kind: str, rows: list[tuple[int, dict[str, Any]]],
            ids: dict[int, int], mapping: dict[str, str], user: Any) -> int:
    """Write each row's values into the record it names, as an edit by ``user`` would: a field
    its state keeps (a proposal under review, a decided one) is refused if the file changes
    it, and a row that changes nothing writes nothing. Returns how many records changed."""
    model = MODELS[kind]
    records = {r.id: r for r in session.execute(
        select(model).where(model.id.in_([ids[line] for line, _v in rows]))).scalars()}
    errors, changes = [], []
    for line, values in rows:
        record = records[ids[line]]
        changed = {}
        for name, value in values.items():
            answer = name.removeprefix("answers.") if name.startswith("answers.") else None
            now = (record.answers or {}).get(answer) if answer else \
                getattr(record, LINKS.get(name, name))
            if now == value:
                continue
            if not may_edit_field(user.role, record, "answers" if answer else name):
                reason = (read_only_reason(record, user.role) or locked_reason(user.role, record)
                          or "今の状態では変更できません。")
                errors.append(RowError(line, mapping.get(name) or mapping.get("period", ""),
                                       f"「{record}」: {reason}この列を取り込まないか、"
                                       "登録済みの値に戻してください"))
            changed[name] = value
        if changed:
            changes.append((record, changed))
    if errors:
        raise _refusal(sorted(errors, key=lambda e: e.line))
    for record, changed in changes:
        answers = {k.removeprefix("answers."): v for k, v in changed.items()
                   if k.startswith("answers.")}
        if answers:
            record.answers = {**(record.answers or {}), **answers}
        for name, value in changed.items():
            if not name.startswith("answers."):
                setattr(record, LINKS.get(name, name), value)
    return len(changes)


#: A looked-up column's value is the id of the record it names.
LINKS = {"organization": "organization_id", "department": "department_id", "project": "project_id",
         "collaboration_type": "collaboration_type_id"}


def _record(city: City, kind: str, values: dict[str, Any], definition: Any) -> Any:
    """The new record of a checked row: names looked up as ids, the fiscal year from the
    date when the file gives none, a proposal's form answers against the current form."""
    if kind == "organization":
        return Organization(city_id=city.id, **values)
    columns = {LINKS.get(k, k): v for k, v in values.items() if not k.startswith("answers.")}
    dated = columns.get("start_date" if kind == "project" else "received_on")
    columns.setdefault("fiscal_year", fiscal_year_of(dated) if dated else None)
    if kind == "project":
        return Project(city_id=city.id, **columns)
    answers = {k.removeprefix("answers."): v for k, v in values.items() if k.startswith("answers.")}
    return Proposal(city_id=city.id, status="draft", answers=answers,
                    form_definition=definition, **columns)


# -- the steps a worker runs (``services.queued``) ------------------------------------------


def _upload(session: Session, work: QueuedWork) -> ImportUpload:
    upload = session.execute(select(ImportUpload).where(
        ImportUpload.token == work.params["upload"])).scalar_one_or_none()
    if upload is None or upload.user_id != work.user_id:
        raise ValidationFailed(gettext("取込中のファイルが見つかりません（1日たつと消えます）。"
                               "もう一度ファイルを選んでください。"))
    return upload


@handler("import_read")
def read_upload(session: Session, work: QueuedWork) -> dict[str, Any]:
    """Read the uploaded file once, for every step after it."""
    upload = _upload(session, work)
    sheet = read_sheet(upload.filename, upload.content)
    if not any(sheet.table().headers):
        raise ValidationFailed(gettext("見出し（列の名前）の行がありません。"))
    upload.sheet = sheet.as_json()
    return {"upload": upload.token}


@handler("import_run")
def run_import(session: Session, work: QueuedWork) -> dict[str, Any]:
    """Import every row of the upload with the clerk's choices, or none."""
    upload = _upload(session, work)
    kind, filename, choices, work_id = upload.kind, upload.filename, upload.choices or {}, work.id
    table = Sheet.from_json(upload.sheet or {"grid": []}).chosen(choices)
    try:
        imported = import_table(session, work.city, kind, table, choices.get("mapping", {}),
                                filename, session.get(User, work.user_id),
                                choices.get("existing", REFUSE))
        session.delete(upload)
        session.flush()
    except IntegrityError as exc:
        # Another person registered the same name or number since the check: the log says
        # which kind of import failed, never the values (personal data).
        log.warning("import of %s refused by a unique constraint (work %s)", kind, work_id)
        raise ValidationFailed(gettext("同じ名称や受付番号のものを他の人が先に登録したため、取り込みません"
                               "でした（1件も登録していません）。取込の画面に戻り、もう一度"
                               "「対応を確かめる」を押してください。")) from exc
    return {**imported._asdict(), "kind": kind, "filename": filename}
