"""The desktop app on a store, offscreen, as a coordinator meets it: the process started until
the main window is usable, a cohort of 5,000 chosen until its board is filled, and the
resident memory with the store open.

`python -m tests.perf.window_probe --db STORE --started EPOCH [--runs N]` prints one JSON
object on its last line. Usable: the cohort tree shown and the participants of the cohort it
chooses listed (the tab the window opens on); the other tabs and docks are read behind it.
`--started` is when the parent started this process (time.time()), so that the start-up
measure covers the interpreter, the imports and Qt as a user waits for them. The scheduler's
clock is not started: its first tick runs on the worker after the window's reads and would
only make "usable" mean "idle".
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse  # noqa: E402 - the platform is chosen before Qt is imported
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.models.store import open_store  # noqa: E402
from app.services.queries.board import cohort_tree, subtree  # noqa: E402
from app.views import theme  # noqa: E402
from app.views.main_window import MainWindow  # noqa: E402
from tests.perf.probe import BOARD_SIZE, subtree_members  # noqa: E402

TIMEOUT = 120.0


def wait(until: Callable[[], bool], timeout: float = TIMEOUT) -> float:
    """Process events until the condition holds; the time.time() it first held."""
    limit = time.time() + timeout
    while not until():
        if time.time() > limit:
            raise TimeoutError("the window did not get there in time")
        QCoreApplication.processEvents()
        time.sleep(0.001)
    return time.time()


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.window_probe")
    parser.add_argument("--db", required=True)
    parser.add_argument("--started", type=float, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    app = QApplication(sys.argv)
    QSettings().clear()  # the window opens as on a first start, not on the tab a run left
    theme.apply(app)
    store = open_store(args.db)
    window = MainWindow(store, run_scheduler=False)
    window.show()
    usable = wait(lambda: bool(window.tree.rows) and window.people.people_model.rowCount() > 0)
    wait(lambda: window.worker.pending == 0)  # the other tabs and docks, read behind it
    with store.session() as session:
        rows = cohort_tree(session)
    sizes = subtree_members(rows)
    big = [row for row in rows if sizes[row.id] >= BOARD_SIZE]
    chosen = (min(big, key=lambda row: sizes[row.id]) if big
              else max(rows, key=lambda row: sizes[row.id]))
    board = window.board
    window.tabs.setCurrentWidget(board)  # a coordinator choosing a cohort to see its board
    first_screen: list[float] = []
    filled: list[float] = []
    screen_at: list[float] = []
    done: list[float] = []
    board.model.modelReset.connect(lambda: screen_at.append(time.time()))
    board.sig_loaded.connect(lambda: done.append(time.time()))
    for _ in range(args.runs):
        screen_at.clear()
        done.clear()
        start = time.time()
        if board.cohort is not None and board.cohort.id == chosen.id:
            board.show_cohort(chosen.id)  # already chosen: choosing it again reads it again
        else:
            window.tree.select(chosen.id)
        wait(lambda: bool(done))
        first_screen.append((screen_at[-1] if screen_at else done[0]) - start)
        filled.append(done[0] - start)
    members = len(subtree(rows, chosen.id))
    result = {
        "startup": usable - args.started,
        "board_first_screen": statistics.median(first_screen),
        "board_filled": statistics.median(filled),
        "board_runs": len(filled),
        "board_cohort": f"{chosen.key} and {members - 1} below: {sizes[chosen.id]:,} members",
        "board_people": board.model.rowCount(),
        "memory_open_mb": resident_mb(),
    }
    window.close()
    window.worker.stop()
    store.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
