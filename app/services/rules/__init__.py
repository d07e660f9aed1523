"""Rule families, one module each; importing this package registers them all."""

from app.services.rules import (  # noqa: F401
    actions,
    approvals,
    bulk,
    content,
    definitions,
    delivery,
    gates,
    lifecycle,
    membership,
    nudges,
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
