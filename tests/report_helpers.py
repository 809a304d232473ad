"""Test helpers for reports built on lending.core.reports (every app's report tests use them).

- ``access_cases(allowed)``: parametrize a role check over every role and the anonymous visitor;
  ``assert_access(client, url, role, allowed)`` opens the page as that role: 200, 403, or the login redirect.
- ``page_rows(response)``: the table rows the page shows, as the strings it renders.
- ``csv_rows(client, url, **filters)`` / ``xlsx_rows(client, url, **filters)``: the export's rows (header first).
- ``chart(response, chart_id)``: one chart's JSON as the page embeds it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse

from lending.core import roles
from tests.core.factories import user_with_role

ANONYMOUS = None
_NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def access_cases(allowed: Iterable[str]) -> list[Any]:
    """``pytest.mark.parametrize(("role", "allowed"), access_cases(MyReport.allowed_roles))``: every role and None
    (anonymous), each with whether it may open the report."""
    allowed = set(allowed)
    cases = [pytest.param(role, role in allowed, id=role) for role in roles.ALL_ROLES]
    return [*cases, pytest.param(ANONYMOUS, False, id="anonymous")]


def assert_access(client, url: str, role: str | None, allowed: bool) -> None:
    """Allowed roles get 200, other signed-in users 403, the anonymous visitor the login page."""
    if role is not None:
        client.force_login(user_with_role(role))
    response = client.get(url)
    if role is None:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    else:
        assert response.status_code == (200 if allowed else 403)


def page_rows(response) -> list[list[str]]:
    """The rows of the report's table on this page, each cell as the page shows it."""
    assert response.status_code == 200, response.content[:500]
    return [[str(cell) for cell in row] for row in response.context["table_rows"]]


def _export(client, url: str, fmt: str, filters: dict[str, Any]):
    response = client.get(url, {**filters, "export": fmt})
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    return response


def csv_rows(client, url: str, **filters: Any) -> list[list[str]]:
    """The CSV export's rows, the header first; asserts it streams."""
    response = _export(client, url, "csv", filters)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    text = _content(response).decode()
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(client, url: str, **filters: Any) -> list[list[Any]]:
    """The Excel export's first sheet as rows (the header first): numbers as float, text as str, blanks as None.
    Dates come back as Excel serial numbers (days since 1899-12-30)."""
    response = _export(client, url, "xlsx", filters)
    assert isinstance(response, FileResponse)
    return read_xlsx(_content(response))


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def read_xlsx(content: bytes) -> list[list[Any]]:
    """A minimal reader of XlsxWriter's output (no openpyxl in the project): shared and inline strings, numbers."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))  # noqa: S314  our own export
            shared = ["".join(t.text or "" for t in si.iter(f"{{{_NS['x']}}}t")) for si in root.findall("x:si", _NS)]
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314  our own export
    rows: list[list[Any]] = []
    for row in sheet.iter(f"{{{_NS['x']}}}row"):
        cells: dict[int, Any] = {}
        for cell in row.findall("x:c", _NS):
            cells[_column_index(cell.get("r", "A1"))] = _cell_value(cell, shared)
        width = max(cells) + 1 if cells else 0
        rows.append([cells.get(index) for index in range(width)])
    return rows


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group(0)  # type: ignore[union-attr]
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _cell_value(cell, shared: list[str]) -> Any:
    kind = cell.get("t")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{{{_NS['x']}}}t"))
    value = cell.find("x:v", _NS)
    if value is None:
        return None
    if kind == "s":
        return shared[int(value.text)]
    if kind == "str":
        return value.text
    return float(value.text)


def chart(response, chart_id: str) -> dict[str, Any]:
    """One chart as the page embeds it for static/js/reports.js."""
    charts = {item["id"]: item for item in response.context["charts"]}
    assert chart_id in charts, f"no chart {chart_id!r}; the page has {sorted(charts)}"
    assert 'id="report-charts"' in response.content.decode()
    return charts[chart_id]
