"""Light and dark themes that follow the system, or the user's choice (View → Theme).

Fusion with a palette of our own looks the same on every platform and lets the dark theme
cover every widget, including the custom-painted boards and timelines, which read their
colours from the palette.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

CHOICES = ("system", "light", "dark")
_KEY = "appearance/theme"


def chosen() -> str:
    value = str(QSettings().value(_KEY, "system"))
    return value if value in CHOICES else "system"


def choose(app: QApplication, choice: str) -> None:
    QSettings().setValue(_KEY, choice)
    apply(app)


def is_dark(choice: str) -> bool:
    if choice != "system":
        return choice == "dark"
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if is_dark(chosen()) else app.style().standardPalette())


def follow_system(app: QApplication) -> None:
    """Re-apply when the system switches between light and dark."""
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply(app))


def dark_palette() -> QPalette:
    palette = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: window,
        QPalette.ColorRole.ToolTipBase: window, QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: window,
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: QColor(255, 99, 71),
        QPalette.ColorRole.Link: QColor(110, 168, 254),
        QPalette.ColorRole.Highlight: QColor(53, 116, 240),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.PlaceholderText: QColor(140, 143, 150),
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 122, 128))
    return palette
