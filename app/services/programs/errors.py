"""How a refused program file explains itself: one line per problem, file:line: key path."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProgramError:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ProgramInvalid(Exception):
    """The whole file is refused; `errors` lists every problem found, in file order."""

    def __init__(self, errors: list[ProgramError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))
