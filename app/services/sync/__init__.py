"""Sync: the wire protocol (protocol.py), the local outbox (outbox.py) and the HTTP client
(client.py) that signs a store in to the optional sync service and pushes its commands."""
