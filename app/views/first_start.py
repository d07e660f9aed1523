"""First start: who is using this store (name, email, the role they work in), then demo data
or an import to begin with."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

ROLES = (("Coordinator", "coordinator"), ("Approver", "approver"), ("Trainer", "trainer"))
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class ProfileDialog(QDialog):
    """Refuses to finish until the email looks like one; says what is wrong beside it."""

    def __init__(self, name: str = "", email: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Waypoint")
        intro = QLabel("Waypoint keeps your programs on this computer. Tell it who you are: "
                       "your changes are recorded under this name and email.")
        intro.setWordWrap(True)
        self.name = QLineEdit(name)
        self.name.setAccessibleName("Your name")
        self.email = QLineEdit(email)
        self.email.setAccessibleName("Your email")
        self.role = QComboBox()
        self.role.setAccessibleName("The role you work in")
        for label, _key in ROLES:
            self.role.addItem(label)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: palette(bright-text)")
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Email", self.email)
        form.addRow("&Role", self.role)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def accept(self) -> None:
        problem = self.problem_text()
        self.problem.setText(problem or "")
        if not problem:
            super().accept()

    def problem_text(self) -> str | None:
        if not self.name.text().strip():
            return "Your name is missing."
        if not _EMAIL.match(self.email.text().strip()):
            return f"'{self.email.text().strip()}' is not an email address."
        return None

    def profile(self) -> tuple[str, str, tuple[str, ...]]:
        """(email, name, roles) as entered."""
        return (self.email.text().strip().lower(), self.name.text().strip(),
                (ROLES[self.role.currentIndex()][1],))
