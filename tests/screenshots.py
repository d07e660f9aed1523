"""`make screenshots`: each view of the desktop app on the M demo data, as PNG files in
resources/screenshots/ (the README shows them).

    python -m tests.screenshots [--out DIR] [--db STORE]

Builds the M demo store in a temporary folder (unless --db names one), opens the main window
offscreen, and grabs every tab, the alerts and outbox docks, and the inbox on its own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="waypoint-shots-"))

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def build(db: Path) -> None:
    waypoint = [sys.executable, "-m", "app", "--db", str(db)]
    subprocess.run([*waypoint, "init", "--user", "coord@example.edu", "--name",
                    "Casey Coordinator"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    subprocess.run([*waypoint, "demo", "--size", "M"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)


def settle(app: QApplication, until: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if until():
            break
        time.sleep(0.02)
    for _ in range(25):  # let the last results paint
        app.processEvents()
        time.sleep(0.01)


def grab(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def show_a_roster(view: Any) -> None:
    """The attendance view opens on the next session, which may have nobody registered yet:
    show the soonest one with a roster instead."""
    model = view.sessions_model
    for row in range(model.rowCount()):
        line = model.session_at(row)
        if line is not None and line.registered:
            view.sessions.setCurrentIndex(model.index(row))
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.screenshots")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument("--db", type=Path, help="an existing store (default: a new M demo)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.db or Path(tempfile.mkdtemp(prefix="waypoint-demo-")) / "demo-M.sqlite3"
    if args.db is None:
        build(db)
    app = QApplication.instance() or QApplication([])
    app.setOrganizationName("Waypoint")
    app.setApplicationName("Waypoint")
    from app.models.store import open_store
    from app.views import theme
    from app.views.main_window import MainWindow

    theme.apply(app)
    window = MainWindow(open_store(db), run_scheduler=False)
    window.resize(1500, 900)
    window.show()
    idle = lambda: window.worker.pending == 0  # noqa: E731
    settle(app, idle)
    for number in range(window.tabs.count()):
        window.tabs.setCurrentIndex(number)
        settle(app, idle)
        if window.tabs.widget(number) is window.attendance:
            show_a_roster(window.attendance)
            settle(app, idle)
        if window.tabs.widget(number) is window.reports:
            window.reports.choose("cycle-time")  # a chart of bars side by side
            settle(app, idle)
        name = window.tabs.tabText(number).replace("&", "").split(" (")[0].lower()
        grab(window, args.out / f"{number + 1:02d}-{name}.png")
    window.open_inbox_window()
    settle(app, idle)
    window.inbox_window.resize(1200, 760)
    settle(app, idle)
    grab(window.inbox_window, args.out / "inbox-window.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
