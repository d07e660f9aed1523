"""Where handlers and rules register, so that adding a command or a rule is one module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Fn = Callable[[Any, Any], None]

HANDLERS: dict[type, Fn] = {}
RULES: dict[type, list[Fn]] = {}


def handles(command_type: type) -> Callable[[Fn], Fn]:
    def register(fn: Fn) -> Fn:
        HANDLERS[command_type] = fn
        return fn

    return register


def reacts_to(event_type: type) -> Callable[[Fn], Fn]:
    def register(fn: Fn) -> Fn:
        RULES.setdefault(event_type, []).append(fn)
        return fn

    return register
