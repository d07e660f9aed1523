"""Rule families, one module each; importing this package registers them all."""

from app.services.rules import lifecycle, membership, people, progress_verbs, profile  # noqa: F401
