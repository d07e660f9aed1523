"""The sign-in sheet as a PDF (app/services/signin_sheet.py reads the roster and loads this
when a sheet is printed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fpdf import FPDF

from app.services.pdf_fonts import unicode_font
from app.services.signin_sheet import COLUMNS, Roster, Visit, long_day, when_text


class _SheetPdf(FPDF):
    """Repeats the session's heading on every page, so a loose page still says which session
    and which day it is."""

    def __init__(self, r: Roster, paper: str) -> None:
        super().__init__(format=paper)
        self.roster = r
        self.day: date | None = None
        self.family = unicode_font(self, "sheet")
        self.set_auto_page_break(True, margin=18)
        self.set_margins(12, 12, 12)
        self.set_title(f"Sign-in sheet: {r.title}")
        self.set_creator("Waypoint")

    def text_of(self, text: str) -> str:
        if self.family != "helvetica":
            return text
        return text.encode("windows-1252", "replace").decode("windows-1252")

    def line_of(self, text: str, size: float, style: str = "", height: float = 6) -> None:
        self.set_font(self.family, style, size)
        self.cell(0, height, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def header(self) -> None:
        r = self.roster
        self.line_of(f"Sign-in sheet: {r.title}" + (" (tentative)" if r.tentative else ""),
                     15, "B", 8)
        self.line_of(when_text(r), 10)
        where = [f"Location: {r.location}"] if r.location else []
        where += [f"Trainers: {', '.join(r.trainers)}"] if r.trainers else []
        if where:
            self.line_of("    ".join(where), 10)
        if self.day is not None:
            days = r.days
            label = f"Day {days.index(self.day) + 1} of {len(days)}: " if len(days) > 1 else ""
            self.line_of(label + long_day(self.day), 11, "B", 7)
        self.line_of("Sign when you arrive and write the time; write it again when you leave. "
                     "Not on the list? Use a blank line at the end.", 8, "", 5)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        r = self.roster
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.text_of(f"{r.program or 'Waypoint'} · session {r.key} · page "
                                     f"{self.page_no()} of {{nb}}"), align="C")


def render(r: Roster, days: Sequence[date] | None, *, walk_ins: int, paper: str) -> bytes:
    """One sheet per day, each starting on a new page; the column headings repeat when a day
    runs over a page."""
    pdf = _SheetPdf(r, paper)
    for day in days or r.days:
        pdf.day = day
        pdf.add_page()
        pdf.set_font(pdf.family, "", 10)
        with pdf.table(col_widths=[w for _, w, _ in COLUMNS], min_row_height=10,
                       text_align=[a for _, _, a in COLUMNS], v_align="MIDDLE",
                       repeat_headings=1, line_height=5) as table:
            table.row([name for name, _, _ in COLUMNS])
            for line in r.lines:
                visit = line.visits.get(day) or Visit(None, None)
                name = line.name + (" (no-show)" if line.no_show and not visit.join else "")
                table.row([pdf.text_of(name), pdf.text_of(line.person), "",
                           r.clock(visit.join), r.clock(visit.leave)])
            for _ in range(walk_ins):
                table.row(["", "", "", "", ""])
        pdf.ln(6)
        pdf.line_of("Marked by (trainer): ______________________________    "
                    "Signature: ______________________", 10)
    return bytes(pdf.output())
