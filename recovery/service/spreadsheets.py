"""Spreadsheets of needs: the CSV and XLSX templates, reading a file, checking every row."""

import csv
import io
from datetime import date, datetime
from typing import Any
from zipfile import BadZipFile

from pydantic import ValidationError

from core.errors import InvalidInput, error_message
from core.i18n import _
from recovery.models import Area, Category, Priority
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


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow(EXAMPLE)
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    # openpyxl is imported where a spreadsheet is made or read, not by every web worker.
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "needs"
    sheet.append(list(COLUMNS))
    sheet.append(list(EXAMPLE))
    for column, values in (("B", Category), ("E", Priority)):
        rule = DataValidation(
            type="list", formula1='"' + ",".join(v.value for v in values) + '"', allow_blank=False
        )
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


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(row number as the spreadsheet shows it, {column: value}) for every non-blank row."""
    from openpyxl.utils.exceptions import InvalidFileException

    name = filename.lower()
    try:
        if name.endswith(".xlsx"):
            raw = _xlsx_rows(data)
        elif name.endswith(".csv"):
            text = data.decode("utf-8-sig")
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
    header = [str(h).strip().lower() if h is not None else "" for h in raw[0]]
    missing = sorted(REQUIRED_COLUMNS - set(header))
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
        data = {k: v for k, v in record.items() if k != "area" and v is not None}
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
