"""Spreadsheets of needs: the CSV and XLSX templates, reading a file, checking every row."""

import csv
import io
from datetime import date, datetime
from typing import Any
from zipfile import BadZipFile

from pydantic import ValidationError

from core.errors import InvalidInput, error_message
from core.i18n import LOCALES, _, using_locale
from recovery.labels import CATEGORY, FIELDS, PRIORITY
from recovery.models import Area
from recovery.schemas import NeedCreate

COLUMNS = (
    "title",
    "category",
    "quantity",
    "unit",
    "priority",
    "needed_by",
    "area",
    "lat",
    "lon",
    "description",
)
REQUIRED_COLUMNS = {"title", "category", "quantity", "unit", "priority", "needed_by"}
# A column's heading as people read it; the file may use these (in any language) or the codes.
COLUMN_LABELS = {column: FIELDS["area_id" if column == "area" else column] for column in COLUMNS}
# Columns whose cells hold a code, written as the code or as its label in any language.
CODED = {"category": CATEGORY, "priority": PRIORITY}
MAX_ROWS = 50_000
EXAMPLE = (
    "Family tents",
    "shelter",
    40,
    "tents",
    "high",
    "2026-12-31",
    "",
    "30.5928",
    "114.3055",
    "For families whose houses collapsed",
)
# Shown beside the rows to import, at most this many.
PREVIEW_ROWS = 50


def _key(text: Any) -> str:
    return " ".join(str(text).replace("*", " ").split()).casefold()


def _spellings(names: dict) -> dict[str, str]:
    """Each code and its label in every language, as typed by someone (any case) -> the code."""
    found: dict[str, str] = {}
    for code, text in names.items():
        found[_key(code)] = code
        found[_key(code.replace("_", " "))] = code
        for locale in LOCALES:
            with using_locale(locale):
                found[_key(text)] = code
    return found


def column_label(column: str) -> str:
    found = COLUMN_LABELS.get(column)
    return str(found) if found is not None else column


def template_header() -> list[str]:
    """The headings in the reader's language, the required ones marked with *."""
    return [column_label(c) + (" *" if c in REQUIRED_COLUMNS else "") for c in COLUMNS]


def template_example() -> list[Any]:
    """The example row with category and priority in words, as the pages show them."""
    row = list(EXAMPLE)
    for column, names in CODED.items():
        index = COLUMNS.index(column)
        row[index] = str(names[row[index]])
    return row


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(template_header())
    writer.writerow(template_example())
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    # openpyxl is imported where a spreadsheet is made or read, not by every web worker.
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "needs"
    sheet.append(template_header())
    sheet.append(template_example())
    for column, names in (("B", CATEGORY), ("E", PRIORITY)):
        choices = ",".join(str(text) for text in names.values())
        rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=False)
        sheet.add_data_validation(rule)
        rule.add(f"{column}2:{column}{MAX_ROWS + 1}")
    for letter, width in zip("ABCDEFGHIJ", (30, 18, 10, 12, 10, 12, 20, 10, 10, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _xlsx_rows(data: bytes) -> list[tuple]:
    """The first sheet's rows. openpyxl lets whatever its XML and zip readers raise escape
    (lxml's XMLSyntaxError, ParseError, IndexError …) on a damaged file: all mean unreadable."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return list(workbook.worksheets[0].iter_rows(values_only=True))
        finally:
            workbook.close()
    except Exception as exc:  # any failure to parse an uploaded file is the file's fault
        raise ValueError("unreadable workbook") from exc


def _decoded_csv(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without its mark), else GB 18030, which is what
    Excel on a Chinese system writes as "CSV" (a superset of GBK and GB 2312)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(row number as the spreadsheet shows it, {column: value}) for every non-blank row."""
    from openpyxl.utils.exceptions import InvalidFileException

    name = filename.lower()
    try:
        if name.endswith(".xlsx"):
            raw = _xlsx_rows(data)
        elif name.endswith(".csv"):
            text = _decoded_csv(data)
            raw = list(csv.reader(io.StringIO(text)))
        else:
            raise InvalidInput(
                _("Upload a .csv or .xlsx file."), fields={"file": _("not a CSV or XLSX file")}
            )
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, csv.Error) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(
            _("The file could not be read as a spreadsheet."), fields={"file": _("unreadable")}
        ) from exc
    if not raw:
        raise InvalidInput(_("The file is empty."), fields={"file": _("empty")})
    columns = _spellings(COLUMN_LABELS)
    header = [columns.get(_key(h), "") if h is not None else "" for h in raw[0]]
    missing = [column_label(c) for c in COLUMNS if c in REQUIRED_COLUMNS - set(header)]
    if missing:
        raise InvalidInput(
            _("Columns missing from the first row: %(names)s.") % {"names": ", ".join(missing)},
            fields={"file": _("missing columns: %(names)s") % {"names": ", ".join(missing)}},
        )
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        record = {
            key: _cell(values[i]) if i < len(values) else None
            for i, key in enumerate(header)
            if key in COLUMNS
        }
        if any(v is not None for v in record.values()):
            rows.append((number, record))
    if len(rows) > MAX_ROWS:
        raise InvalidInput(
            _("A file may hold at most %(count)s rows.") % {"count": MAX_ROWS},
            fields={"file": _("too many rows")},
        )
    if not rows:
        raise InvalidInput(_("The file has no rows of needs."), fields={"file": _("no rows")})
    return rows


def validate_rows(
    rows: list[tuple[int, dict[str, Any]]], incident_id: int, areas: list[Area]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The valid rows ready to insert, and every problem as {row, column, message}."""
    by_name: dict[str, list[Area]] = {}
    for area in areas:
        by_name.setdefault(area.name.strip().lower(), []).append(area)
    by_id = {area.id: area for area in areas}
    spellings = {column: _spellings(names) for column, names in CODED.items()}
    valid: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for number, record in rows:
        problems: dict[str, str] = {}
        area = None
        area_value = record.get("area")
        if area_value is not None:
            key = str(area_value).strip()
            if key.isdigit() and int(key) in by_id:
                area = by_id[int(key)]
            else:
                found = by_name.get(key.lower(), [])
                if len(found) == 1:
                    area = found[0]
                elif found:
                    problems["area"] = _("several areas have this name; use the area's number")
                else:
                    problems["area"] = _("no such area in this incident")
        for column, names in spellings.items():
            value = record.get(column)
            if value is None:
                continue
            if _key(value) in names:
                record[column] = names[_key(value)]
            else:
                choices = ", ".join(str(text) for text in CODED[column].values())
                problems[column] = _("“%(value)s” is not one of: %(choices)s") % {
                    "value": value,
                    "choices": choices,
                }
        data = {
            k: v for k, v in record.items() if k != "area" and k not in problems and v is not None
        }
        data["incident_id"] = incident_id
        data["area_id"] = area.id if area else None
        try:
            need = NeedCreate.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else "row"
                column = "area" if column == "area_id" else column
                message = _("required") if err["type"] == "missing" else error_message(err)
                problems.setdefault(column, message)
            need = None
        if need is not None and (need.lat is None) != (need.lon is None):
            column = "lat" if need.lat is None else "lon"
            problems.setdefault(column, _("give both latitude and longitude, or neither"))
        elif need is not None and need.lat is None and area_value is None:
            for column in ("lat", "lon"):
                problems.setdefault(column, _("required unless an area is given"))
        if problems:
            errors.extend(
                {"row": number, "column": column, "message": message}
                for column, message in problems.items()
            )
            continue
        assert need is not None
        valid.append(
            {
                "row": number,
                "area_id": need.area_id,
                "title": need.title,
                "category": need.category.value,
                "quantity": need.quantity,
                "unit": need.unit,
                "priority": need.priority.value,
                "needed_by": need.needed_by.isoformat(),
                "lat": need.lat if need.lat is not None else area.lat,
                "lon": need.lon if need.lon is not None else area.lon,
                "description": need.description,
            }
        )
    return valid, errors
