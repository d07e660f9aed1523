"""The optional sync service (a later issue builds it)."""
