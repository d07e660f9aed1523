"""Reading one TOML table with the checks every key needs, collecting problems as it goes.

Each reader method returns a usable value even when the file's value is wrong (a default or
None) after noting the problem, so one pass finds every problem in the file. A table
remembers which keys were read: whatever is left when it is finished is an unknown key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date, datetime
from math import isfinite
from typing import Any

from app.services.programs.lines import join

Problem = tuple[str, str]  # (key path, message)

_DURATION = re.compile(r"([+-]?)(\d+)\s*([dw])")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
DURATION_HINT = 'a duration such as "14d" or "2w"'


def nearest(word: str, known: Iterable[str]) -> str:
    """' (did you mean 'due'?)' when a known word is close to `word`, else ''."""
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def choices(allowed: Iterable[str]) -> str:
    return ", ".join(f'"{value}"' for value in allowed)


def type_name(value: Any) -> str:
    """What a coordinator would call the value they wrote, for "expected X, got Y"."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return "a date or time"


def parse_days(value: Any, *, signed: bool = False) -> int | None:
    """Days in a duration like "3d", "2w" (or "-7d" where `signed`); None when it is not one."""
    if not isinstance(value, str):
        return None
    match = _DURATION.fullmatch(value.strip())
    if not match or (match.group(1) and not signed):
        return None
    days = int(match.group(2)) * (7 if match.group(3) == "w" else 1)
    return -days if match.group(1) == "-" else days


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date or date and time, written as text or as a TOML date/time."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


class Table:
    """A table of the program file at `path`; problems go to the shared `problems` list."""

    def __init__(self, data: dict[str, Any], path: str, problems: list[Problem]) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self.read: set[str] = set()

    def at(self, key: str) -> str:
        return join(self.path, key)

    def problem(self, key: str, message: str) -> None:
        self.problems.append((self.at(key), message))

    def has(self, key: str) -> bool:
        self.read.add(key)
        return key in self.data

    def raw(self, key: str) -> Any:
        self.read.add(key)
        return self.data.get(key)

    def finish(self) -> None:
        for key in self.data:
            if key not in self.read:
                self.problem(key, f"unknown key '{key}'{nearest(key, self.read)}")

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, "is required")
            return None
        if not isinstance(value, str):
            self.problem(key, f"expected text, got {type_name(value)}")
            return None
        if required and not value.strip():
            self.problem(key, "must not be empty")
        return value

    def texts(self, key: str, *, required: bool = False) -> list[str]:
        return [value for _, value in self.indexed_texts(key, required=required)]

    def indexed_texts(self, key: str, *, required: bool = False) -> list[tuple[int, str]]:
        """The good items of a list of text, each with its index in the file's list."""
        return self.text_list(self.raw(key), key, required=required)

    def text_list(self, value: Any, key: str, *, required: bool = False) -> list[tuple[int, str]]:
        """The non-empty texts of a list at `key` (which may be a dotted sub-path)."""
        if value is None:
            if required:
                self.problem(key, "is required")
            return []
        if not isinstance(value, list):
            self.problem(key, f'expected a list of text, like ["a", "b"], got {type_name(value)}')
            return []
        if required and not value:
            self.problem(key, "must list at least one")
        good = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.problem(f"{key}[{index}]", f"expected text, got {type_name(item)}")
            elif not item.strip():
                self.problem(f"{key}[{index}]", "must not be empty")
            else:
                good.append((index, item))
        return good

    def choice(self, key: str, allowed: Iterable[str], default: str | None) -> str | None:
        value = self.raw(key)
        if value is None:
            return default
        allowed = tuple(allowed)
        if value not in allowed:
            self.problem(key, f"expected one of {choices(allowed)}, got {value!r}")
            return default
        return value

    def choice_list(self, key: str, allowed: Iterable[str], *, required: bool = False) -> list[str]:
        allowed = tuple(allowed)
        values = self.texts(key, required=required)
        for index, value in enumerate(values):
            if value not in allowed:
                self.problem(
                    f"{key}[{index}]", f"expected one of {choices(allowed)}, got {value!r}"
                )
        return [value for value in values if value in allowed]

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"expected true or false, got {type_name(value)}")
            return default
        return value

    def integer(self, key: str, *, minimum: int) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"expected a whole number, got {type_name(value)}")
            return None
        if value < minimum:
            self.problem(key, f"must be at least {minimum}, got {value}")
            return None
        return value

    def number(self, key: str, *, required: bool = False) -> float | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not isfinite(value):
            self.problem(key, f"expected a number, got {type_name(value)}")
            return None
        return float(value)

    def days(self, key: str, *, signed: bool = False, required: bool = False) -> int | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, f"is required: {DURATION_HINT}")
            return None
        days = parse_days(value, signed=signed)
        if days is None:
            hint = 'a duration such as "7d", "-7d" or "2w"' if signed else DURATION_HINT
            self.problem(key, f"expected {hint}, got {value!r}")
        return days

    def email(self, key: str, value: Any) -> str | None:
        """Emails compare without regard to case: they are stored lower-cased."""
        if not isinstance(value, str) or not _EMAIL.fullmatch(value.strip()):
            self.problem(key, f"{value!r} is not an email address")
            return None
        return value.strip().lower()

    def emails(self, key: str) -> list[tuple[int, str]]:
        """The good addresses of a list, each with its index in the file's list."""
        good = []
        for index, value in self.indexed_texts(key):
            email = self.email(f"{key}[{index}]", value)
            if email is not None:
                good.append((index, email))
        return good

    def table(self, key: str) -> Table | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(key, f"expected a table, got {type_name(value)}")
            return None
        return Table(value, self.at(key), self.problems)

    def tables(self, key: str, *, hint: str | None = None) -> list[Table]:
        """An array of tables, whether written as [[key]] sections or as { ... } items."""
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(key, f"expected a list of tables{hint or ''}, got {type_name(value)}")
            return []
        good = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                good.append(Table(item, self.at(f"{key}[{index}]"), self.problems))
            else:
                message = f"expected a table {{ ... }}, got {type_name(item)}"
                self.problem(f"{key}[{index}]", message)
        return good

    def lists_by_name(self, key: str) -> dict[str, list[str]]:
        """A table of names to lists of values, like skip_when = { source = ["internal"] }."""
        table = self.table(key)
        if table is None:
            return {}
        table.read.update(table.data)
        result = {}
        for name, value in table.data.items():
            values = table.text_list(value, name, required=True)
            if values:
                result[name] = [text for _, text in values]
        return result
