"""Row ids for generated data: deterministic from the seed, cheap, and in insertion order.

Each table gets its own series: a 64-bit head derived from the seed and the table name, and a
counter. The same seed gives the same ids (a replayed demo reaches the same rows), and ids
that grow with insertion keep SQLite's key indexes appending instead of splitting pages.
The text is 32 lowercase hex digits, as SQLAlchemy's Uuid type stores a UUID on SQLite
(version 8, "custom"; the counter's top bits are the RFC 4122 variant).

Formatting millions of ids in Python would cost more than inserting them, so a counter is
bound as a signed 64-bit integer whose bit pattern is the id's second half, and SQLite's
printf writes the hex (`sql`); `text` gives the same id in Python where one is needed.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable

NAMESPACE = uuid.UUID("5b0a4c1e-9d7f-4e21-8f55-3c1d2b7a9e60")
_FIRST = -(1 << 63) + 1  # bit 63 set, bit 62 clear: the variant; then 1, 2, 3, …
_MASK = (1 << 64) - 1


class Ids:
    def __init__(self, seed: int, table: str) -> None:
        head = uuid.uuid5(NAMESPACE, f"{seed}:{table}").int >> 64
        self.head = f"{(head & ~0xF000) | 0x8000:016x}"
        self.next: Callable[[], int] = itertools.count(_FIRST).__next__

    def sql(self) -> str:
        """The SQL expression that makes the id from its bound counter."""
        return f"'{self.head}' || printf('%016x', ?)"

    def text(self, value: int) -> str:
        return f"{self.head}{value & _MASK:016x}"
