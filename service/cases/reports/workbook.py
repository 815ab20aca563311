"""The quarterly return as a spreadsheet (``.xlsx``): report dict + language -> bytes, nothing else.

Built from the report itself, never from a list of figures, so a section added to the return gets
its sheet without a change here:

* a first sheet, "Summary", holds every top-level figure that is not a section (SLA, quarter, from,
  to, ``voice_heard_rate`` ...);
* every top-level key whose value is a dict or a list is a section and gets a sheet of its own, in
  the report's order, titled in ``language`` (``workbook_words``);
* every sheet has three columns: the figure as people read it (``By source: Self``), its key as
  the CSV writes it (``referrals.by_source.self``: machines read this column, it never changes with
  the language) and its value.

Values: a count or rate is a number cell, text (``"<5"`` for a commissioner, a story) a text cell
(never a formula, even when it starts with ``=``), ``None`` an empty cell, a boolean a boolean cell.
Characters a spreadsheet cannot hold (control characters other than tab and line breaks) are left out
of text.  Give it the report the caller may see: the suppressed one for a commissioner.
"""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from service.cases.reports import workbook_words as words

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_TITLE_MAX = 31  # Excel's limit on a sheet title
_SEPARATOR = ": "


def sections(report: dict[str, Any]) -> list[str]:
    """The keys of the report that get a sheet of their own: those whose value is a dict or a list."""
    return [key for key, value in report.items() if isinstance(value, dict | list)]


def _rows(key: str, label: str, value: Any, language: str) -> list[tuple[str, str, Any]]:
    """(label, dotted key, value) for every figure under ``value``, depth first, in the report's order."""
    if isinstance(value, dict):
        items = [(str(k), words.word(str(k), language), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(str(i), words.item(i, language), v) for i, v in enumerate(value)]
    else:
        return [(label, key, value)]
    out: list[tuple[str, str, Any]] = []
    for name, readable, inner in items:
        out += _rows(
            f"{key}.{name}", f"{label}{_SEPARATOR}{readable}" if label else readable, inner, language
        )
    return out


def _title(text: str, taken: set[str]) -> str:
    """A sheet title Excel accepts: no []:*?/\\, at most 31 characters, unique (case aside)."""
    base = _TITLE_FORBIDDEN.sub("-", text).strip("' ") or "-"
    title, n = base[:_TITLE_MAX], 1
    while title.lower() in taken:
        n += 1
        suffix = f" ({n})"
        title = base[: _TITLE_MAX - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def _write(sheet: Worksheet, row: int, column: int, value: Any) -> None:
    if value is None:
        return
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, bool | int):
        cell.value = value
    elif isinstance(value, float):  # rates and hours: one decimal, as in the return
        cell.value = value
        cell.number_format = "0.0"
    else:
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        cell.data_type = "s"  # text stays text: "=..." is never a formula


def _sheet(sheet: Worksheet, rows: list[tuple[str, str, Any]], language: str) -> None:
    for column, header in enumerate(words.columns(language), start=1):
        sheet.cell(row=1, column=column, value=header).font = Font(bold=True)
    for index, (label, key, value) in enumerate(rows, start=2):
        _write(sheet, index, 1, label)
        _write(sheet, index, 2, key)
        _write(sheet, index, 3, value)
        if isinstance(value, str) and len(value) > 60:
            sheet.cell(row=index, column=3).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    widths = [max((len(str(r[i])) for r in rows), default=0) for i in range(3)]
    for letter, width, least in zip("ABC", widths, (24, 24, 12), strict=True):
        sheet.column_dimensions[letter].width = min(max(width + 2, least), 80)


def workbook(report: dict[str, Any], language: str = "en") -> bytes:
    """The ``.xlsx`` file of ``report`` (the quarterly return as the caller may see it) in ``language``."""
    book = Workbook()
    taken: set[str] = set()
    summary = book.active
    summary.title = _title(words.summary(language), taken)
    scalars = [(k, v) for k, v in report.items() if not isinstance(v, dict | list)]
    _sheet(summary, [(words.word(k, language), k, v) for k, v in scalars], language)
    for key in sections(report):
        sheet = book.create_sheet(_title(words.word(key, language), taken))
        _sheet(sheet, _rows(key, "", report[key], language), language)
    book.properties.creator = "Advocacy Flow"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
