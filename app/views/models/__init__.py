"""Item models over rows the services return: the views never hold a widget per row."""
