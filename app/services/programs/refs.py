"""References between definitions: to this file's own keys or to what the store already has."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.services.programs.fields import Problem, Table, nearest

NOUNS = {
    "staff": "staff member",
    "cohorts": "cohort",
    "gates": "gate",
    "templates": "mail template",
    "campaigns": "campaign",
    "milestones": "milestone",
    "sessions": "session",
}


class Known:
    """The keys a reference may name: this file's (read before validation) and the store's."""

    def __init__(self, data: dict[str, Any], existing: dict[str, set[str]] | None) -> None:
        self.with_store = existing is not None
        self.keys: dict[str, set[str]] = {}
        for section in NOUNS:
            field = "email" if section == "staff" else "key"
            items = data.get(section)
            mine = {
                item[field].strip().lower() if section == "staff" else item[field]
                for item in (items if isinstance(items, list) else [])
                if isinstance(item, dict) and isinstance(item.get(field), str)
            }
            theirs = (existing or {}).get(section, set())
            if section == "staff":
                theirs = {email.lower() for email in theirs}
            self.keys[section] = mine | set(theirs)

    def check(self, table: Table, key: str, section: str, value: str) -> None:
        """Note a problem at `table`.`key` unless `value` names a known `section` entry."""
        if value in self.keys[section]:
            return
        where = "this file or the store" if self.with_store else "this file"
        hint = nearest(value, self.keys[section])
        table.problem(key, f"no {NOUNS[section]} '{value}' in {where}{hint}")

    def check_all(
        self, table: Table, key: str, section: str, values: Iterable[tuple[int, str]]
    ) -> list[str]:
        """Check an indexed list (as `Table.indexed_texts` gives); returns the plain values."""
        plain = []
        for index, value in values:
            self.check(table, f"{key}[{index}]", section, value)
            plain.append(value)
        return plain


def cycles(links: list[tuple[str, list[str]]], path: str, field: str) -> list[Problem]:
    """One problem per cycle in `links` (key → keys it depends on, in file order).

    Each cycle is reported once, at the entry written first in the file, so a coordinator
    sees one message to act on rather than one per member.
    """
    graph = {key: targets for key, targets in links}
    position = {key: index for index, (key, _) in enumerate(links)}
    problems: list[Problem] = []
    seen: set[frozenset[str]] = set()
    done: set[str] = set()
    for root, _ in links:
        trail: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]  # (key, how many of its targets were tried)
        while stack:
            key, tried = stack.pop()
            if tried == 0:
                if key in trail:
                    loop = trail[trail.index(key) :]
                    if len(loop) > 1 and frozenset(loop) not in seen:
                        seen.add(frozenset(loop))
                        problems.append(_cycle(loop, position, path, field))
                    continue
                if key in done or key not in graph:
                    continue
                trail.append(key)
            if tried < len(graph[key]):
                stack.append((key, tried + 1))
                stack.append((graph[key][tried], 0))
            else:
                trail.pop()
                done.add(key)
    return problems


def _cycle(loop: list[str], position: dict[str, int], path: str, field: str) -> Problem:
    first = min(range(len(loop)), key=lambda i: position[loop[i]])
    loop = loop[first:] + loop[:first]
    chain = " → ".join(f"'{step}'" for step in [*loop, loop[0]])
    return f"{path}[{position[loop[0]]}].{field}", f"{chain} is a cycle"
