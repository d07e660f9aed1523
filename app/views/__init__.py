"""The desktop app: Qt windows over the services."""
