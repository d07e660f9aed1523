"""The one exception a rule raises to refuse a command."""


class Refused(Exception):
    """A command that may not be carried out; the message is for a coordinator to read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
