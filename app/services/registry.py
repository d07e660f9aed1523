"""Where handlers and rules register, so that adding a command or a rule is one module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HANDLERS: dict[type, Callable[[Any, Any], None]] = {}
RULES: dict[type, list[Callable[[Any, Any], None]]] = {}


def handles(command_type: type) -> Callable[[Callable[[Any, Any], None]], Callable[[Any, Any], None]]:
    def register(fn: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        HANDLERS[command_type] = fn
        return fn

    return register


def reacts_to(event_type: type) -> Callable[[Callable[[Any, Any], None]], Callable[[Any, Any], None]]:
    def register(fn: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        RULES.setdefault(event_type, []).append(fn)
        return fn

    return register
