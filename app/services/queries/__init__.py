"""Read models: plain dataclasses and dicts for the board, the inbox, `show` and reports."""
