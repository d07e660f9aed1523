"""What the read-only tables of the views share: how they look and behave, and the one
sentence saying why a milestone waits."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from app.services.queries.person_view import MilestoneRow


def read_only_table(model: Any, name: str, stretch: int) -> QTableView:
    """Whole rows selected one at a time, no editing, `stretch` taking the spare width."""
    table = QTableView()
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(24)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def why_it_waits(m: MilestoneRow) -> str | None:
    """Locked: what it waits for; held: what completion still needs handed in."""
    if m.locked_reason:
        return m.locked_reason
    if m.content["waits_for"]:
        return "Completes once it has " + " and ".join(m.content["waits_for"]) + "."
    return None
