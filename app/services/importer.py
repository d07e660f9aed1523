"""Reading participants from CSV or XLSX into rows the ImportPeople command takes.

Everything that can be checked without the store is checked here, every bad row reported
with its line; the command checks the rest (unknown cohorts) before writing anything.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterator
from datetime import date, datetime, time
from pathlib import Path

from app.services.commands import PersonRow

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIXED = ("id", "name", "email", "cohort", "location", "status")


class ImportInvalid(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def _cells(path: Path) -> Iterator[tuple[int, list[str]]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
                yield number, ["" if v is None else _text(v) for v in row]
        finally:
            book.close()
        return
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        for row in reader:
            yield reader.line_num, [cell.strip() for cell in row]


def _text(value: object) -> str:
    """Spreadsheet cells arrive typed; a date cell means the date a coordinator typed."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_people(path: Path, cohorts: Collection[str] | None = None,
                default_cohort: str | None = None) -> list[PersonRow]:
    """`cohorts`, when given, are the keys the store knows: a row naming another (or falling
    back on an unknown `default_cohort`) is reported with the file's other bad rows."""
    name = path.name
    if not path.exists():
        raise ImportInvalid([f"{path}: no such file"])
    if path.suffix.lower() not in (".csv", ".xlsx", ".xlsm", ".txt"):
        raise ImportInvalid([f"{name}: expected a .csv or .xlsx file"])
    rows = _cells(path)
    header_line, header = next(rows, (1, []))
    columns = [h.strip().lower() if h.split(".")[0].lower() in ("attr", "impact") or
               h.strip().lower() in FIXED else h.strip() for h in header]
    errors = [
        f"{name} line {header_line}: unknown column '{col}' (expected id, name, email, cohort, "
        "location, status, attr.NAME or impact.NAME)"
        for col in columns
        if col and col not in FIXED and not re.match(r"^(attr|impact)\.\S+$", col)
    ]
    for required in ("id", "name"):
        if required not in columns:
            errors.append(f"{name} line {header_line}: the column '{required}' is missing")
    if errors:
        raise ImportInvalid(errors)
    people: list[PersonRow] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if not any(cells):
            continue
        record = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(columns)}
        problems: list[str] = []
        ext = record.get("id", "")
        if not ext:
            problems.append("the id is missing")
        elif ext in seen:
            problems.append(f"duplicate id '{ext}' (also on line {seen[ext]})")
        else:
            seen[ext] = line
        if not record.get("name"):
            problems.append("the name is missing")
        email = record.get("email", "")
        if email and not EMAIL.match(email):
            problems.append(f"'{email}' is not an email address")
        impacts: list[tuple[str, float]] = []
        for col, value in record.items():
            if col.startswith("impact.") and value != "":
                try:
                    impacts.append((col[7:], float(value.replace(",", ""))))
                except ValueError:
                    problems.append(f"{col} must be a number, not '{value}'")
        cohort = record.get("cohort") or default_cohort
        if cohorts is not None and cohort and cohort not in cohorts:
            problems.append(f"unknown cohort '{cohort}'")
        errors.extend(f"{name} line {line}: {p}" for p in problems)
        if problems:
            continue
        people.append(PersonRow(
            line=line, external_id=ext, name=record["name"], email=email or None,
            cohort=record.get("cohort") or None, location=record.get("location") or None,
            status=record.get("status") or None,
            attributes=tuple((c[5:], v) for c, v in record.items()
                             if c.startswith("attr.") and v != ""),
            impacts=tuple(impacts),
        ))
    if errors:
        raise ImportInvalid(errors)
    if not people:
        raise ImportInvalid([f"{name}: no participants in the file"])
    return people
