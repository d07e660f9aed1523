"""The program file: a program as code, read into a complete spec and written back out.

Pure: no database, no Qt. `apply` and `export` act on the spec; this package only reads,
checks and writes the text.
"""

from app.services.programs.dump import dump_program
from app.services.programs.errors import ProgramError, ProgramInvalid
from app.services.programs.parse import parse_program
from app.services.programs.spec import ProgramSpec

__all__ = ["ProgramError", "ProgramInvalid", "ProgramSpec", "dump_program", "parse_program"]
