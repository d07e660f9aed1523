"""`python -m app`: the same as the `waypoint` command."""

from app.cli import entry

entry()
