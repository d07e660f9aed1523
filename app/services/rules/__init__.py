"""Rule families, one module each; importing this package registers them all."""

from app.services.rules import (  # noqa: F401
    actions,
    approvals,
    content,
    definitions,
    delivery,
    gates,
    lifecycle,
    membership,
    optional,
    people,
    profile,
    progress_verbs,
    scheduling,
    sessions,
    sheets,
    triggers,
    unset,
    whiteboards,
)
