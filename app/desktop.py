"""Opening the desktop app, kept apart so the command line never imports Qt."""

from __future__ import annotations


def run_desktop(db: str | None) -> int:
    from app.views.main_window import run

    return run(db)
