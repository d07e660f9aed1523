"""A font for the PDFs Waypoint writes (sign-in sheets, reports) that covers more than
Latin-1, where the system has one; else Helvetica, and text outside Windows-1252 prints as
'?' (the ids beside names still identify people)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

UNICODE_FONTS = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "Arial Bold.ttf"),
    (os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts", "arial.ttf"), "arialbd.ttf"),
)


def unicode_font(pdf: FPDF, family: str) -> str:
    """Register the first font found under `family` (regular and bold); the family to use."""
    for regular, bold in UNICODE_FONTS:
        path = Path(regular)
        if path.is_file():
            heavy = path.with_name(bold)
            pdf.add_font(family, "", str(path))
            pdf.add_font(family, "B", str(heavy if heavy.is_file() else path))
            return family
    pdf.core_fonts_encoding = "windows-1252"
    return "helvetica"
