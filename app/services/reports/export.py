"""A report's table as text: aligned for the terminal, CSV, an XLSX workbook or a PDF."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.services.errors import Refused
from app.services.pdf_fonts import unicode_font
from app.services.reports.table import Table

FORMATS = (".csv", ".xlsx", ".pdf")
WIDEST = 40  # characters of one cell in the aligned text


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def numeric(table: Table) -> list[bool]:
    """Which columns hold numbers (and nothing else but blanks): shown to the right."""
    return [bool(table.rows) and all(isinstance(row[i], int | float)
                                     and not isinstance(row[i], bool)
                                     for row in table.rows if row[i] is not None)
            for i in range(len(table.columns))]


def aligned(table: Table) -> str:
    """The title, the table with numbers to the right, then the notes. Long cells (lists of
    cohorts) are cut so that a row still fits a line; --csv and --json give them whole."""
    # Laid out a column at a time and each line by one format: reports run to 200,000 rows.
    texts = [[v if type(v) is str else cell_text(v) for v in row] for row in table.rows]
    longest = ([max(map(len, column)) for column in zip(*texts, strict=True)] if texts
               else [0] * len(table.columns))
    cut = any(length > WIDEST for length in longest)
    if cut:
        texts = [[t if len(t) <= WIDEST else t[:WIDEST - 1] + "…" for t in row] for row in texts]
    widths = [max(len(c), min(length, WIDEST)) for c, length in zip(table.columns, longest,
                                                                    strict=True)]
    layout = "  ".join(f"{{:{'>' if right else '<'}{w}}}"
                       for w, right in zip(widths, numeric(table), strict=True))

    def line(values: list[str]) -> str:
        return layout.format(*values).rstrip()

    lines = [table.title, "", line(table.columns), line(["-" * w for w in widths])]
    lines += [line(row) for row in texts] or ["(nothing to report)"]
    notes = list(table.notes)
    if cut:
        notes.append(f"Cells longer than {WIDEST} characters are cut (…): --csv or --json "
                     "gives them whole.")
    lines += ["", *notes] if notes else []
    return "\n".join(lines)


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([cell_text(v) for v in row] for row in table.rows)
    return out.getvalue()


def _xlsx(table: Table, path: Path) -> None:
    # Imported here, as _pdf's: the window would otherwise load openpyxl and fpdf (a third of
    # a second) at every start for an export made now and then.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.title[:31]
    sheet.append(table.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        # Excel keeps no time zone: a time is written as the wall time it was shown in.
        sheet.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
    sheet.freeze_panes = "A2"
    book.save(path)


def _pdf(table: Table, path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape" if len(table.columns) > 5 else "portrait")
    family = unicode_font(pdf, "report")

    def text(value: str) -> str:
        if family != "helvetica":
            return value
        return value.encode("windows-1252", "replace").decode("windows-1252")

    pdf.set_title(table.title)
    pdf.set_creator("Waypoint")
    pdf.add_page()
    pdf.set_font(family, "B", 14)
    pdf.cell(0, 10, text(table.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    align = ["RIGHT" if right else "LEFT" for right in numeric(table)]
    with pdf.table(repeat_headings=1, line_height=5, text_align=align) as grid:
        grid.row([text(c) for c in table.columns])
        for row in table.rows:
            grid.row([text(cell_text(v)) for v in row])
    if not table.rows:
        pdf.cell(0, 8, "(nothing to report)", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for note in table.notes:
        pdf.multi_cell(0, 5, text(note), new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(pdf.output()))


def write(table: Table, path: Path) -> None:
    """By the file's extension: .csv, .xlsx or .pdf."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise Refused(f"Cannot write a report to '{path.name}': the file must end in "
                      f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]}.")
    if suffix == ".csv":
        path.write_text(csv_text(table), encoding="utf-8", newline="")
    elif suffix == ".xlsx":
        _xlsx(table, path)
    else:
        _pdf(table, path)
