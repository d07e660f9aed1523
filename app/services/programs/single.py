"""One definition (a cohort, a staff member, a milestone) as its block of a program file.

The app edits definitions one at a time, but it must not invent rules of its own: what a
dialog saves is the definition's program-file block, checked by `parse_program` exactly as a
file would be, then applied by key like a file holding only that block. This module adds the
few checks that only make sense for one block edited in place: it holds exactly that one
definition, a new one does not take a key already in use, an edited one keeps its key, and
an activity file is one the store already has (a new file comes with a program file, whose
folder it is read from).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from typing import Any

import tomli_w

from app.services.programs.dump import dump_program
from app.services.programs.errors import ProgramError, ProgramInvalid
from app.services.programs.lines import key_lines, line_of
from app.services.programs.parse import parse_program
from app.services.programs.refs import cycles
from app.services.programs.spec import MilestoneSpec, ProgramSpec

# section → (the field that identifies an entry, what a coordinator calls one)
SECTIONS: dict[str, tuple[str, str]] = {
    "cohorts": ("key", "cohort"),
    "staff": ("email", "staff member"),
    "milestones": ("key", "milestone"),
}
_FIELD = re.compile(r"[^.\[]+")


def one_text(section: str, item: Any) -> str:
    """The program-file block of one definition, as `waypoint export` would write it."""
    return dump_program(ProgramSpec(**{section: [item]}))


def raw_text(section: str, table: dict[str, Any]) -> str:
    """A definition's table as program-file text, whether or not it checks out, laid out as
    `one_text` lays it out (short values inline, rule tables under their own header), so the
    line a problem names is the line the user reads."""
    head, tails = [f"[[{section}]]"], []
    for key, value in table.items():
        if key in _SUB_TABLES and isinstance(value, dict):
            tails.append(f"[{section}.{_key(key)}]\n" + _lines(value))
        elif key in _SUB_ARRAYS and isinstance(value, list) and value and all(
                isinstance(item, dict) for item in value):
            tails.extend(f"[[{section}.{_key(key)}]]\n" + _lines(item) for item in value)
        else:
            head.append(f"{_key(key)} = {_inline(value)}")
    return "\n".join(["\n".join(head) + "\n", *tails])


_SUB_TABLES = {"approval", "on_complete", "optional"}
_SUB_ARRAYS = {"surveys"}


def _lines(table: dict[str, Any]) -> str:
    return "".join(f"{_key(key)} = {_inline(value)}\n" for key, value in table.items())


def _inline(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return tomli_w.dumps({"v": value})[4:-1]


def _key(key: str) -> str:
    return tomli_w.dumps({key: 0})[: -len(" = 0\n")]


def field_of(section: str, path: str) -> str | None:
    """The definition's own key a problem's key path points into: "milestones[0].due.date"
    → "due"; None for a problem that is not inside the one entry (a syntax error)."""
    prefix = f"{section}[0]."
    if not path.startswith(prefix):
        return None
    match = _FIELD.match(path, len(prefix))
    return match.group() if match else None


def check_one(
    text: str,
    section: str,
    existing: dict[str, set[str]],
    *,
    original: str | None = None,
    stored: Any = None,
    links: dict[str, list[str]] | None = None,
    source: str = "this definition",
) -> Any:
    """The one definition `text` declares, checked as a program file and as an edit.

    `original` is the key (or email) of the definition being edited, None when creating;
    `stored` its spec as the store holds it; `links` the store's prerequisites (milestones)
    or parents (cohorts) by key, where a loop through this definition would close. Raises
    ProgramInvalid with every problem.
    """
    noun = SECTIONS[section][1]
    errors: list[ProgramError] = []
    spec: ProgramSpec | None = None
    try:
        spec = parse_program(text, source, existing)
    except ProgramInvalid as invalid:
        errors.extend(invalid.errors)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = None  # parse_program has said where
    lines = key_lines(text) if data is not None else {}

    def problem(path: str, message: str) -> None:
        errors.append(ProgramError(source, line_of(lines, path), path, message))

    item = None
    if data is not None:
        for name in data:
            if name != section:
                problem(name, f"this {noun} is edited on its own: [{name}] belongs in a program "
                        "file (File → Apply program file…)")
        entries = data.get(section)
        count = len(entries) if isinstance(entries, list) else 0
        if count != 1:
            problem(section, f"expected exactly one [[{section}]] entry, the {noun} edited "
                    f"here; found {count}")
        elif isinstance(entries[0], dict) and isinstance(entries[0].get(SECTIONS[section][0]),
                                                         str):
            _identity(entries[0][SECTIONS[section][0]].strip(), section, existing, original,
                      problem)
    if spec is not None and len(getattr(spec, section)) == 1:
        item = getattr(spec, section)[0]
        if isinstance(item, MilestoneSpec):
            item = _activity_files(item, stored, problem)
        if links is not None and section in _LINKS:
            _loops(item, section, links, problem)
    if errors:
        errors.sort(key=lambda error: (error.line is None, error.line or 0))
        raise ProgramInvalid(errors)
    return item


def _identity(value: str, section: str, existing: dict[str, set[str]], original: str | None,
              problem: Any) -> None:
    """A new definition may not reuse a key (apply would quietly update that one instead);
    an edited one keeps its key, which is how apply finds it. Emails compare without case."""
    field, noun = SECTIONS[section]
    path = f"{section}[0].{field}"

    def same(key: str) -> str:
        return key.lower() if section == "staff" else key

    if not value:
        return  # the parser says it is required
    if original is None:
        if same(value) in {same(key) for key in existing.get(section, set())}:
            problem(path, f"'{value}' is already the {field} of a {noun}: choose another, or "
                    f"edit that {noun}")
    elif same(value) != same(original):
        problem(path, f"is how the {noun} is known ('{original}') and cannot change here; "
                f"create a new {noun} instead")


_LINKS = {"milestones": "after", "cohorts": "parent"}


def _loops(item: Any, section: str, links: dict[str, list[str]], problem: Any) -> None:
    """A prerequisite (or parent) that leads back to this definition through the store."""
    field = _LINKS[section]
    mine = item.after if section == "milestones" else [item.parent] if item.parent else []
    graph = [(item.key, mine), *((key, to) for key, to in sorted(links.items())
                                 if key != item.key)]
    for path, message in cycles(graph, section, field):
        if path == f"{section}[0].{field}":
            problem(path, f"{message} through the store's {section}, so it could never "
                    f"{'open' if section == 'milestones' else 'have a place in the tree'}")


def _activity_files(item: MilestoneSpec, stored: MilestoneSpec | None,
                    problem: Any) -> MilestoneSpec:
    """Activity files keep the content the store holds for them; a file the store does not
    hold cannot be read from here (it is named relative to a program file)."""
    held = {a.file: a.sha256 for a in (stored.activities if stored else []) if a.file}
    activities = []
    for index, activity in enumerate(item.activities):
        if activity.file:
            if held.get(activity.file):
                activity = dataclasses.replace(activity, sha256=held[activity.file])
            else:
                problem(f"milestones[0].activities[{index}].file",
                        f"'{activity.file}' is not a file this milestone has: a new file comes "
                        "with a program file (File → Apply program file…); here, give a link")
        activities.append(activity)
    return dataclasses.replace(item, activities=activities)
