"""CSV and Excel exports of a report's rows, in constant memory whatever the number of rows.

CSV: a StreamingHttpResponse over a generator; the rows come from ``QuerySet.iterator(chunk_size=...)`` (a server-side
cursor on PostgreSQL), so neither the database rows nor the file are ever held whole.
Excel: XlsxWriter in ``constant_memory`` mode (each row is flushed to disk as it is written) into a temporary file,
then sent with FileResponse, which streams the file and deletes it when closed.
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse

from lending.core.reports.columns import DATE, DECIMAL, INTEGER, MONEY, PERCENT, Column

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The rows a generator sends per write: the response yields one chunk of text per batch, not one per row.
CSV_BATCH_ROWS = 500
# The most rows an Excel sheet holds (1,048,576) less the header row. XlsxWriter ignores a row past it without a
# word (its write returns -1): a longer export is refused instead (the CSV has no limit).
XLSX_MAX_ROWS = 1_048_575


class TooManyRowsForExcel(ValueError):
    """The rows do not fit one Excel sheet."""

    def __init__(self) -> None:
        super().__init__(
            f"Excel: more than {XLSX_MAX_ROWS:,} rows, the most a sheet holds; narrow the filters or export CSV"
        )


class _Echo:
    """A file-like sink for csv.writer: writerow returns the text instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Sequence[Column], rows: Iterable[Any]) -> Iterator[str]:
    """The CSV text of the header and ``rows``, a batch of rows at a time."""
    writer = csv.writer(_Echo())
    yield writer.writerow([column.label for column in columns])
    cells = [column.csv_cell() for column in columns]  # each column's reading and conversion bound once
    batch: list[list[str]] = []
    for row in rows:
        batch.append([cell(row) for cell in cells])
        if len(batch) >= CSV_BATCH_ROWS:
            yield "".join(writer.writerow(line) for line in batch)
            batch = []
    if batch:
        yield "".join(writer.writerow(line) for line in batch)


def csv_text_lines(columns: Sequence[Column], cells: Iterable[Sequence[str | None]]) -> Iterator[str]:
    """The CSV text of the header and rows whose cells are already the columns' CSV text (None for an empty cell),
    e.g. written by the database (``lending.core.reports.sql_cells``): ``csv.writer`` quotes and joins a batch at a
    time, with no Python per cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.label for column in columns])
    rows = iter(cells)
    while True:
        writer.writerows(itertools.islice(rows, CSV_BATCH_ROWS))
        text = buffer.getvalue()
        if not text:
            return
        yield text
        buffer.seek(0)
        buffer.truncate()


def csv_response(
    *, columns: Sequence[Column], rows: Iterable[Any], filename: str, formatted: bool = False
) -> StreamingHttpResponse:
    """``formatted``: the rows' cells are already their CSV text (``csv_text_lines``)."""
    lines = csv_text_lines(columns, rows) if formatted else csv_lines(columns, rows)
    response = StreamingHttpResponse(lines, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(*, columns: Sequence[Column], rows: Iterable[Any], filename: str, sheet_title: str) -> FileResponse:
    """The rows as one Excel sheet (header row frozen), numbers as numbers, dates as dates."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  FileResponse closes it (and so deletes it)
    try:
        xlsx_write(handle, columns=columns, rows=rows, sheet_title=sheet_title)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def xlsx_write(handle: Any, *, columns: Sequence[Column], rows: Iterable[Any], sheet_title: str) -> None:
    workbook = xlsxwriter.Workbook(handle, {"constant_memory": True, "strings_to_formulas": False})
    formats = [workbook.add_format({"num_format": _number_format(column)}) for column in columns]
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet(_sheet_name(sheet_title))
    sheet.freeze_panes(1, 0)
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.label, bold)
        sheet.set_column(index, index, 14 if column.numeric or column.kind == DATE else 22)
    for number, row in enumerate(rows, start=1):
        if number > XLSX_MAX_ROWS:
            workbook.close()
            raise TooManyRowsForExcel
        for index, column in enumerate(columns):
            _write_cell(sheet, number, index, column.export_value(row), formats[index])
    workbook.close()


def _number_format(column: Column) -> str:
    if column.kind == MONEY:
        return "#,##0.00"
    if column.kind == INTEGER:
        return "0"
    if column.kind == DATE:
        return "yyyy-mm-dd"
    if column.kind in (PERCENT, DECIMAL):
        return "0." + "0" * column.places if column.places else "0"
    return "General"


def _write_cell(sheet: Any, row: int, col: int, value: Any, cell_format: Any) -> None:
    if value is None:
        return  # constant_memory mode: an unwritten cell is a blank cell
    if isinstance(value, date):
        sheet.write_datetime(row, col, value, cell_format)
    elif isinstance(value, str):
        sheet.write_string(row, col, value)
    else:
        # Excel stores every number as a binary double: the Decimal becomes a float here, at the file's edge, only.
        sheet.write_number(row, col, float(value), cell_format)


def _sheet_name(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return cleaned[:31] or "Report"
