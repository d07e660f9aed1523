"""Where each key path is written in a program file.

tomllib gives values but no positions, and error messages must name a line. This scanner
walks text that tomllib has already accepted, so it only has to follow TOML's structure
(tables, arrays of tables, dotted keys, inline tables, arrays, strings, comments), not
check it. Anything it cannot follow just has no line: the message then omits it.
"""

from __future__ import annotations

import bisect
import re
import tomllib

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key_lines(text: str) -> dict[str, int]:
    """Map every key path ("milestones[3].due", "sessions[0]") to its 1-based line."""
    try:
        return _Scanner(text).scan()
    except (IndexError, ValueError):  # TOMLDecodeError is a ValueError
        return {}


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of `path`, or of the nearest enclosing table or array entry that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, char in enumerate(text) if char == "\n"]
        self.lines: dict[str, int] = {}
        self.table_counts: dict[str, int] = {}

    def line(self) -> int:
        return bisect.bisect_left(self.newlines, self.pos) + 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def scan(self) -> dict[str, int]:
        table = ""
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.lines
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)

    def header(self) -> str:
        """A `[table]` or `[[array.of.tables]]` line; returns the path keys below it go to."""
        line = self.line()
        many = self.peek(2) == "[["
        self.pos += 2 if many else 1
        keys = self.keys()
        self.pos += 2 if many else 1
        path = ""
        for key in keys[:-1]:
            path = join(path, key)
            if path in self.table_counts:
                path += f"[{self.table_counts[path] - 1}]"
        path = join(path, keys[-1])
        if many:
            self.lines.setdefault(path, line)
            count = self.table_counts.get(path, 0)
            self.table_counts[path] = count + 1
            path += f"[{count}]"
        self.lines.setdefault(path, line)
        return path

    def key_value(self, table: str) -> None:
        line = self.line()
        path = table
        for key in self.keys():
            path = join(path, key)
            self.lines.setdefault(path, line)
        self.skip_blank()
        if self.peek() != "=":
            raise ValueError("expected '='")
        self.pos += 1
        self.skip_blank()
        self.value(path)

    def keys(self) -> list[str]:
        """A dotted key such as `a."b c".d`, up to (not including) '=' or ']'."""
        keys = []
        while True:
            self.skip_blank()
            if self.peek() in ('"', "'"):
                keys.append(self.string())
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if not match:
                    raise ValueError("expected a key")
                keys.append(match.group())
                self.pos = match.end()
            self.skip_blank()
            if self.peek() != ".":
                return keys
            self.pos += 1

    def value(self, path: str) -> None:
        char = self.peek()
        if char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        elif char in ('"', "'"):
            self.string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}\n#":
                self.pos += 1

    def array(self, path: str) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            item = f"{path}[{index}]"
            self.lines.setdefault(item, self.line())
            self.value(item)
            index += 1
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1

    def inline_table(self, path: str) -> None:
        self.pos += 1
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.pos += 1
                return
            self.key_value(path)
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1

    def string(self) -> str:
        """Step over a string of any of TOML's four kinds; returns its value (for keys)."""
        start = self.pos
        quote = self.peek()
        delimiter = quote * 3 if self.peek(3) == quote * 3 else quote
        self.pos += len(delimiter)
        while not self.text.startswith(delimiter, self.pos):
            self.pos += 2 if quote == '"' and self.text[self.pos] == "\\" else 1
        self.pos += len(delimiter)
        while len(delimiter) == 3 and self.peek() == quote:  # `""""` ends with a quote inside
            self.pos += 1
        return tomllib.loads("k = " + self.text[start : self.pos])["k"]

    def skip_blank(self, newlines: bool = False) -> None:
        blank = " \t\r\n" if newlines else " \t\r"
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "#":
                while self.pos < len(self.text) and self.text[self.pos] != "\n":
                    self.pos += 1
            elif char in blank:
                self.pos += 1
            else:
                return
